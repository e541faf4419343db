package bbr

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func jobOn(group string, index int, bootstrap bool, name string, meta jobMetadata, scripts ...string) *job {
	j := &job{inst: Instance{Group: group, Index: index, ID: group + "-id", Bootstrap: bootstrap}, name: name, scripts: map[string]string{}, meta: meta}
	for _, s := range scripts {
		j.scripts[s] = "/var/vcap/jobs/" + name + "/bin/bbr/" + s
	}
	return j
}

var _ = Describe("lock order", func() {
	backupBefore := func(j *job) []lockBefore { return j.meta.BackupShouldBeLockedBefore }

	It("locks a job before the jobs its metadata names, ignoring jobs the deployment lacks", func() {
		jobs := []*job{
			jobOn("db", 0, true, "db", jobMetadata{}, "pre-backup-lock"),
			jobOn("api", 0, true, "api", jobMetadata{BackupShouldBeLockedBefore: []lockBefore{{JobName: "db", Release: "r"}, {JobName: "absent", Release: "r"}}}, "pre-backup-lock"),
		}
		order, err := lockOrder(jobs, backupBefore)
		Expect(err).NotTo(HaveOccurred())
		Expect(order).To(Equal([]string{"api", "db"}))
	})

	It("refuses a cycle", func() {
		jobs := []*job{
			jobOn("a", 0, true, "a", jobMetadata{BackupShouldBeLockedBefore: []lockBefore{{JobName: "b", Release: "r"}}}),
			jobOn("b", 0, true, "b", jobMetadata{BackupShouldBeLockedBefore: []lockBefore{{JobName: "a", Release: "r"}}}),
		}
		_, err := lockOrder(jobs, backupBefore)
		Expect(err).To(MatchError(ContainSubstring("cyclic lock order")))
	})

	It("runs a job's script on the bootstrap instance first, then by index; unlocks reverse the job order", func() {
		jobs := []*job{
			jobOn("etcd", 2, false, "etcd", jobMetadata{}, "post-restore-unlock"),
			jobOn("etcd", 1, true, "etcd", jobMetadata{}, "post-restore-unlock"),
			jobOn("etcd", 0, false, "etcd", jobMetadata{}, "post-restore-unlock"),
			jobOn("etcd", 3, false, "etcd", jobMetadata{}),
		}
		var got []int
		for _, j := range inOrder(jobs, []string{"etcd"}, "post-restore-unlock") {
			got = append(got, j.inst.Index)
		}
		Expect(got).To(Equal([]int{1, 0, 2}))
	})
})

var _ = Describe("named artifacts", func() {
	It("refuses two instances with one backup name, and a restore name no backup produces", func() {
		named := func(j *job, backup, restore string) *job { j.backupName, j.restoreName = backup, restore; return j }
		Expect(checkNames([]*job{named(jobOn("etcd", 0, true, "etcd", jobMetadata{}), "snap", "snap"), named(jobOn("etcd", 1, false, "etcd", jobMetadata{}), "", "snap")}, "d")).To(Succeed())
		Expect(checkNames([]*job{named(jobOn("etcd", 0, true, "etcd", jobMetadata{}), "snap", "snap"), named(jobOn("etcd", 1, false, "etcd", jobMetadata{}), "snap", "snap")}, "d")).
			To(MatchError(ContainSubstring("specified the same backup name: snap")))
		Expect(checkNames([]*job{named(jobOn("etcd", 1, false, "etcd", jobMetadata{}), "", "snap")}, "d")).
			To(MatchError(ContainSubstring("produces snap artifact which is not present")))
	})

	It("shares the bootstrap instance's backup with every instance when the manifest sets bbr.backup_one_restore_all, as current bbr does", func() {
		m, err := parseManifest([]byte(`
instance_groups:
- name: etcd
  jobs:
  - name: etcd
    release: etcd
    properties: {bbr: {backup_one_restore_all: true}}
- name: other
  jobs:
  - {name: etcd, release: etcd}
`))
		Expect(err).NotTo(HaveOccurred())
		var log bytes.Buffer
		boot, peer := jobOn("etcd", 0, true, "etcd", jobMetadata{}), jobOn("etcd", 1, false, "etcd", jobMetadata{})
		plain := jobOn("other", 0, true, "etcd", jobMetadata{BackupName: "old", RestoreName: "old"})
		for _, j := range []*job{boot, peer, plain} {
			j.nameArtifacts(m, &log)
		}
		Expect([]string{boot.backupName, boot.restoreName}).To(Equal([]string{"etcd-etcd-backup-one-restore-all", "etcd-etcd-backup-one-restore-all"}))
		Expect([]string{peer.backupName, peer.restoreName}).To(Equal([]string{"", "etcd-etcd-backup-one-restore-all"}))
		Expect(peer.backupDir()).To(Equal("/var/vcap/store/bbr-backup/etcd"))
		Expect([]string{plain.backupName, plain.restoreName}).To(Equal([]string{"", "old"}), "backup_name is discontinued")
		Expect(log.String()).To(ContainSubstring("discontinued metadata keys backup_name/restore_name found in job etcd"))
	})

	It("keeps a named artifact in <name>.tar and a default one in <group>-<index>-<job>.tar", func() {
		inst := Instance{Group: "etcd", Index: 2}
		Expect(artifactFile("etcd-snapshot", true, inst)).To(Equal("etcd-snapshot.tar"))
		Expect(artifactFile("etcd", false, inst)).To(Equal("etcd-2-etcd.tar"))
	})
})

var _ = Describe("backup metadata", func() {
	var dir string

	writeTar := func(name string, files map[string]string) {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		Expect(tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755})).To(Succeed())
		for n, content := range files {
			Expect(tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o600, Size: int64(len(content))})).To(Succeed())
			_, err := tw.Write([]byte(content))
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(tw.Close()).To(Succeed())
		Expect(os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o600)).To(Succeed())
	}

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		writeTar("etcd-snapshot.tar", map[string]string{"./etcd.snapshot": "snapshot", "./etcd.snapshot.sha256": "sum"})
		writeTar("etcd-1-etcd.tar", nil)
		m := &metadata{}
		for _, f := range []struct {
			file  string
			named bool
			inst  Instance
			name  string
		}{{"etcd-snapshot.tar", true, Instance{Group: "etcd"}, "etcd-snapshot"}, {"etcd-1-etcd.tar", false, Instance{Group: "etcd", Index: 1}, "etcd"}} {
			sums, err := fileChecksums(filepath.Join(dir, f.file))
			Expect(err).NotTo(HaveOccurred())
			m.add(artifactMetadata{Name: f.name, Checksums: sums}, f.named, f.inst)
		}
		Expect(m.save(dir)).To(Succeed())
	})

	It("reads back what it wrote and validates the tars", func() {
		m, err := readMetadata(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.CustomArtifacts).To(HaveLen(1))
		Expect(m.CustomArtifacts[0].Checksums).To(HaveKey("./etcd.snapshot"))
		Expect(m.Instances).To(HaveLen(1))
		Expect(m.Instances[0].Index).To(Equal("1"))
		Expect(m.validate(dir)).To(Succeed())
	})

	It("names the tar and the file whose checksum differs", func() {
		writeTar("etcd-snapshot.tar", map[string]string{"./etcd.snapshot": "snapshoT", "./etcd.snapshot.sha256": "sum"})
		m, err := readMetadata(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.validate(dir)).To(MatchError(And(ContainSubstring("is corrupted"), ContainSubstring("etcd-snapshot.tar"), ContainSubstring("./etcd.snapshot has sha256"))))
	})

	It("refuses a tar with a file the metadata does not list, or without one it lists", func() {
		writeTar("etcd-snapshot.tar", map[string]string{"./etcd.snapshot": "snapshot", "./etcd.snapshot.sha256": "sum", "./extra": "x"})
		m, err := readMetadata(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(m.validate(dir)).To(MatchError(ContainSubstring("./extra is not in the metadata")))
		writeTar("etcd-snapshot.tar", map[string]string{"./etcd.snapshot": "snapshot"})
		Expect(m.validate(dir)).To(MatchError(ContainSubstring("./etcd.snapshot.sha256 is missing")))
	})

	It("says what --artifact-path must name when there is no metadata", func() {
		_, err := readMetadata(GinkgoT().TempDir())
		Expect(err).To(MatchError(ContainSubstring("--artifact-path names a backup directory")))
	})
})
