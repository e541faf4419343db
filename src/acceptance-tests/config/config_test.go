package config_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/acceptance-tests/config"
)

func TestConfig(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "EATS config")
}

var _ = Describe("Load", func() {
	write := func(text string) string {
		path := filepath.Join(GinkgoT().TempDir(), "eats.json")
		Expect(os.WriteFile(path, []byte(text), 0o600)).To(Succeed())
		return path
	}

	It("reads the seed's keys, accepting the aws and registry ones, with defaults", func() {
		cfg, err := config.Load(write(`{"bosh": {"target": "10.244.0.1", "username": "admin", "password": "pw"},
			"aws": {"subnet": "s", "region": "r"}, "registry": {"host": "h", "port": 25777}}`))
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.BOSH).To(Equal(config.BOSH{Target: "10.244.0.1", Username: "admin", Password: "pw"}))
		Expect(cfg.AWS).To(HaveKeyWithValue("region", "r"))
		Expect(cfg.EtcdReleaseVersion).To(Equal("latest"))
		Expect(cfg.LatestEtcdReleaseVersion).To(Equal("latest"))
		Expect(cfg.DeploymentPrefix).To(Equal("eats"))
		Expect(cfg.EnableTurbulenceTests).To(BeFalse())
	})

	It("names what is wrong", func() {
		_, err := config.Load("")
		Expect(err).To(MatchError(ContainSubstring("EATS_CONFIG is not set")))
		_, err = config.Load("eats.json")
		Expect(err).To(MatchError(ContainSubstring("not an absolute path")))
		_, err = config.Load(write(`{"bosh": {"target": "x"}}`))
		Expect(err).To(MatchError(ContainSubstring("lacks bosh.username, bosh.password")))
		_, err = config.Load(write(`{"bosh": {"target": "x", "username": "u", "password": "p", "director_ca_cert": "nope"}}`))
		Expect(err).To(MatchError(ContainSubstring("bosh.director_ca_cert")))
		_, err = config.Load(write(`{"bosh": {"target": "x", "username": "u", "password": "p"}, "typo": 1}`))
		Expect(err).To(MatchError(ContainSubstring("typo")))
	})
})
