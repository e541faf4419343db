// Package etcdrelease deploys this repository's etcd release on a real
// localbosh director (package testdirector): three members from
// manifests/bosh-lite, a rolling property change under a continuous
// writer, scale 3 -> 5 -> 3 and deletion; and the operator scenarios of
// issue 7 (Label "issue-7"), each on a deployment of its own: a whole
// deployment stopped and started, with and without etcd/0's disk lost; a
// foreign cluster answering and a split brain; scale down while monit
// watches pre-stop; a rolling update without a persistent disk; an orphan
// learner; a 100 MB join; bad property values refused at render time; and
// a deployment wedged by a failed canary; and an upgrade from the previous
// release (etcd 3.6.16, from a pinned commit) under a recorded load.
package etcdrelease_test

import (
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
)

func TestEtcdRelease(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "etcd release on localbosh", Label("integration"))
}

// repo is the release directory: the repository root.
var repo = filepath.Join("..", "..", "..")

var bosh *testdirector.Director

var _ = BeforeSuite(func(ctx SpecContext) {
	if os.Geteuid() != 0 {
		Skip("deploying on localbosh needs root")
	}
	_, err := os.Stat(filepath.Join(repo, "blobs", "etcd"))
	Expect(err).NotTo(HaveOccurred(), "the release's blobs are missing; run scripts/build-blobs")
	bosh, err = testdirector.Start(ctx, testdirector.Options{Logs: GinkgoWriter})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) { Expect(bosh.Cleanup(ctx)).To(Succeed()) })
	_, err = bosh.UploadReleaseDir(ctx, repo)
	Expect(err).NotTo(HaveOccurred())
	// Scenarios colocate its logger job with etcd (a job with a slow pre-stop).
	_, err = bosh.UploadReleaseDir(ctx, filepath.Join("..", "testdata", "fixture-release"))
	Expect(err).NotTo(HaveOccurred())
}, NodeTimeout(10*60*1e9))
