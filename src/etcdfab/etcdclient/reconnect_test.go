package etcdclient_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/restore/restoretest"
)

// addr is this suite's own loopback address.
const addr = "127.0.250.1"

// startEtcd runs a one-member etcd on dir (restoretest's), stopped when the
// spec ends or by the returned function.
func startEtcd(dir string) (stop func()) {
	GinkgoHelper()
	e, err := restoretest.Start(os.Getenv("ETCD_BIN"), "m", dir, addr)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(e.Stop)
	return e.Stop
}

var _ = Describe("a client of a member that was down for a while", func() {
	It("serves an operation issued once the member is back, within the 2 s a load gives each operation", func(ctx SpecContext) {
		if os.Getenv("ETCD_BIN") == "" {
			Fail("ETCD_BIN is not set: scripts/test sets it to the release's etcd")
		}
		dir := filepath.Join(GinkgoT().TempDir(), "data")
		stop := startEtcd(dir)
		c, err := etcdclient.NewV3([]string{"http://" + addr + ":2379"}, nil)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(c.Close)
		_, err = c.Put(ctx, "k", "v")
		Expect(err).NotTo(HaveOccurred())

		By("keeping the member down for 25 s while the client keeps trying, as in a long deploy")
		stop()
		deadline := time.Now().Add(25 * time.Second)
		for time.Now().Before(deadline) {
			op, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := c.Get(op, "k")
			cancel()
			Expect(err).To(HaveOccurred(), "the member is down")
		}

		By("starting it again on its data; the next operation must not wait for a long reconnect backoff")
		startEtcd(dir)
		op, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		resp, err := c.Get(op, "k")
		Expect(err).NotTo(HaveOccurred(), "the member is back and listening, yet the client did not reach it within 2 s")
		Expect(resp.Kvs).To(HaveLen(1))
	}, SpecTimeout(2*time.Minute))
})
