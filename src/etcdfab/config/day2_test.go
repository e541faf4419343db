package config_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

var _ = Describe("defragmentation and metrics settings", func() {
	valid := func() config.Config {
		cfg := config.Default()
		cfg.Node = config.Node{Name: "etcd", ExternalIP: "10.244.0.2"}
		return cfg
	}

	It("leaves scheduled defragmentation and the metrics listener off by default", func() {
		cfg := valid()
		Expect(cfg.Validate()).To(Succeed())
		Expect(cfg.DefragInterval()).To(BeZero())
		Expect(cfg.Etcd.Defrag.MinFreeRatio).To(Equal(0.25))
		Expect(cfg.ListenMetricsURL()).To(BeEmpty())
	})

	It("parses the interval; 0 is off", func() {
		cfg := valid()
		cfg.Etcd.Defrag.Interval = "24h"
		Expect(cfg.Validate()).To(Succeed())
		Expect(cfg.DefragInterval()).To(Equal(24 * time.Hour))
		cfg.Etcd.Defrag.Interval = "0"
		Expect(cfg.Validate()).To(Succeed())
		Expect(cfg.DefragInterval()).To(BeZero())
	})

	It("refuses an interval, a ratio or a port it cannot use, naming the property", func() {
		for _, bad := range []string{"daily", "-1h", "10ms"} {
			cfg := valid()
			cfg.Etcd.Defrag.Interval = bad
			Expect(cfg.Validate()).To(MatchError(ContainSubstring("etcd.defrag.interval %q", bad)))
		}
		cfg := valid()
		cfg.Etcd.Defrag.MinFreeRatio = 1
		Expect(cfg.Validate()).To(MatchError(ContainSubstring("etcd.defrag.min_free_ratio is 1")))
		cfg = valid()
		cfg.Etcd.Metrics.Port = 2379
		Expect(cfg.Validate()).To(MatchError(ContainSubstring("etcd.metrics.port and etcd.client_port are both 2379")))
		cfg.Etcd.Metrics.Port = 70000
		Expect(cfg.Validate()).To(MatchError(ContainSubstring("etcd.metrics.port is 70000")))
	})

	It("serves metrics on this node's IP, https under etcd.require_ssl", func() {
		cfg := valid()
		cfg.Etcd.Metrics.Port = 2381
		Expect(cfg.ListenMetricsURL()).To(Equal("http://10.244.0.2:2381"))
		cfg.Etcd.RequireSSL = true
		Expect(cfg.ListenMetricsURL()).To(Equal("https://10.244.0.2:2381"))
	})
})
