package etcdrelease_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// previousCommit is the last commit of this repository whose release
// shipped etcd 3.6.16: the release an operator upgrades from.
const previousCommit = "569bddfc52210349a951b0ab91b8c07ec6b05481"

// createRelease makes a dev release of dir, as `bosh create-release
// --force` run n times would (each run records the next dev version), and
// uploads the last one. It returns that version.
func createRelease(ctx context.Context, dir string, n int) string {
	GinkgoHelper()
	tarball := filepath.Join(GinkgoT().TempDir(), "release.tgz")
	var created release.Created
	var err error
	for i := range n {
		opts := release.CreateOptions{Force: true}
		if i == n-1 {
			opts.Tarball = tarball
		}
		created, err = release.Create(ctx, dir, opts)
		Expect(err).NotTo(HaveOccurred(), "creating a release from %s", dir)
	}
	task, err := bosh.Client().UploadReleaseFile(ctx, created.TarballPath)
	Expect(err).NotTo(HaveOccurred())
	run, err := bosh.Wait(ctx, task)
	Expect(err).NotTo(HaveOccurred())
	Expect(run.Err()).NotTo(HaveOccurred())
	return created.Manifest.Version
}

// releaseFromCommit writes the repository at commit, with this checkout's
// blobs (build-blobs keeps the previous etcd's blob), into a directory.
func releaseFromCommit(ctx context.Context, commit string) string {
	GinkgoHelper()
	dir := filepath.Join(GinkgoT().TempDir(), "etcd-release")
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	for _, script := range []string{
		fmt.Sprintf("git -C %q archive %s | tar -x -C %q", repo, commit, dir),
		fmt.Sprintf("cp -a %q %q", filepath.Join(repo, "blobs"), filepath.Join(dir, "blobs")),
	} {
		out, err := exec.CommandContext(ctx, "sh", "-c", script).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s: %s", script, out)
	}
	return dir
}

// expectMoved checks a deploy that moved every member to another etcd:
// three instances updated, no acknowledged write lost, a linearizable
// history, and every member answering on version.
func expectMoved(ctx context.Context, c *clientv3.Client, endpoints []string, run testdirector.TaskRun, res localcluster.LoadResult, version string) {
	GinkgoHelper()
	Expect(run.Started("Updating instance")).To(HaveLen(3))
	Expect(res.Lost).To(BeEmpty())
	Expect(res.Linearizable).To(Equal("ok"))
	for _, ep := range endpoints {
		st, err := c.Status(ctx, ep)
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Version).To(Equal(version))
	}
}

func releaseVersion(version string) string { return replaceOp("/releases/name=etcd/version", version) }

var _ = Describe("upgrading from the previous version of the release, and back", Ordered, func() {
	var previous, current string
	dep := &etcdDeployment{name: "etcd-upgrade", ops: []string{replaceOp("/name", "etcd-upgrade")}}

	BeforeAll(func(ctx SpecContext) {
		DeferCleanup(dep.forceDelete)
		By("creating the previous release (etcd 3.6.16) from commit " + previousCommit[:7] + " and this one again, numbered after it")
		// Both are numbered after the suite's own upload (0+dev.1), this one
		// last, so `latest` stays this checkout's release for the others.
		previous = createRelease(ctx, releaseFromCommit(ctx, previousCommit), 2)
		copied := filepath.Join(GinkgoT().TempDir(), "etcd-release")
		out, err := exec.CommandContext(ctx, "cp", "-a", "--", repo, copied).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s", out)
		Expect(os.RemoveAll(filepath.Join(copied, "dev_releases"))).To(Succeed())
		current = createRelease(ctx, copied, 3)
		GinkgoWriter.Printf("previous release %s, this release %s\n", previous, current)
	}, NodeTimeout(20*time.Minute))

	It("upgrades a cluster of the previous release by a rolling deploy under load, losing no acknowledged write", func(ctx SpecContext) {
		dep.deploy(ctx, releaseVersion(previous))
		c := dep.client(ctx)
		endpoints := dep.endpoints(ctx)
		for _, ep := range endpoints {
			st, err := c.Status(ctx, ep)
			Expect(err).NotTo(HaveOccurred())
			Expect(st.Version).To(Equal("3.6.16"))
		}
		putKeys(ctx, c, "before-upgrade", 50)

		load := localcluster.StartLoad(localcluster.Via(c, "plain"), localcluster.LoadOptions{Prefix: "upgrade"})
		started := time.Now()
		run := dep.deploy(ctx, releaseVersion(current))
		took := time.Since(started)
		res, err := load.Stop(ctx, c)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("bosh deploy 3.6.16 -> 3.7.3 took %s; load %s: %d operations attempted, %d failed %v, %d acknowledged writes lost, longest stall %s, linearizable: %s\n",
			took.Round(time.Second), res.Duration.Round(time.Millisecond), res.Attempted, res.Failed, res.FailedBy, len(res.Lost),
			res.LongestStall.Round(time.Millisecond), res.Linearizable)
		AddReportEntry("localbosh upgrade", map[string]any{"deploy": took.String(), "attempted": res.Attempted, "failed": res.Failed,
			"lost": len(res.Lost), "longest_stall": res.LongestStall.String(), "linearizable": res.Linearizable})
		expectMoved(ctx, c, endpoints, run, res, "3.7.3")
		expectKeys(ctx, c, "before-upgrade", 50)
		log, err := bosh.ReadFile(ctx, dep.name, "etcd/0", "/var/vcap/sys/log/etcd/etcdfab.log")
		Expect(err).NotTo(HaveOccurred())
		Expect(string(log)).To(ContainSubstring("upgrade check passed"))
	}, SpecTimeout(20*time.Minute))

	It("goes back to the previous release after etcdfab downgrade, under load, losing no acknowledged write", func(ctx SpecContext) {
		c := dep.client(ctx)
		endpoints := dep.endpoints(ctx)
		load := localcluster.StartLoad(localcluster.Via(c, "plain"), localcluster.LoadOptions{Prefix: "downgrade"})
		started := time.Now()
		By("etcdfab downgrade on etcd/0: snapshot, validate, enable, wait for the storage version")
		out, err := bosh.Run(ctx, dep.name, "etcd/0", vm.Cmd{Argv: []string{"/var/vcap/packages/etcdfab/bin/etcdfab", "downgrade",
			"-config", "/var/vcap/jobs/etcd/config/etcdfab.json", "-snapshot", "/var/vcap/store/etcd-snapshots/before-downgrade.db"}})
		Expect(err).NotTo(HaveOccurred())
		Expect(string(out)).To(ContainSubstring("cluster 3.7 -> 3.6"))
		helper := time.Since(started)
		By("deploying the previous release")
		run := dep.deploy(ctx, releaseVersion(previous))
		took := time.Since(started)
		res, err := load.Stop(ctx, c)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("etcdfab downgrade took %s, with the bosh deploy 3.7.3 -> 3.6.16 %s; load %s: %d operations attempted, %d failed %v, %d acknowledged writes lost, longest stall %s, linearizable: %s\n",
			helper.Round(time.Millisecond), took.Round(time.Second), res.Duration.Round(time.Millisecond), res.Attempted, res.Failed, res.FailedBy,
			len(res.Lost), res.LongestStall.Round(time.Millisecond), res.Linearizable)
		AddReportEntry("localbosh downgrade", map[string]any{"helper": helper.String(), "with_deploy": took.String(), "attempted": res.Attempted,
			"failed": res.Failed, "lost": len(res.Lost), "longest_stall": res.LongestStall.String(), "linearizable": res.Linearizable})
		expectMoved(ctx, c, endpoints, run, res, "3.6.16")
		expectKeys(ctx, c, "before-upgrade", 50)
		disk, err := bosh.DiskDir(ctx, dep.name, "etcd/0")
		Expect(err).NotTo(HaveOccurred())
		Expect(filepath.Join(disk, "etcd-snapshots", "before-downgrade.db")).To(BeAnExistingFile())
	}, SpecTimeout(20*time.Minute))
})
