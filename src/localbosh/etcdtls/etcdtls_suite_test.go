// Package etcdtls deploys this repository's default manifest,
// manifests/bosh-lite/etcd.yml (three etcd members with TLS on consul DNS,
// consul servers beside them, certificates generated into a vars store),
// on a real localbosh director, and proves what TLS promises: clients and
// peers without the right certificate are refused, no member listens in
// plaintext, the names follow the members' health, and a rolling update
// under a steady writer loses nothing.
package etcdtls_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
)

func TestEtcdTLS(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "etcd with TLS on consul DNS, on localbosh", Label("integration"))
}

// repo is the release directory: the repository root.
var repo = filepath.Join("..", "..", "..")

var (
	bosh  *testdirector.Director
	store string // the vars store --vars-store would keep
)

var _ = BeforeSuite(func(ctx SpecContext) {
	Expect(os.Geteuid()).To(Equal(0), "deploying on localbosh needs root")
	_, err := os.Stat(filepath.Join(repo, "blobs", "consul"))
	Expect(err).NotTo(HaveOccurred(), "the release's blobs are missing; run scripts/build-blobs")
	store = filepath.Join(GinkgoT().TempDir(), "etcd-creds.yml")
	bosh, err = testdirector.Start(ctx, testdirector.Options{Logs: GinkgoWriter})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) { Expect(bosh.Cleanup(ctx)).To(Succeed()) })
	_, err = bosh.UploadReleaseDir(ctx, repo)
	Expect(err).NotTo(HaveOccurred())
}, NodeTimeout(10*time.Minute))
