package restore_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/restore"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/restore/restoretest"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The restore suite's members listen on 127.14.0.0/24.
var _ = Describe("FromSnapshot", func() {
	var (
		dir, dbFile string
		original    *restoretest.Etcd
		originalID  uint64
		ctx         context.Context
	)

	BeforeEach(func() {
		ctx = context.Background()
		dir = GinkgoT().TempDir()
		var err error
		original, err = restoretest.Start(etcdBin, "etcd-0", filepath.Join(dir, "original"), "127.14.0.1")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(original.Stop)
		c, err := original.Client()
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		for i := range 100 {
			_, err := c.Put(ctx, fmt.Sprintf("/keys/%03d", i), fmt.Sprintf("value-%d", i))
			Expect(err).NotTo(HaveOccurred())
		}
		resp, err := c.MemberList(ctx)
		Expect(err).NotTo(HaveOccurred())
		originalID = resp.Header.ClusterId
		dbFile = filepath.Join(dir, "snapshot.db")
		out, err := exec.Command(filepath.Join(filepath.Dir(etcdBin), "etcdctl"), "--endpoints", original.ClientURL(), "snapshot", "save", dbFile).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
	})

	options := func(dataDir string) restore.Options {
		return restore.Options{Etcdutl: restore.EtcdutlBeside(etcdBin), DBFile: dbFile, DataDir: dataDir,
			Name: "etcd-1", PeerURL: "http://127.14.0.2:2380"}
	}

	It("makes a new single-member cluster holding the keys, with a new cluster ID and the identity record rewritten", func() {
		dataDir := filepath.Join(dir, "store", "etcd")
		res, err := restore.FromSnapshot(ctx, options(dataDir))
		Expect(err).NotTo(HaveOccurred())
		Expect(res.MovedAside).To(BeEmpty())
		Expect(uint64(res.ClusterID)).NotTo(Equal(originalID))
		rec, ok, err := identity.ReadRecord(dataDir)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		Expect(rec).To(And(HaveField("ClusterID", res.ClusterID), HaveField("MemberID", res.MemberID),
			HaveField("Name", "etcd-1"), HaveField("PeerURLs", []string{"http://127.14.0.2:2380"}), HaveField("Voters", 1)))
		Expect(identity.Read(dataDir)).To(Equal(identity.Local{HasData: true, MemberID: res.MemberID, ClusterID: res.ClusterID}))
		Expect(os.ReadDir(dataDir)).To(HaveLen(2), "the member directory and the record; the temporary directory is gone")

		By("starting etcd on the restored data")
		restored, err := restoretest.Start(etcdBin, "etcd-1", dataDir, "127.14.0.2")
		Expect(err).NotTo(HaveOccurred())
		defer restored.Stop()
		c, err := restored.Client()
		Expect(err).NotTo(HaveOccurred())
		defer c.Close()
		resp, err := c.Get(ctx, "/keys/", clientv3.WithPrefix())
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Kvs).To(HaveLen(100))
		Expect(string(resp.Kvs[42].Value)).To(Equal("value-42"))
		Expect(resp.Header.ClusterId).To(Equal(uint64(res.ClusterID)))
		Expect(resp.Header.ClusterId).NotTo(Equal(originalID))
		members, err := c.MemberList(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(members.Members).To(HaveLen(1))
		Expect(members.Members[0].Name).To(Equal("etcd-1"))
		Expect(members.Members[0].PeerURLs).To(Equal([]string{"http://127.14.0.2:2380"}))
	})

	It("gives every restore of the same snapshot a new cluster ID", func() {
		a, err := restore.FromSnapshot(ctx, options(filepath.Join(dir, "a")))
		Expect(err).NotTo(HaveOccurred())
		b, err := restore.FromSnapshot(ctx, options(filepath.Join(dir, "b")))
		Expect(err).NotTo(HaveOccurred())
		Expect(a.ClusterID).NotTo(Equal(b.ClusterID))
		Expect(a.Token).NotTo(Equal(b.Token))
	})

	It("moves the data that was there aside, never deleting it", func() {
		dataDir := filepath.Join(dir, "store", "etcd")
		first, err := restore.FromSnapshot(ctx, options(dataDir))
		Expect(err).NotTo(HaveOccurred())
		o := options(dataDir)
		o.Now = func() time.Time { return time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC) }
		second, err := restore.FromSnapshot(ctx, o)
		Expect(err).NotTo(HaveOccurred())
		Expect(second.MovedAside).To(Equal(filepath.Join(dataDir, "before-restore-20261201T100000.000000000Z")))
		Expect(identity.Read(second.MovedAside)).To(HaveField("ClusterID", first.ClusterID))
		Expect(filepath.Join(second.MovedAside, "etcdfab-identity.json")).To(BeAnExistingFile())
		Expect(os.ReadFile(filepath.Join(second.MovedAside, "REASON"))).To(ContainSubstring(dbFile))
		Expect(identity.Read(dataDir)).To(HaveField("ClusterID", second.ClusterID))
	})

	DescribeTable("refuses a damaged snapshot and leaves the data directory as it was",
		func(damage func(path string)) {
			dataDir := filepath.Join(dir, "store", "etcd")
			before, err := restore.FromSnapshot(ctx, options(dataDir))
			Expect(err).NotTo(HaveOccurred())
			damage(dbFile)
			_, err = restore.FromSnapshot(ctx, options(dataDir))
			Expect(err).To(MatchError(restore.ErrRefused))
			Expect(err).To(MatchError(And(ContainSubstring(dbFile), ContainSubstring("corrupt, truncated"), ContainSubstring("nothing in "+dataDir+" was changed"))))
			Expect(identity.Read(dataDir)).To(Equal(identity.Local{HasData: true, MemberID: before.MemberID, ClusterID: before.ClusterID}))
			entries, err := os.ReadDir(dataDir)
			Expect(err).NotTo(HaveOccurred())
			Expect(entries).To(HaveLen(2), "member and the record: nothing moved aside, no temporary directory left")
		},
		Entry("truncated", func(path string) {
			st, err := os.Stat(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(os.Truncate(path, st.Size()/2)).To(Succeed())
		}),
		Entry("a byte flipped in the middle", func(path string) {
			data, err := os.ReadFile(path)
			Expect(err).NotTo(HaveOccurred())
			data[len(data)/2] ^= 0xff
			Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
		}),
		Entry("its trailing hash cut off", func(path string) {
			st, err := os.Stat(path)
			Expect(err).NotTo(HaveOccurred())
			Expect(os.Truncate(path, st.Size()-32)).To(Succeed())
		}),
	)

	It("names a missing snapshot file", func() {
		o := options(filepath.Join(dir, "x"))
		o.DBFile = filepath.Join(dir, "nope.db")
		_, err := restore.FromSnapshot(ctx, o)
		Expect(err).To(MatchError(ContainSubstring("nope.db")))
	})
})
