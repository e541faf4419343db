package app_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/app"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

var _ = Describe("etcd's metrics listener", func() {
	cfg := func(port int) config.Config {
		c := config.Default()
		c.Node = config.Node{Name: "etcd", ExternalIP: "10.244.0.2"}
		c.Etcd.Metrics.Port = port
		return c
	}

	It("is not passed while etcd.metrics.port is 0", func() {
		Expect(app.RestartArgs(cfg(0))).NotTo(ContainElement("--listen-metrics-urls"))
	})

	It("is passed to every start, on this node's IP", func() {
		for _, args := range [][]string{app.RestartArgs(cfg(2381)), app.BootstrapArgs(cfg(2381), "etcd-0=http://10.244.0.2:2380", "t")} {
			Expect(args).To(ContainElements("--listen-metrics-urls", "http://10.244.0.2:2381"))
		}
	})
})
