package releasebench

import (
	"slices"
	"strings"

	g "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

var _ = g.Describe("the hand-run members", func() {
	deployed := func() config.Config {
		cfg := config.Default()
		cfg.Node = config.Node{Name: "etcd", Index: 0, ExternalIP: "10.246.3.42", Deployment: "etcd", Bootstrap: true}
		cfg.Etcd.RequireSSL, cfg.Etcd.PeerRequireSSL = true, true
		cfg.Etcd.AdvertiseURLsDNSSuffix = "etcd.service.cf.internal"
		cfg.Etcd.HeartbeatIntervalMS = 77
		cfg.Etcd.CertDir = "/var/vcap/jobs/etcd/config/certs"
		cfg.Etcd.Cluster = []config.Instance{{Name: "etcd", Index: 0, Address: "10.246.3.42"}}
		return cfg
	}
	spec := func() HandSpec { return HandSpec{Config: deployed(), Dir: "/tmp/x", Subnet: 222, Members: 3} }
	flag := func(args []string, name string) string {
		i := slices.Index(args, name)
		if i < 0 || i+1 >= len(args) {
			return ""
		}
		return args[i+1]
	}

	g.It("moves only addresses and directories to loopback", func() {
		cfgs := memberConfigs(spec())
		Expect(cfgs).To(HaveLen(3))
		for i, cfg := range cfgs {
			Expect(cfg.Node.ExternalIP).To(Equal([]string{"127.0.222.1", "127.0.222.2", "127.0.222.3"}[i]))
			Expect(cfg.Node.Index).To(Equal(i))
			Expect(cfg.Etcd.Cluster).To(HaveLen(3))
			Expect(cfg.Etcd.DataDir).To(HavePrefix("/tmp/x/member-"))
			Expect(cfg.Etcd.CertDir).To(HavePrefix("/tmp/x/member-"))
			Expect(cfg.Etcd.HeartbeatIntervalMS).To(Equal(77))
			Expect(cfg.AdvertisedName()).To(Equal([]string{"etcd-0", "etcd-1", "etcd-2"}[i] + ".etcd.service.cf.internal"))
		}
		Expect(deployed().Etcd.Cluster).To(HaveLen(1), "the deployed config is left as it was")
	})

	g.It("starts every member with etcdfab's flags, one cluster token and every member in the initial cluster", func() {
		h := &HandCluster{spec: spec(), token: "t-1", cfgs: memberConfigs(spec())}
		for i := range 3 {
			args := h.Args(i, true)
			Expect(flag(args, "--initial-cluster-token")).To(Equal("t-1"))
			Expect(flag(args, "--initial-cluster-state")).To(Equal("new"))
			Expect(strings.Split(flag(args, "--initial-cluster"), ",")).To(Equal([]string{
				"etcd-0=https://etcd-0.etcd.service.cf.internal:2380",
				"etcd-1=https://etcd-1.etcd.service.cf.internal:2380",
				"etcd-2=https://etcd-2.etcd.service.cf.internal:2380"}))
			Expect(flag(args, "--heartbeat-interval")).To(Equal("77"))
			Expect(args).To(ContainElements("--client-cert-auth", "--peer-client-cert-auth", "--peer-skip-client-san-verification"))
		}
		restart := h.Args(1, false)
		Expect(restart).NotTo(ContainElement("--initial-cluster"))
		Expect(flag(restart, "--listen-client-urls")).To(Equal("https://127.0.222.2:2379"))
	})
})
