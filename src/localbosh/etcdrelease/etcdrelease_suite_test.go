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
// release (etcd 3.6.16, from a pinned commit) under a recorded load; and
// the disaster recovery of issue 14 (Label "issue-14"): BBR backup and
// restore, and periodic snapshots to s3:// with the automatic restore.
package etcdrelease_test

import (
	"net"
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

// s3Port is the gateway service port (testdirector.Options.GatewayServices)
// the snapshot scenario's S3 server listens on, on the gateway: the one
// port of the host, besides the director's API and DNS, that VMs reach.
var s3Port int

var _ = BeforeSuite(func(ctx SpecContext) {
	if os.Geteuid() != 0 {
		Skip("deploying on localbosh needs root")
	}
	_, err := os.Stat(filepath.Join(repo, "blobs", "etcd"))
	Expect(err).NotTo(HaveOccurred(), "the release's blobs are missing; run scripts/build-blobs")
	s3Port = freePort()
	bosh, err = testdirector.Start(ctx, testdirector.Options{Logs: GinkgoWriter, GatewayServices: []int{s3Port}})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) { Expect(bosh.Cleanup(ctx)).To(Succeed()) })
	_, err = bosh.UploadReleaseDir(ctx, repo)
	Expect(err).NotTo(HaveOccurred())
	// Scenarios colocate its logger job with etcd (a job with a slow pre-stop).
	_, err = bosh.UploadReleaseDir(ctx, filepath.Join("..", "testdata", "fixture-release"))
	Expect(err).NotTo(HaveOccurred())
}, NodeTimeout(10*60*1e9))

// freePort is a TCP port no process listens on now, on any address.
func freePort() int {
	GinkgoHelper()
	l, err := net.Listen("tcp", ":0")
	Expect(err).NotTo(HaveOccurred())
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
