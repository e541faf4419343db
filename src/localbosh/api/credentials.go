package api

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

// renewBefore is how long before expiry the server certificate is reissued.
const renewBefore = 30 * 24 * time.Hour

// Credentials are what a director client needs, and the server's own TLS identity.
type Credentials struct {
	Username string
	Password string
	// CACertPEM signed the server certificate (BOSH_CA_CERT); CACertPath holds it.
	CACertPEM  []byte
	CACertPath string
	// Certificate is the server's certificate and key, for Options.Certificate.
	Certificate tls.Certificate
}

// credentialFiles are the files EnsureCredentials keeps under StateDir/credentials.
type credentialFiles struct{ dir string }

func (c credentialFiles) path(name string) string { return filepath.Join(c.dir, name) }

// secretFiles are the credentials no one but their owner may read.
var secretFiles = []string{"admin-password", "ca.key", "director.key"}

// checkPrivate refuses credentials others could read or change: a directory
// more open than 0700, a secret more open than 0600, or either a symlink
// (which could lead anywhere). Missing files are left to be generated.
func (c credentialFiles) checkPrivate() error {
	if err := checkPrivatePath(c.dir, 0o700, true); err != nil || !exists(c.dir) {
		return err
	}
	for _, name := range secretFiles {
		if err := checkPrivatePath(c.path(name), 0o600, false); err != nil {
			return err
		}
	}
	return nil
}

func checkPrivatePath(path string, most os.FileMode, dir bool) error {
	info, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking the director's credentials: %w", err)
	}
	switch {
	case info.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("the director's credentials %s is a symlink; credentials must be a directory of their own (remove the link)", path)
	case dir && !info.IsDir(), !dir && !info.Mode().IsRegular():
		return fmt.Errorf("the director's credentials %s is not a plain %s", path, map[bool]string{true: "directory", false: "file"}[dir])
	case info.Mode().Perm()&^most != 0:
		return fmt.Errorf("the director's credentials %s have mode %04o, more open than %04o: others may have read them; run chmod %04o %s, and consider removing %s to generate new credentials",
			path, info.Mode().Perm(), most, most, path, filepath.Dir(path))
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// EnsureCredentials refuses credentials others could read (a directory more
// open than 0700, a password or key more open than 0600, a symlink), then
// generates, once, under stateDir/credentials (mode 0700):
// a CA, a server certificate for 127.0.0.1, localhost and extraNames (IPs or
// DNS names such as the VM bridge gateway 10.244.0.1), and an alphanumeric
// admin password; later calls load them. The server certificate is reissued
// from the same CA when it does not cover a requested name or nears expiry,
// so clients keep trusting the CA. Private keys and the password are 0600.
// keyOpts choose the CA's key type (certs.WithECDSAKeys() for fast tests).
func EnsureCredentials(stateDir string, extraNames []string, keyOpts ...certs.Option) (Credentials, error) {
	files := credentialFiles{dir: filepath.Join(stateDir, "credentials")}
	if err := files.checkPrivate(); err != nil {
		return Credentials{}, err
	}
	if !exists(files.dir) {
		if err := os.MkdirAll(files.dir, 0o700); err != nil {
			return Credentials{}, fmt.Errorf("creating credentials directory: %w", err)
		}
		// MkdirAll's mode is filtered by the umask; set it exactly.
		if err := os.Chmod(files.dir, 0o700); err != nil {
			return Credentials{}, fmt.Errorf("restricting credentials directory: %w", err)
		}
	}
	password, err := ensurePassword(files.path("admin-password"))
	if err != nil {
		return Credentials{}, err
	}
	ca, err := ensureCA(files, keyOpts)
	if err != nil {
		return Credentials{}, err
	}
	names := append([]string{"127.0.0.1", "localhost"}, extraNames...)
	cert, err := ensureServerCertificate(files, ca, names)
	if err != nil {
		return Credentials{}, err
	}
	return Credentials{
		Username: DefaultUsername, Password: password,
		CACertPEM: ca.CertificatePEM, CACertPath: files.path("ca.crt"), Certificate: cert,
	}, nil
}

func ensurePassword(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err == nil && len(data) > 0 {
		return string(data), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading admin password: %w", err)
	}
	// rand.Text is 26 characters of [A-Z2-7]: letters and digits only, which
	// every config grammar (monit's included) takes unquoted.
	password := rand.Text()
	if err := writeFileAtomic(path, []byte(password), 0o600); err != nil {
		return "", fmt.Errorf("saving admin password: %w", err)
	}
	return password, nil
}

func ensureCA(files credentialFiles, keyOpts []certs.Option) (*certs.Authority, error) {
	certPEM, certErr := os.ReadFile(files.path("ca.crt"))
	keyPEM, keyErr := os.ReadFile(files.path("ca.key"))
	if certErr == nil && keyErr == nil {
		ca, err := certs.LoadAuthority(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("loading director CA from %s: %w (remove the directory to generate new credentials)", files.dir, err)
		}
		return ca, nil
	}
	if !errors.Is(certErr, fs.ErrNotExist) && certErr != nil {
		return nil, fmt.Errorf("reading director CA: %w", certErr)
	}
	ca, err := certs.NewAuthority("localbosh director CA", keyOpts...)
	if err != nil {
		return nil, err
	}
	if err := writeFileAtomic(files.path("ca.key"), ca.PrivateKeyPEM, 0o600); err != nil {
		return nil, fmt.Errorf("saving director CA key: %w", err)
	}
	if err := writeFileAtomic(files.path("ca.crt"), ca.CertificatePEM, 0o644); err != nil {
		return nil, fmt.Errorf("saving director CA: %w", err)
	}
	return ca, nil
}

func ensureServerCertificate(files credentialFiles, ca *certs.Authority, names []string) (tls.Certificate, error) {
	certPath, keyPath := files.path("director.crt"), files.path("director.key")
	if pair, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil && stillGood(pair.Leaf, ca.Certificate, names) {
		return pair, nil
	}
	kp, err := ca.Issue(certs.Request{
		CommonName: "localbosh director", AlternativeNames: names,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := writeFileAtomic(keyPath, kp.PrivateKeyPEM, 0o600); err != nil {
		return tls.Certificate{}, fmt.Errorf("saving director key: %w", err)
	}
	if err := writeFileAtomic(certPath, kp.CertificatePEM, 0o644); err != nil {
		return tls.Certificate{}, fmt.Errorf("saving director certificate: %w", err)
	}
	pair, err := tls.X509KeyPair(kp.CertificatePEM, kp.PrivateKeyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("loading the director certificate just issued: %w", err)
	}
	return pair, nil
}

// stillGood reports whether an existing server certificate chains to ca,
// covers every name and is not about to expire.
func stillGood(leaf, ca *x509.Certificate, names []string) bool {
	if leaf == nil || leaf.CheckSignatureFrom(ca) != nil {
		return false
	}
	if time.Now().Add(renewBefore).After(leaf.NotAfter) {
		return false
	}
	for _, name := range names {
		if certs.CoversName(leaf, name) != nil {
			return false
		}
	}
	return true
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ReadClientCredentials reads what a client of the director on stateDir
// needs (Username, Password, CACertPEM, CACertPath) from the files
// EnsureCredentials wrote, without generating anything; Certificate stays
// empty. A missing file is reported wrapping fs.ErrNotExist.
func ReadClientCredentials(stateDir string) (Credentials, error) {
	files := credentialFiles{dir: filepath.Join(stateDir, "credentials")}
	if err := files.checkPrivate(); err != nil {
		return Credentials{}, err
	}
	password, err := os.ReadFile(files.path("admin-password"))
	if err != nil {
		return Credentials{}, fmt.Errorf("reading the director's admin password: %w", err)
	}
	caPath := files.path("ca.crt")
	caPEM, err := os.ReadFile(caPath)
	if err != nil {
		return Credentials{}, fmt.Errorf("reading the director's CA certificate: %w", err)
	}
	return Credentials{Username: DefaultUsername, Password: string(password), CACertPEM: caPEM, CACertPath: caPath}, nil
}
