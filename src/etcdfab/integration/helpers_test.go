package integration_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// client connects to endpoints, presenting the cluster's client certificate
// when tlsCerts is given.
func client(endpoints []string, tlsCerts *localcluster.TLS) *clientv3.Client {
	cfg := clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()}
	if tlsCerts != nil {
		pool := x509.NewCertPool()
		pool.AddCert(tlsCerts.CA.Certificate)
		pair, err := tls.X509KeyPair(tlsCerts.Client.CertificatePEM, tlsCerts.Client.PrivateKeyPEM)
		Expect(err).NotTo(HaveOccurred())
		cfg.TLS = &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}}
	}
	c, err := clientv3.New(cfg)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return c
}

// clientWithoutCert trusts the cluster's CA but presents no certificate.
func clientWithoutCert(endpoints []string, tlsCerts *localcluster.TLS) *clientv3.Client {
	pool := x509.NewCertPool()
	pool.AddCert(tlsCerts.CA.Certificate)
	c, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
		TLS: &tls.Config{RootCAs: pool}})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return c
}

func ctx() context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	DeferCleanup(cancel)
	return c
}

// memberNames lists the started voting members and counts the learners.
func memberNames(c *clientv3.Client) (voters []string, learners int) {
	resp, err := c.MemberList(ctx())
	Expect(err).NotTo(HaveOccurred())
	for _, m := range resp.Members {
		if m.IsLearner {
			learners++
		} else {
			voters = append(voters, m.Name)
		}
	}
	return voters, learners
}

func memberID(c *clientv3.Client, name string) uint64 {
	resp, err := c.MemberList(ctx())
	Expect(err).NotTo(HaveOccurred())
	for _, m := range resp.Members {
		if m.Name == name {
			return m.ID
		}
	}
	Fail("no member named " + name)
	return 0
}

// put writes key, retrying what a busy machine makes fail for a moment
// (a leader election, a timed-out proposal): the tests check what was
// acknowledged, not that every first try succeeds.
func put(c *clientv3.Client, key, value string) {
	GinkgoHelper()
	Eventually(func() error { _, err := c.Put(ctx(), key, value); return err }, "30s", "200ms").Should(Succeed())
}

// localValue reads key from one member's own store (serializable), proving
// that member holds the data rather than a peer answering for it.
func localValue(endpoint string, tlsCerts *localcluster.TLS, key string) string {
	c := client([]string{endpoint}, tlsCerts)
	var value string
	Eventually(func() error {
		resp, err := c.Get(ctx(), key, clientv3.WithSerializable())
		if err == nil && len(resp.Kvs) == 1 {
			value = string(resp.Kvs[0].Value)
		}
		return err
	}).Should(Succeed())
	return value
}

// startAll starts nodes at once and waits for all of them to be healthy.
func startAll(c *localcluster.Cluster, cfgs ...config.Config) {
	var wg sync.WaitGroup
	errs := make([]error, len(cfgs))
	for i, cfg := range cfgs {
		wg.Add(1)
		go func() {
			defer GinkgoRecover()
			defer wg.Done()
			errs[i] = c.StartAndWait(cfg)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		Expect(err).NotTo(HaveOccurred())
	}
}

// configs renders nodes first..last of an instance group of size.
func configs(c *localcluster.Cluster, size int, indexes ...int) []config.Config {
	var out []config.Config
	for _, i := range indexes {
		out = append(out, c.Config(i, size))
	}
	return out
}

func hasData(c *localcluster.Cluster, index int) bool {
	_, err := os.Stat(filepath.Join(c.NodeDir(index), "store", "member"))
	return err == nil
}

func clientv3WithPrefix() clientv3.OpOption { return clientv3.WithPrefix() }

func mustJSON(cfg config.Config) []byte {
	data, err := json.Marshal(cfg)
	Expect(err).NotTo(HaveOccurred())
	return data
}

// sibling drives the nodes of c with other certificates, for tests of
// members that present the wrong ones.
func sibling(c *localcluster.Cluster, tlsCerts *localcluster.TLS) *localcluster.Cluster {
	s := localcluster.New(localcluster.Options{Dir: c.Dir(), EtcdfabPath: etcdfabPath, EtcdPath: etcdPath,
		Subnet: c.Subnet(), TLS: tlsCerts})
	DeferCleanup(s.Cleanup)
	return s
}
