// Package integration runs etcdfab against real etcd processes on loopback
// addresses: bootstrap, joins, restarts, rejoins, leaving and TLS on the
// release's etcd (ETCD_BIN), and the rolling upgrade from and the downgrade
// to the previous version's etcd (ETCD_PREVIOUS_BIN).
package integration_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

func TestMain(m *testing.M) {
	code, reran, err := localcluster.IsolateHosts()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if reran {
		os.Exit(code)
	}
	os.Exit(m.Run())
}

func TestIntegration(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "etcdfab Integration Suite", Label("integration"))
}

var (
	etcdfabPath string
	// etcdPath is the release's etcd, previousEtcdPath the one the
	// release's previous version shipped.
	etcdPath         string
	previousEtcdPath string
	subnets          atomic.Int32
)

// cachedEtcd is where scripts/build-blobs unpacks etcd version.
func cachedEtcd(version string) string {
	cache := os.Getenv("ETCD_RELEASE_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "etcd-release")
	}
	return filepath.Join(cache, "etcd-v"+version, "bin", "etcd")
}

var _ = SynchronizedBeforeSuite(func() []byte {
	path, err := gexec.Build("github.com/cloudfoundry-incubator/etcd-release/src/cmd/etcdfab")
	Expect(err).NotTo(HaveOccurred())
	return []byte(path)
}, func(path []byte) {
	etcdfabPath = string(path)
	etcdPath = os.Getenv("ETCD_BIN")
	if etcdPath == "" {
		etcdPath = cachedEtcd("3.7.3")
	}
	Expect(etcdPath).To(BeAnExistingFile(), "the release's etcd binary not found; run scripts/build-blobs or set ETCD_BIN")
	previousEtcdPath = os.Getenv("ETCD_PREVIOUS_BIN")
	if previousEtcdPath == "" {
		previousEtcdPath = cachedEtcd("3.6.16")
	}
	Expect(previousEtcdPath).To(BeAnExistingFile(), "the previous version's etcd binary not found; run scripts/build-blobs or set ETCD_PREVIOUS_BIN")
	// Each parallel process takes its clusters' subnets from a range of
	// its own: 127.0.11.0 and up for the first, 127.0.71.0 for the
	// second, and so on (60 clusters a process; the suite makes about 45
	// in all). scripts/test runs the suite on 2 processes.
	subnets.Store(int32(10 + 60*(GinkgoParallelProcess()-1)))
})

var _ = SynchronizedAfterSuite(func() {}, gexec.CleanupBuildArtifacts)

// newCluster gives each test its own loopback subnet and directory, and
// stops whatever it started when the test ends.
func newCluster(tls *localcluster.TLS) *localcluster.Cluster {
	return newClusterOn(int(subnets.Add(1)), tls)
}

// newClusterOn is newCluster on a given subnet.
func newClusterOn(subnet int, tls *localcluster.TLS) *localcluster.Cluster {
	c := localcluster.New(localcluster.Options{
		Dir:         GinkgoT().TempDir(),
		EtcdfabPath: etcdfabPath,
		EtcdPath:    etcdPath,
		Subnet:      subnet,
		TLS:         tls,
	})
	DeferCleanup(c.Cleanup)
	DeferCleanup(func() {
		if CurrentSpecReport().Failed() {
			dumpLogs(c.Dir())
		}
	})
	return c
}

// dumpLogs shows every etcdfab log and the end of every etcd log of a
// failed test.
func dumpLogs(dir string) {
	logs, _ := filepath.Glob(filepath.Join(dir, "node-*", "etcdfab.log"))
	etcdLogs, _ := filepath.Glob(filepath.Join(dir, "node-*", "log", "etcd.log"))
	for _, path := range append(logs, etcdLogs...) {
		data, _ := os.ReadFile(path)
		lines := strings.Split(string(data), "\n")
		if strings.HasSuffix(path, "etcd.log") && len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		fmt.Fprintf(GinkgoWriter, "==> %s\n%s\n", path, strings.Join(lines, "\n"))
	}
}
