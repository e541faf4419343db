package etcdrelease_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/cli"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
	"github.com/cloudfoundry-incubator/etcd-release/src/tartest"
)

// BBR: `localbosh backup` and `localbosh restore` run the etcd job's
// bin/bbr scripts as `bbr deployment backup|restore` does. One deployment
// serves both specs: the first backs it up under load, deletes it with its
// disks, deploys it again empty and restores it; the second offers the
// restored cluster corrupted artifacts.
var _ = Describe("BBR backup and restore", Ordered, Label("issue-14"), func() {
	dep := &etcdDeployment{name: "etcd-bbr", ops: []string{replaceOp("/name", "etcd-bbr"), bbrOps()}}
	var artifacts, backupDir string

	BeforeAll(func(ctx SpecContext) {
		DeferCleanup(dep.forceDelete)
		artifacts = GinkgoT().TempDir() // the container's: the second spec reads the first one's backup
		dep.deploy(ctx)
	}, NodeTimeout(10*time.Minute))

	It("backs up under load, and restores every acknowledged key into the deployment deployed again after its deletion", func(ctx SpecContext) {
		c := dep.client(ctx)
		bulk := writeDRData(ctx, c, dep.endpoints(ctx)[0])
		putKeys(ctx, c, "before-backup", 100)
		load := localcluster.StartLoad(localcluster.Via(c, "plain"), localcluster.LoadOptions{Prefix: "bbr", MaxDuration: 5 * time.Minute})
		loadStarted := time.Now()   // at or after the load's own start
		time.Sleep(3 * time.Second) // writes acknowledged before the backup, which it must hold

		By("localbosh backup under load")
		backupStarted := time.Now()
		out := localbosh(ctx, 0, "-d", dep.name, "backup", "--artifact-path", artifacts)
		backupTook := time.Since(backupStarted)
		res, err := load.Stop(ctx, c)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.Failed).To(BeZero(), "the backup takes no lock: no operation fails")
		ackedBefore := ackedLogWrites(res, loadStarted, "bbr", backupStarted) // in the snapshot
		Expect(ackedBefore).NotTo(BeEmpty(), "the load wrote nothing before the backup began (%d operations)", res.Attempted)
		Expect(out).To(ContainSubstring("Backing up etcd on etcd/"))

		By("checking the backup's layout: <deployment>_<timestamp>, the shared tar with the snapshot, the others' own (empty), metadata with checksums")
		dirs, err := filepath.Glob(filepath.Join(artifacts, "etcd-bbr_*"))
		Expect(err).NotTo(HaveOccurred())
		Expect(dirs).To(HaveLen(1))
		backupDir = dirs[0]
		Expect(filepath.Base(backupDir)).To(MatchRegexp(`^etcd-bbr_\d{8}T\d{6}Z$`))
		names := dirNames(backupDir)
		Expect(names).To(ConsistOf("metadata", "manifest.yml", shared+".tar", "etcd-1-etcd.tar", "etcd-2-etcd.tar"))
		var meta struct {
			Instances []struct {
				Name, Index string
			} `yaml:"instances"`
			CustomArtifacts []struct {
				Name      string
				Checksums map[string]string
			} `yaml:"custom_artifacts"`
			BackupActivity map[string]string `yaml:"backup_activity"`
		}
		data, err := os.ReadFile(filepath.Join(backupDir, "metadata"))
		Expect(err).NotTo(HaveOccurred())
		Expect(yaml.Unmarshal(data, &meta)).To(Succeed())
		Expect(meta.CustomArtifacts).To(HaveLen(1))
		Expect(meta.CustomArtifacts[0].Name).To(Equal(shared))
		Expect(meta.CustomArtifacts[0].Checksums).To(HaveKey("./etcd.snapshot"))
		Expect(meta.CustomArtifacts[0].Checksums).To(HaveKey("./etcd.snapshot.sha256"))
		Expect(meta.BackupActivity).To(HaveKey("finish_time"))
		for _, inst := range dep.instances(ctx) {
			_, err := bosh.Run(ctx, dep.name, inst.ID, vmCmd("test", "!", "-e", "/var/vcap/store/bbr-backup"))
			Expect(err).NotTo(HaveOccurred(), "bbr's artifact directory is left on etcd/%d", inst.Index)
		}

		By("deleting the deployment and its disks, and deploying it again: an empty cluster")
		dep.deleteWithDisks(ctx)
		dep.deploy(ctx)
		c = dep.client(ctx)
		empty, err := readKeys(ctx, c, "before-backup")
		Expect(err).NotTo(HaveOccurred())
		Expect(empty).To(BeEmpty())
		emptyIDs, err := clusterIDs(ctx, c, dep.endpoints(ctx))
		Expect(err).NotTo(HaveOccurred())

		By("localbosh restore")
		restoreStarted := time.Now()
		out = localbosh(ctx, 0, "-d", dep.name, "restore", "--artifact-path", backupDir)
		restoreTook := time.Since(restoreStarted)
		Expect(out).To(ContainSubstring("Restoring etcd on etcd/"))

		c = dep.client(ctx)
		expectMembers(ctx, c, 2*time.Minute, "etcd-0", "etcd-1", "etcd-2")
		expectOneCluster(ctx, c, dep.endpoints(ctx))
		expectKeys(ctx, c, "before-backup", 100)
		expectKeysBack(ctx, c, "bbr-log", ackedBefore, "log writes acknowledged before the backup began")
		expectNewCluster(ctx, c, dep.endpoints(ctx), emptyIDs)
		bulk.expectBack(ctx, c)
		tar, err := os.Stat(filepath.Join(backupDir, shared+".tar"))
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("bbr backup took %s under load (%d operations, %d failed), restore %s; snapshot artifact %.1f MB; %d log keys acknowledged before the backup, all back%s\n",
			backupTook.Round(time.Millisecond), res.Attempted, res.Failed, restoreTook.Round(time.Millisecond), float64(tar.Size())/1e6, len(ackedBefore), bulk)
		AddReportEntry("localbosh bbr", map[string]any{"backup": backupTook.String(), "restore": restoreTook.String(), "keys_acked_before_backup": len(ackedBefore),
			"artifact_bytes": tar.Size(), "data_mib": bulk.n, "data_write": bulk.took.String(), "db_bytes": bulk.dbSize})
	}, SpecTimeout(15*time.Minute))

	It("refuses a backup whose snapshot was corrupted, and leaves the running cluster as it was", func(ctx SpecContext) {
		Expect(backupDir).NotTo(BeEmpty(), "the first spec made the backup")
		c := dep.client(ctx)
		before := dep.states(ctx)

		By("a flipped byte in the snapshot's tar: refused against the backup's metadata before any script runs")
		corrupt := copyBackup(backupDir)
		flipSnapshotByte(filepath.Join(corrupt, shared+".tar"))
		out := localbosh(ctx, 1, "-d", dep.name, "restore", "--artifact-path", corrupt)
		Expect(out).To(And(ContainSubstring("is corrupted"), ContainSubstring(shared+".tar"), ContainSubstring("./etcd.snapshot")))
		Expect(out).NotTo(ContainSubstring("Locking"))
		Expect(testdirector.InstanceChanges(before, dep.states(ctx))).To(BeEmpty(), "no process was stopped or started")
		expectKeys(ctx, c, "before-backup", 100)

		By("the same snapshot with the backup's metadata rewritten to match: the restore script's own sha256 check refuses it, before it touches data")
		rewriteChecksums(corrupt)
		out = localbosh(ctx, 1, "-d", dep.name, "restore", "--artifact-path", corrupt)
		Expect(out).To(And(ContainSubstring("restore script for job etcd failed"), ContainSubstring("corrupt or truncated"), ContainSubstring("nothing was changed")))
		Expect(out).To(ContainSubstring("Unlocking etcd on etcd/"), "the unlock runs after a failed restore")
		c = dep.client(ctx)
		expectMembers(ctx, c, 2*time.Minute, "etcd-0", "etcd-1", "etcd-2")
		expectOneCluster(ctx, c, dep.endpoints(ctx))
		expectKeys(ctx, c, "before-backup", 100)
	}, SpecTimeout(10*time.Minute))
})

// shared is the artifact bbr keeps the bootstrap instance's snapshot in
// with bbr.backup_one_restore_all: <job>-<release>-backup-one-restore-all.
const shared = "etcd-etcd-backup-one-restore-all"

// bbrOps is manifests/bosh-lite/ops/bbr.yml, which sets it.
func bbrOps() string {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(repo, "manifests", "bosh-lite", "ops", "bbr.yml"))
	Expect(err).NotTo(HaveOccurred())
	return string(data)
}

// localbosh runs the localbosh CLI against the test director and expects
// the exit code; it returns what the command printed.
func localbosh(ctx context.Context, code int, args ...string) string {
	GinkgoHelper()
	creds, err := api.ReadClientCredentials(bosh.StateDir())
	Expect(err).NotTo(HaveOccurred())
	env := map[string]string{"BOSH_ENVIRONMENT": bosh.Client().URL(), "BOSH_CLIENT": creds.Username,
		"BOSH_CLIENT_SECRET": creds.Password, "BOSH_CA_CERT": creds.CACertPath, cli.StateDirEnv: bosh.StateDir()}
	var out bytes.Buffer
	got := cli.Run(append([]string{"-n"}, args...), cli.Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
		Getenv: func(k string) string { return env[k] }})
	GinkgoWriter.Printf("$ localbosh %s\n%s(exit %d)\n", strings.Join(args, " "), out.String(), got)
	Expect(got).To(Equal(code), "localbosh %s:\n%s", strings.Join(args, " "), out.String())
	return out.String()
}

func dirNames(dir string) []string {
	GinkgoHelper()
	entries, err := os.ReadDir(dir)
	Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// copyBackup copies a backup directory into a new temporary directory.
func copyBackup(dir string) string {
	GinkgoHelper()
	dst := filepath.Join(GinkgoT().TempDir(), filepath.Base(dir))
	out, err := exec.Command("cp", "-a", "--", dir, dst).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s", out)
	return dst
}

// flipSnapshotByte rewrites the tar with one byte of ./etcd.snapshot
// flipped.
func flipSnapshotByte(path string) {
	GinkgoHelper()
	rewriteTar(path, func(name string, data []byte) []byte {
		if name == "./etcd.snapshot" {
			data[len(data)/2] ^= 0xff
		}
		return data
	})
}

// rewriteTar rewrites the tar at path, passing each regular entry's
// content through change.
func rewriteTar(path string, change func(name string, data []byte) []byte) {
	GinkgoHelper()
	f, err := os.Open(path)
	Expect(err).NotTo(HaveOccurred())
	var buf bytes.Buffer
	Expect(tartest.Rewrite(f, &buf, change)).To(Succeed())
	Expect(f.Close()).To(Succeed())
	Expect(os.WriteFile(path, buf.Bytes(), 0o600)).To(Succeed())
}

// rewriteChecksums makes the backup's metadata match its shared tar
// as it is now, as someone who edited the backup would.
func rewriteChecksums(dir string) {
	GinkgoHelper()
	sums := map[string]string{}
	rewriteTar(filepath.Join(dir, shared+".tar"), func(name string, data []byte) []byte {
		sums[name] = sha256Hex(data)
		return data
	})
	path := filepath.Join(dir, "metadata")
	data, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred())
	var doc map[string]any
	Expect(yaml.Unmarshal(data, &doc)).To(Succeed())
	for _, a := range doc["custom_artifacts"].([]any) {
		if a := a.(map[string]any); a["name"] == shared {
			a["checksums"] = sums
		}
	}
	out, err := yaml.Marshal(doc)
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(path, out, 0o600)).To(Succeed())
}

func vmCmd(argv ...string) vm.Cmd { return vm.Cmd{Argv: argv} }

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
