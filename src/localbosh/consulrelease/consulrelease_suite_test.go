// Package consulrelease deploys this repository's consul_agent job on a real
// localbosh director (package testdirector): three servers from
// manifests/bosh-lite/consul.yml with generated certificates, consul DNS
// answered on each VM's 127.0.0.1, and a rolling update that keeps the
// catalogue.
package consulrelease_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
)

func TestConsulRelease(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "consul_agent on localbosh", Label("integration"))
}

// repo is the release directory: the repository root.
var repo = filepath.Join("..", "..", "..")

var bosh *testdirector.Director

var _ = BeforeSuite(func(ctx SpecContext) {
	Expect(os.Geteuid()).To(Equal(0), "deploying on localbosh needs root")
	_, err := os.Stat(filepath.Join(repo, "blobs", "consul"))
	Expect(err).NotTo(HaveOccurred(), "the release's blobs are missing; run scripts/build-blobs")
	bosh, err = testdirector.Start(ctx, testdirector.Options{Logs: GinkgoWriter})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) { Expect(bosh.Cleanup(ctx)).To(Succeed()) })
	_, err = bosh.UploadReleaseDir(ctx, repo)
	Expect(err).NotTo(HaveOccurred())
}, NodeTimeout(10*time.Minute))
