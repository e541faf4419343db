package cli_test

import (
	"net/url"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/cli"
)

var _ = Describe("choosing the director", func() {
	var d *testDirector

	BeforeEach(func() {
		d = startDirector()
	})

	// toTestDirector records the config the CLI chose and sends the requests
	// to the test director instead (the local director's port is fixed).
	toTestDirector := func(chosen *director.Config) func(director.Config) (cli.Director, error) {
		return func(cfg director.Config) (cli.Director, error) {
			*chosen = cfg
			u, err := url.Parse(d.URL)
			Expect(err).NotTo(HaveOccurred())
			cfg.URL = "https://localhost:" + u.Port()
			return fastDirector(cfg)
		}
	}

	It("uses the local director with the credentials in its state directory when no environment is given", func() {
		var chosen director.Config
		res := runCLIWithDirector(map[string]string{cli.StateDirEnv: d.StateDir}, toTestDirector(&chosen), "--tty", "deployments")
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(chosen.URL).To(Equal("https://127.0.0.1:25555"))
		Expect(chosen.Username).To(Equal("admin"))
		Expect(chosen.Password).To(Equal(d.Creds.Password))
		Expect(chosen.CACert).To(Equal(d.Creds.CACertPEM))
		Expect(res.lines()).To(ContainElement("Using environment 'https://127.0.0.1:25555' as client 'admin'"))
		Expect(res.lines()).To(ContainElement("0 deployments"))
	})

	It("says how to reach a director when there is no local one", func() {
		res := runCLI(map[string]string{cli.StateDirEnv: GinkgoT().TempDir()}, "deployments")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("no local director credentials in"))
		Expect(res.stderr).To(ContainSubstring("-e (BOSH_ENVIRONMENT)"))
	})

	It("takes the director from flags over the environment variables", func() {
		env := d.env()
		env["BOSH_CLIENT_SECRET"] = "wrong"
		res := runCLI(env, "--client-secret", d.Creds.Password, "deployments")
		Expect(res.code).To(Equal(0), res.stderr)

		res = runCLI(env, "deployments")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("401"))
	})

	It("accepts the CA certificate as PEM", func() {
		env := d.env()
		delete(env, "BOSH_CA_CERT")
		res := runCLI(env, "--ca-cert", string(d.Creds.CACertPEM), "deployments")
		Expect(res.code).To(Equal(0), res.stderr)
	})
})
