package integration_test

import (
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

var _ = Describe("an instance group renamed under TLS", func() {
	It("restarts a member under its new name when the old one no longer resolves and the leader must send it a snapshot", func() {
		tlsCerts, err := localcluster.NewTLS()
		Expect(err).NotTo(HaveOccurred())
		c := newCluster(tlsCerts)
		Expect(c.AddHosts(3)).To(Succeed())
		// consul serves the new name before etcd starts under it (etcdfab
		// waits for it); here it is there from the beginning, since a name
		// missing from /etc/hosts falls through to the machine's DNS.
		newName := "etcd-renamed-2." + c.DNSSuffix()
		Expect(localcluster.AppendHosts(map[string]string{newName: c.IP(2)})).To(Succeed())
		// Small raft snapshots: the leader compacts its log soon, so a
		// member that was down for a few thousand writes needs a snapshot.
		smallSnapshots := func(cfg *config.Config) { cfg.Etcd.SnapshotCount = 100 }
		var cfgs []config.Config
		for i := range 3 {
			cfgs = append(cfgs, c.Config(i, 3, smallSnapshots))
		}
		startAll(c, cfgs...)

		By("stopping etcd-2 and writing more than the 5000 entries a leader keeps for a slow follower")
		Expect(c.Stop(2)).To(Succeed())
		cli := client(c.Endpoints(cfgs[0], cfgs[1]), tlsCerts)
		const keys = 6000
		var wg sync.WaitGroup
		for w := range 20 {
			wg.Add(1)
			go func() {
				defer GinkgoRecover()
				defer wg.Done()
				for k := w; k < keys; k += 20 {
					put(cli, fmt.Sprintf("while-down-%05d", k), "v")
				}
			}()
		}
		wg.Wait()

		By("renaming the group to etcd-renamed, as migrated_from does: consul drops the old name and serves the new one")
		renamed := c.Config(2, 3, smallSnapshots, func(cfg *config.Config) {
			cfg.Node.Name = "etcd-renamed"
			for i := range cfg.Etcd.Cluster {
				cfg.Etcd.Cluster[i].Name = "etcd-renamed"
			}
		})
		// consul answers the old name with NXDOMAIN; here it names an address
		// nothing listens on, which fails as fast.
		Expect(localcluster.RemoveHosts(c.Hostname(2))).To(Succeed())
		Expect(localcluster.AppendHosts(map[string]string{c.Hostname(2): fmt.Sprintf("127.0.%d.250", c.Subnet())})).To(Succeed())
		time.Sleep(6 * time.Second) // Go's resolver, etcd's too, re-reads /etc/hosts at most every 5 s
		// Writes go on meanwhile, as in a deployment (and as etcd 3.7.3 needs:
		// a member that caught up by a snapshot counts its applied index from
		// the next entry it applies, and refuses to publish itself until then).
		w := localcluster.StartWriter(cli, "rename", 100*time.Millisecond, 2*time.Second)
		start := time.Now()
		Expect(c.StartAndWait(renamed)).To(Succeed(), "etcd-renamed-2 did not become healthy")
		AddReportEntry("renamed member healthy after", time.Since(start).Round(time.Millisecond).String())
		stats := w.Stop()
		lost, err := w.Lost(ctx(), cli, stats.Acked)
		Expect(err).NotTo(HaveOccurred())
		Expect(lost).To(BeEmpty(), "acknowledged writes lost")

		resp, err := cli.MemberList(ctx())
		Expect(err).NotTo(HaveOccurred())
		var urls []string
		for _, m := range resp.Members {
			urls = append(urls, m.PeerURLs...)
		}
		Expect(urls).To(ContainElement("https://" + newName + ":2380"))
		Expect(localValue(c.Endpoints(renamed)[0], tlsCerts, fmt.Sprintf("while-down-%05d", keys-1))).To(Equal("v"))
	})
})
