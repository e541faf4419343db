// Package etcdcerts walks the operator's certificate workflow on a real
// localbosh director, with one deployment through every step: a plain
// cluster turned TLS in place (consul first, then TLS), bad certificates
// refused at the canary's pre-start while the cluster serves, and a
// three-stage rotation made by scripts/rotate-certs, each stage checked on
// every member with etcdfab check-certs. Every deploy runs under a load
// whose every operation is recorded: no acknowledged write may be lost and
// the history must be linearizable (porcupine).
package etcdcerts_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certset"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
)

func TestEtcdCerts(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "the operator's certificate workflow, on localbosh", Label("integration"))
}

// repo is the release directory: the repository root.
var repo = filepath.Join("..", "..", "..")

var (
	bosh *testdirector.Director
	// dir holds the generated sets: first/vars.yml (deployed when TLS goes
	// on), second/vars.yml (rotated to) and rotation/stage-N.yml.
	dir string
)

var _ = BeforeSuite(func(ctx SpecContext) {
	Expect(os.Geteuid()).To(Equal(0), "deploying on localbosh needs root")
	_, err := os.Stat(filepath.Join(repo, "blobs", "consul"))
	Expect(err).NotTo(HaveOccurred(), "the release's blobs are missing; run scripts/build-blobs")
	dir = GinkgoT().TempDir()
	for _, set := range []string{"first", "second"} {
		Expect(certset.Main([]string{"generate", "-out", filepath.Join(dir, set)}, GinkgoWriter, GinkgoWriter)).To(Equal(0))
	}
	bosh, err = testdirector.Start(ctx, testdirector.Options{Logs: GinkgoWriter})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) { Expect(bosh.Cleanup(ctx)).To(Succeed()) })
	_, err = bosh.UploadReleaseDir(ctx, repo)
	Expect(err).NotTo(HaveOccurred())
}, NodeTimeout(10*time.Minute))
