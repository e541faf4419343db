package integration_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// rollingRestart restarts each node in turn, as a BOSH rolling deploy does
// (stop, start with the new config, post-start), under a continuous writer,
// and checks that no acknowledged write was lost.
func rollingRestart(c *localcluster.Cluster, tlsCerts *localcluster.TLS, before, after []config.Config) localcluster.WriterStats {
	cli := client(append(c.Endpoints(before...), c.Endpoints(after...)...), tlsCerts)
	w := localcluster.StartWriter(cli, "rolling", 10*time.Millisecond, 2*time.Second)
	for i := range after {
		By("restarting node " + after[i].MemberName())
		Expect(c.Stop(i)).To(Succeed())
		Expect(c.StartAndWait(after[i])).To(Succeed())
	}
	stats := w.Stop()
	GinkgoWriter.Printf("rolling restart: %d writes attempted, %d failed, %d acknowledged\n",
		stats.Attempted, stats.Failed, len(stats.Acked))
	Expect(stats.Acked).NotTo(BeEmpty())

	lost, err := w.Lost(ctx(), client(c.Endpoints(after...), tlsCerts), stats.Acked)
	Expect(err).NotTo(HaveOccurred())
	Expect(lost).To(BeEmpty(), "acknowledged writes lost")
	return stats
}

var _ = Describe("rolling restarts", func() {
	It("loses no acknowledged write while every member restarts in turn", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		rollingRestart(c, nil, cfgs, cfgs)
	})
})

var _ = Describe("TLS", func() {
	var tlsCerts *localcluster.TLS

	BeforeEach(func() {
		var err error
		tlsCerts, err = localcluster.NewTLS()
		Expect(err).NotTo(HaveOccurred())
	})

	It("runs a cluster with client and peer TLS on consul-style names, refusing clients without a certificate", func() {
		c := newCluster(tlsCerts)
		Expect(c.AddHosts(3)).To(Succeed())
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)

		cli := client(c.Endpoints(cfgs...), tlsCerts)
		put(cli, "secure", "yes")
		resp, err := cli.MemberList(ctx())
		Expect(err).NotTo(HaveOccurred())
		for _, m := range resp.Members {
			Expect(m.PeerURLs).To(ConsistOf(HavePrefix("https://" + m.Name + "." + c.DNSSuffix())))
			Expect(m.ClientURLs).To(ConsistOf(HavePrefix("https://" + m.Name + "." + c.DNSSuffix())))
		}

		By("refusing a client that presents no certificate")
		anonymous := &localcluster.TLS{CA: tlsCerts.CA}
		_, err = clientWithoutCert(c.Endpoints(cfgs[0]), anonymous).Get(ctx(), "secure")
		Expect(err).To(HaveOccurred())
	})

	It("switches a running cluster from plain to TLS peer and client URLs in a rolling deploy", func() {
		c := newCluster(tlsCerts)
		Expect(c.AddHosts(3)).To(Succeed())
		plain := func(cfg *config.Config) { cfg.Etcd.RequireSSL, cfg.Etcd.PeerRequireSSL = false, false }
		var before, after []config.Config
		for i := range 3 {
			before = append(before, c.Config(i, 3, plain))
			after = append(after, c.Config(i, 3))
		}
		startAll(c, before...)
		put(client(c.Endpoints(before...), nil), "from-plain-days", "kept")

		// The writer uses the plain endpoints until they go, then TLS.
		cli := client(c.Endpoints(after...), tlsCerts)
		w := localcluster.StartWriter(client(c.Endpoints(before...), nil), "switch", 10*time.Millisecond, 2*time.Second)
		for i := range after {
			By("switching node " + after[i].MemberName() + " to TLS")
			Expect(c.Stop(i)).To(Succeed())
			Expect(c.StartAndWait(after[i])).To(Succeed())
		}
		stats := w.Stop()
		GinkgoWriter.Printf("TLS switch: %d writes attempted, %d failed\n", stats.Attempted, stats.Failed)

		resp, err := cli.MemberList(ctx())
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Members).To(HaveLen(3))
		for _, m := range resp.Members {
			Expect(m.PeerURLs).To(Equal([]string{"https://" + m.Name + "." + c.DNSSuffix() + ":2380"}))
		}
		Expect(localValue(c.Endpoints(after[2])[0], tlsCerts, "from-plain-days")).To(Equal("kept"))
		lost, err := w.Lost(ctx(), cli, stats.Acked)
		Expect(err).NotTo(HaveOccurred())
		Expect(lost).To(BeEmpty())
	})
})
