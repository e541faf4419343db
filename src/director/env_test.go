package director_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

const pemText = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

func lookup(env map[string]string) func(string) string {
	return func(key string) string { return env[key] }
}

var _ = Describe("ConfigFromEnv", func() {
	It("reads the bosh CLI's variables, with the CA given as PEM", func() {
		cfg, err := director.ConfigFromEnv(lookup(map[string]string{
			"BOSH_ENVIRONMENT": "10.244.0.1", "BOSH_CLIENT": "admin", "BOSH_CLIENT_SECRET": "pw", "BOSH_CA_CERT": pemText,
		}))
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg).To(Equal(director.Config{URL: "10.244.0.1", Username: "admin", Password: "pw", CACert: []byte(pemText)}))
	})

	It("reads the CA from a file when BOSH_CA_CERT is a path", func() {
		path := filepath.Join(GinkgoT().TempDir(), "ca.crt")
		Expect(os.WriteFile(path, []byte(pemText), 0o644)).To(Succeed())
		cfg, err := director.ConfigFromEnv(lookup(map[string]string{"BOSH_ENVIRONMENT": "x", "BOSH_CA_CERT": path}))
		Expect(err).NotTo(HaveOccurred())
		Expect(cfg.CACert).To(Equal([]byte(pemText)))
	})

	It("names the variable at fault", func() {
		_, err := director.ConfigFromEnv(lookup(map[string]string{}))
		Expect(err).To(MatchError(ContainSubstring("BOSH_ENVIRONMENT is not set")))
		_, err = director.ConfigFromEnv(lookup(map[string]string{"BOSH_ENVIRONMENT": "x", "BOSH_CA_CERT": "/no/such/ca.crt"}))
		Expect(err).To(MatchError(ContainSubstring("BOSH_CA_CERT")))
	})
})

var _ = Describe("New", func() {
	DescribeTable("normalizes the director address as the bosh CLI does",
		func(given, expected string) {
			c, err := director.New(director.Config{URL: given})
			Expect(err).NotTo(HaveOccurred())
			Expect(c.URL()).To(Equal(expected))
		},
		Entry("bare IP", "10.244.0.1", "https://10.244.0.1:25555"),
		Entry("host and port", "localhost:8443", "https://localhost:8443"),
		Entry("full URL with a trailing slash", "https://10.0.0.6:25555/", "https://10.0.0.6:25555"),
	)

	It("refuses a context id the director would refuse", func() {
		_, err := director.New(director.Config{URL: "x", ContextID: string(make([]byte, 65))})
		Expect(err).To(MatchError(ContainSubstring("at most 64")))
	})

	It("refuses a CA that holds no certificate", func() {
		_, err := director.New(director.Config{URL: "x", CACert: []byte("not pem")})
		Expect(err).To(MatchError(ContainSubstring("BOSH_CA_CERT")))
	})
})
