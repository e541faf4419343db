package bbr_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/bbr"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/restore/restoretest"
)

// The suite's member listens on 127.15.0.1.
var _ = Describe("Save and Verify", func() {
	var dir string

	BeforeEach(func(ctx SpecContext) {
		tmp := GinkgoT().TempDir()
		e, err := restoretest.Start(etcdBin, "etcd-0", filepath.Join(tmp, "data"), "127.15.0.1")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(e.Stop)
		kv, err := e.Client()
		Expect(err).NotTo(HaveOccurred())
		defer kv.Close()
		for i := range 50 {
			_, err := kv.Put(ctx, fmt.Sprintf("/k/%02d", i), "v")
			Expect(err).NotTo(HaveOccurred())
		}
		c, err := etcdclient.Dial([]string{e.ClientURL()}, nil)
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		dir = filepath.Join(tmp, "artifact")
		a, err := bbr.Save(ctx, c, dir+"/")
		Expect(err).NotTo(HaveOccurred())
		Expect(a.Bytes).To(BeNumerically(">", 0))
		entries, err := os.ReadDir(dir)
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		Expect(names).To(ConsistOf(bbr.SnapshotFile, bbr.ChecksumFile))
	})

	It("writes a snapshot etcdutl accepts and a checksum file sha256sum -c checks", func() {
		path, err := bbr.Verify(dir)
		Expect(err).NotTo(HaveOccurred())
		out, err := exec.Command(filepath.Join(filepath.Dir(etcdBin), "etcdutl"), "snapshot", "status", path).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		cmd := exec.Command("sha256sum", "-c", bbr.ChecksumFile)
		cmd.Dir = dir
		out, err = cmd.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
	})

	It("refuses a snapshot with a flipped byte, naming the file and both checksums", func() {
		path := filepath.Join(dir, bbr.SnapshotFile)
		data, err := os.ReadFile(path)
		Expect(err).NotTo(HaveOccurred())
		data[len(data)/2] ^= 0xff
		Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
		_, err = bbr.Verify(dir)
		Expect(err).To(MatchError(And(ContainSubstring(bbr.SnapshotFile), ContainSubstring("corrupt or truncated"), ContainSubstring("nothing was changed"))))
	})

	It("refuses a truncated snapshot", func() {
		path := filepath.Join(dir, bbr.SnapshotFile)
		st, err := os.Stat(path)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.Truncate(path, st.Size()/2)).To(Succeed())
		_, err = bbr.Verify(dir)
		Expect(err).To(MatchError(ContainSubstring("corrupt or truncated")))
	})

	It("refuses an artifact without its checksum file or with a malformed one", func() {
		Expect(os.WriteFile(filepath.Join(dir, bbr.ChecksumFile), []byte("not a checksum\n"), 0o600)).To(Succeed())
		_, err := bbr.Verify(dir)
		Expect(err).To(MatchError(ContainSubstring("does not hold")))
		Expect(os.Remove(filepath.Join(dir, bbr.ChecksumFile))).To(Succeed())
		_, err = bbr.Verify(dir)
		Expect(err).To(MatchError(ContainSubstring("not one the etcd job's backup wrote")))
	})

	It("refuses to run without BBR_ARTIFACT_DIRECTORY", func() {
		_, err := bbr.Verify("")
		Expect(err).To(MatchError(ContainSubstring("BBR_ARTIFACT_DIRECTORY is not set")))
		_, err = bbr.Save(context.Background(), nil, "")
		Expect(err).To(MatchError(ContainSubstring("BBR_ARTIFACT_DIRECTORY is not set")))
	})
})
