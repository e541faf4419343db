package dbcheck_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

func TestDBCheck(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "DBCheck Suite")
}

var (
	// goodDataDir is a data directory a real etcd wrote: keys enough for
	// the database to span many pages, and WAL snapshots.
	goodDataDir string
	etcdfabPath string
)

const keys = 2000

var _ = SynchronizedBeforeSuite(func() []byte {
	etcdPath := os.Getenv("ETCD_BIN")
	if etcdPath == "" {
		home, _ := os.UserHomeDir()
		etcdPath = filepath.Join(home, ".cache", "etcd-release", "etcd-v3.7.3", "bin", "etcd")
	}
	Expect(etcdPath).To(BeAnExistingFile(), "etcd not found; run scripts/build-blobs or set ETCD_BIN")
	exe, err := gexec.Build("github.com/cloudfoundry-incubator/etcd-release/src/cmd/etcdfab")
	Expect(err).NotTo(HaveOccurred())
	dir, err := os.MkdirTemp("", "dbcheck-")
	Expect(err).NotTo(HaveOccurred())
	writeRealData(etcdPath, dir)
	return []byte(exe + "\n" + dir)
}, func(data []byte) {
	etcdfabPath, goodDataDir, _ = strings.Cut(string(data), "\n")
})

var _ = SynchronizedAfterSuite(func() {}, func() {
	gexec.CleanupBuildArtifacts()
	_ = os.RemoveAll(goodDataDir)
})

// writeRealData runs a real single-member etcd on a loopback address in
// dir, writes keys through it and stops it gracefully.
func writeRealData(etcdPath, dir string) {
	const host = "127.77.14.1"
	client, peer := "http://"+host+":2379", "http://"+host+":2380"
	log, err := os.Create(filepath.Join(dir, "etcd.log"))
	Expect(err).NotTo(HaveOccurred())
	defer log.Close()
	cmd := exec.Command(etcdPath, "--name", "dbcheck", "--data-dir", filepath.Join(dir, "data"),
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--initial-cluster", "dbcheck="+peer, "--snapshot-count", "500")
	cmd.Stdout, cmd.Stderr = log, log
	Expect(cmd.Start()).To(Succeed())
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{client}, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	Expect(err).NotTo(HaveOccurred())
	defer c.Close()
	value := strings.Repeat("v", 200)
	for i := range keys {
		Eventually(func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := c.Put(ctx, fmt.Sprintf("key-%05d", i), value)
			return err
		}, "30s", "100ms").Should(Succeed())
	}
}

// copyData gives a test its own copy of the good data directory.
func copyData() string {
	dir := filepath.Join(GinkgoT().TempDir(), "data")
	out, err := exec.Command("cp", "-a", filepath.Join(goodDataDir, "data"), dir).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), string(out))
	return dir
}
