package integration_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/bbr"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// The etcd job's BBR backup and restore steps on a TLS cluster of real
// etcd members, without monit (the lock and unlock are etcdfab stop and
// start here; localbosh's etcdrelease suite runs them through monit).
var _ = Describe("etcdfab bbr on a TLS cluster", func() {
	// bbrStep runs `etcdfab bbr STEP` on node index with the artifact
	// directory, and returns its exit code and stderr.
	bbrStep := func(c *localcluster.Cluster, index int, dir, step string, args ...string) (int, string) {
		GinkgoHelper()
		cmd := exec.Command(etcdfabPath, append([]string{"bbr", step, "-config", c.ConfigPath(index)}, args...)...)
		cmd.Env = append(os.Environ(), "BBR_ARTIFACT_DIRECTORY="+dir+"/")
		out, err := cmd.CombinedOutput()
		if err != nil {
			var exit *exec.ExitError
			Expect(err).To(BeAssignableToTypeOf(exit), "%s", out)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	copyDir := func(src, dst string) {
		GinkgoHelper()
		out, err := exec.Command("cp", "-a", "--", src, dst).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "%s", out)
	}

	It("backs up on the bootstrap node, and restores the snapshot as a new cluster that the others join", func() {
		tlsCerts, err := localcluster.NewTLS()
		Expect(err).NotTo(HaveOccurred())
		c := newCluster(tlsCerts)
		Expect(c.AddHosts(3)).To(Succeed())
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		cl := client(c.Endpoints(cfgs...), tlsCerts)
		for i := range 50 {
			put(cl, fmt.Sprintf("bbr-%02d", i), "v")
		}
		before, err := cl.MemberList(ctx())
		Expect(err).NotTo(HaveOccurred())

		By("backing up: refused without bbr.backup_one_restore_all; the bootstrap node writes the snapshot, the others nothing")
		artifact := filepath.Join(GinkgoT().TempDir(), "artifact")
		code, out := bbrStep(c, 0, artifact, "backup")
		Expect(code).To(Equal(1))
		Expect(out).To(ContainSubstring("bbr.backup_one_restore_all is not true"))
		code, out = bbrStep(c, 0, artifact, "backup", "-backup-one-restore-all")
		Expect(code).To(Equal(0), out)
		Expect(filepath.Join(artifact, bbr.SnapshotFile)).To(BeAnExistingFile())
		Expect(filepath.Join(artifact, bbr.ChecksumFile)).To(BeAnExistingFile())
		other := filepath.Join(GinkgoT().TempDir(), "other")
		code, out = bbrStep(c, 1, other, "backup", "-backup-one-restore-all")
		Expect(code).To(Equal(0), out)
		Expect(other).NotTo(BeADirectory())

		By("refusing to restore while etcd runs")
		code, out = bbrStep(c, 0, artifact, "restore")
		Expect(code).To(Equal(1))
		Expect(out).To(ContainSubstring("etcd still runs"))

		for i := range 3 {
			Expect(c.Stop(i)).To(Succeed())
		}
		By("refusing a corrupted copy on etcd-1, its data untouched")
		corrupt := filepath.Join(GinkgoT().TempDir(), "corrupt")
		copyDir(artifact, corrupt)
		snap := filepath.Join(corrupt, bbr.SnapshotFile)
		data, err := os.ReadFile(snap)
		Expect(err).NotTo(HaveOccurred())
		data[len(data)/3] ^= 0x01
		Expect(os.WriteFile(snap, data, 0o600)).To(Succeed())
		code, out = bbrStep(c, 1, corrupt, "restore")
		Expect(code).To(Equal(1))
		Expect(out).To(ContainSubstring("corrupt or truncated"))
		Expect(hasData(c, 1)).To(BeTrue(), "etcd-1's data was touched")
		Expect(filepath.Join(c.NodeDir(1), "store", "moved-aside")).NotTo(BeADirectory())

		By("restoring on every node, the bootstrap node first")
		for i := range 3 {
			copy := filepath.Join(GinkgoT().TempDir(), "copy")
			copyDir(artifact, copy)
			code, out := bbrStep(c, i, copy, "restore")
			Expect(code).To(Equal(0), out)
		}
		asides, err := filepath.Glob(filepath.Join(c.NodeDir(0), "store", "before-restore-*"))
		Expect(err).NotTo(HaveOccurred())
		Expect(asides).To(HaveLen(1), "etcd-0's old data is kept")
		for _, i := range []int{1, 2} {
			Expect(hasData(c, i)).To(BeFalse())
			Expect(filepath.Join(c.NodeDir(i), "store", "moved-aside", "member")).To(BeADirectory(), "etcd-%d's old data is kept", i)
		}

		startAll(c, cfgs...)
		cl = client(c.Endpoints(cfgs...), tlsCerts)
		voters, learners := memberNames(cl)
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2"))
		Expect(learners).To(BeZero())
		resp, err := cl.Get(ctx(), "bbr-", clientv3WithPrefix())
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Kvs).To(HaveLen(50))
		Expect(resp.Header.ClusterId).NotTo(Equal(before.Header.ClusterId), "the restore forms a new cluster")
	})
})
