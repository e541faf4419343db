package api_test

import (
	"crypto/x509"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
)

var _ = Describe("EnsureCredentials", func() {
	var stateDir string

	BeforeEach(func() {
		stateDir = GinkgoT().TempDir()
	})

	It("generates a CA, a server certificate for the local names and a password, readable by the owner only", func() {
		creds, err := api.EnsureCredentials(stateDir, []string{"10.244.0.1"}, certs.WithECDSAKeys())
		Expect(err).NotTo(HaveOccurred())
		Expect(creds.Username).To(Equal("admin"))
		Expect(creds.Password).To(MatchRegexp(`^[A-Za-z0-9]{20,}$`))

		leaf, err := x509.ParseCertificate(creds.Certificate.Certificate[0])
		Expect(err).NotTo(HaveOccurred())
		ca, err := certs.ParseCertificate(creds.CACertPEM)
		Expect(err).NotTo(HaveOccurred())
		Expect(certs.VerifyChain([]*x509.Certificate{leaf}, []*x509.Certificate{ca}, x509.ExtKeyUsageServerAuth, leaf.NotBefore.Add(1))).To(Succeed())
		for _, name := range []string{"127.0.0.1", "localhost", "10.244.0.1"} {
			Expect(certs.CoversName(leaf, name)).To(Succeed())
		}

		dir := filepath.Join(stateDir, "credentials")
		Expect(mode(dir)).To(Equal(os.FileMode(0o700)))
		for _, secret := range []string{"ca.key", "director.key", "admin-password"} {
			Expect(mode(filepath.Join(dir, secret))).To(Equal(os.FileMode(0o600)), secret)
		}
		Expect(os.ReadFile(creds.CACertPath)).To(Equal(creds.CACertPEM))
	})

	It("loads the same credentials again, reissuing the server certificate from the same CA for new names", func() {
		first, err := api.EnsureCredentials(stateDir, nil, certs.WithECDSAKeys())
		Expect(err).NotTo(HaveOccurred())
		same, err := api.EnsureCredentials(stateDir, nil, certs.WithECDSAKeys())
		Expect(err).NotTo(HaveOccurred())
		Expect(same.Password).To(Equal(first.Password))
		Expect(same.Certificate.Certificate).To(Equal(first.Certificate.Certificate))

		widened, err := api.EnsureCredentials(stateDir, []string{"10.245.3.1"}, certs.WithECDSAKeys())
		Expect(err).NotTo(HaveOccurred())
		Expect(widened.CACertPEM).To(Equal(first.CACertPEM))
		Expect(widened.Certificate.Certificate[0]).NotTo(Equal(first.Certificate.Certificate[0]))
		leaf, err := x509.ParseCertificate(widened.Certificate.Certificate[0])
		Expect(err).NotTo(HaveOccurred())
		Expect(certs.CoversName(leaf, "10.245.3.1")).To(Succeed())
	})
})

var _ = Describe("EnsureCredentials on credentials others could read", func() {
	var stateDir, dir string

	BeforeEach(func() {
		stateDir = GinkgoT().TempDir()
		_, err := api.EnsureCredentials(stateDir, nil, certs.WithECDSAKeys())
		Expect(err).NotTo(HaveOccurred())
		dir = filepath.Join(stateDir, "credentials")
	})

	DescribeTable("refuses to start, naming the file, its mode and the fix, and changes nothing",
		func(name string, perm os.FileMode) {
			path := filepath.Join(dir, name)
			Expect(os.Chmod(path, perm)).To(Succeed())
			_, err := api.EnsureCredentials(stateDir, nil, certs.WithECDSAKeys())
			Expect(err).To(MatchError(ContainSubstring(path)))
			Expect(err).To(MatchError(ContainSubstring("more open than")))
			Expect(err).To(MatchError(ContainSubstring("chmod")))
			Expect(mode(path)).To(Equal(perm), "the mode was changed behind the operator's back")
			_, err = api.ReadClientCredentials(stateDir)
			Expect(err).To(MatchError(ContainSubstring("more open than")))
		},
		Entry("the directory, readable by all", "", os.FileMode(0o755)),
		Entry("the directory, open to its group", "", os.FileMode(0o750)),
		Entry("the admin password, readable by all", "admin-password", os.FileMode(0o644)),
		Entry("the CA key, readable by its group", "ca.key", os.FileMode(0o640)),
		Entry("the server key, writable by all", "director.key", os.FileMode(0o602)),
	)

	It("refuses a credentials directory that is a symlink", func() {
		elsewhere := filepath.Join(GinkgoT().TempDir(), "credentials")
		Expect(os.Rename(dir, elsewhere)).To(Succeed())
		Expect(os.Symlink(elsewhere, dir)).To(Succeed())
		_, err := api.EnsureCredentials(stateDir, nil, certs.WithECDSAKeys())
		Expect(err).To(MatchError(ContainSubstring("symlink")))
	})

	It("still takes the certificates readable by all, which are public", func() {
		Expect(mode(filepath.Join(dir, "ca.crt"))).To(Equal(os.FileMode(0o644)))
		_, err := api.EnsureCredentials(stateDir, nil, certs.WithECDSAKeys())
		Expect(err).NotTo(HaveOccurred())
	})
})

func mode(path string) os.FileMode {
	GinkgoHelper()
	info, err := os.Stat(path)
	Expect(err).NotTo(HaveOccurred())
	return info.Mode().Perm()
}
