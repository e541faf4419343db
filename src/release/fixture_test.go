package release_test

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// fixture is a small release directory in a temporary directory, with a
// local blobstore beside it.
type fixture struct {
	dir       string
	blobstore string
}

func newFixture() *fixture {
	root := GinkgoT().TempDir()
	f := &fixture{dir: filepath.Join(root, "demo-release"), blobstore: filepath.Join(root, "blobstore")}
	f.write("config/final.yml", "name: demo\nblobstore:\n  provider: local\n  options:\n    blobstore_path: "+f.blobstore+"\n")
	return f
}

func (f *fixture) path(rel string) string {
	return filepath.Join(f.dir, filepath.FromSlash(rel))
}

func (f *fixture) write(rel, content string) {
	f.writeMode(rel, content, 0o644)
}

func (f *fixture) writeMode(rel, content string, perm os.FileMode) {
	p := f.path(rel)
	Expect(os.MkdirAll(filepath.Dir(p), 0o755)).To(Succeed())
	Expect(os.WriteFile(p, []byte(content), perm)).To(Succeed())
	Expect(os.Chmod(p, perm)).To(Succeed()) // WriteFile keeps an existing file's mode
}

func (f *fixture) symlink(rel, target string) {
	p := f.path(rel)
	Expect(os.MkdirAll(filepath.Dir(p), 0o755)).To(Succeed())
	Expect(os.Symlink(target, p)).To(Succeed())
}

// pkg writes packages/<name>/spec and a packaging script.
func (f *fixture) pkg(name, spec string) {
	f.write("packages/"+name+"/spec", spec)
	f.write("packages/"+name+"/packaging", "set -e\ncp -a . ${BOSH_INSTALL_TARGET}\n")
}

func (f *fixture) create(opts release.CreateOptions) release.Created {
	GinkgoHelper()
	created, err := release.Create(context.Background(), f.dir, opts)
	Expect(err).NotTo(HaveOccurred())
	return created
}

func (f *fixture) createErr(opts release.CreateOptions) error {
	_, err := release.Create(context.Background(), f.dir, opts)
	return err
}

func packageRef(m release.Manifest, name string) release.PackageRef {
	GinkgoHelper()
	for _, p := range m.Packages {
		if p.Name == name {
			return p
		}
	}
	Fail("manifest has no package " + name)
	return release.PackageRef{}
}

func jobRef(m release.Manifest, name string) release.JobRef {
	GinkgoHelper()
	for _, j := range m.Jobs {
		if j.Name == name {
			return j
		}
	}
	Fail("manifest has no job " + name)
	return release.JobRef{}
}

// digest is the BOSH digest string of content, "sha256:<hex>".
func digest(content string) string {
	sum := sha256.Sum256([]byte(content))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func sha1Hex(data []byte) string {
	sum := sha1.Sum(data)
	return hex.EncodeToString(sum[:])
}

func sha256Of(path string) string {
	GinkgoHelper()
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// tgzEntry is one entry of a gzipped tar, as tests inspect it.
type tgzEntry struct {
	typeflag byte
	mode     int64
	content  string
	linkname string
}

// readTgz lists a gzipped tar's entries by name, in archive order too.
func readTgz(path string) (map[string]tgzEntry, []string) {
	GinkgoHelper()
	file, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	defer file.Close()
	gz, err := gzip.NewReader(file)
	Expect(err).NotTo(HaveOccurred())
	tr := tar.NewReader(gz)
	entries := map[string]tgzEntry{}
	var order []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries, order
		}
		Expect(err).NotTo(HaveOccurred())
		data, err := io.ReadAll(tr)
		Expect(err).NotTo(HaveOccurred())
		entries[hdr.Name] = tgzEntry{typeflag: hdr.Typeflag, mode: hdr.Mode, content: string(data), linkname: hdr.Linkname}
		order = append(order, hdr.Name)
	}
}

// devArchive is where Create caches an archive: .dev_builds/<kind>/<name>/<fingerprint>.tgz.
func (f *fixture) devArchive(kind, name, fingerprint string) string {
	return f.path(".dev_builds/" + kind + "/" + name + "/" + fingerprint + ".tgz")
}
