package etcdclient_test

import (
	"context"
	"net"
	"os"
	"os/exec"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
)

// addr is this suite's own loopback address.
const addr = "127.0.250.1"

// startEtcd runs a one-member etcd on dir, stopped when the spec ends or by
// the returned function.
func startEtcd(dir string) (stop func()) {
	GinkgoHelper()
	cmd := exec.Command(os.Getenv("ETCD_BIN"), "--name", "m", "--data-dir", dir,
		"--listen-client-urls", "http://"+addr+":2379", "--advertise-client-urls", "http://"+addr+":2379",
		"--listen-peer-urls", "http://"+addr+":2380", "--initial-advertise-peer-urls", "http://"+addr+":2380",
		"--initial-cluster", "m=http://"+addr+":2380")
	cmd.Stdout, cmd.Stderr = GinkgoWriter, GinkgoWriter
	Expect(cmd.Start()).To(Succeed())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop = func() {
		_ = cmd.Process.Kill()
		<-done
	}
	DeferCleanup(stop)
	Eventually(func() error {
		c, err := net.DialTimeout("tcp", addr+":2379", time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}, "20s", "50ms").Should(Succeed(), "etcd did not listen on %s:2379", addr)
	return stop
}

var _ = Describe("a client of a member that was down for a while", func() {
	It("serves an operation issued once the member is back, within the 2 s a load gives each operation", func(ctx SpecContext) {
		if os.Getenv("ETCD_BIN") == "" {
			Fail("ETCD_BIN is not set: scripts/test sets it to the release's etcd")
		}
		dir := GinkgoT().TempDir()
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
