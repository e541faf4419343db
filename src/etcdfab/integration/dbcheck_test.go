package integration_test

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/dbcheck"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/dbcheck/dbchecktest"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// Issue 14's data validation before start, with real etcd: a member whose
// database went bad while it was stopped is never started on it.

// putValues writes n keys under prefix with values long enough for etcd's
// key bucket to span pages of its own.
func putValues(cli *clientv3.Client, prefix string, n int) {
	GinkgoHelper()
	for i := range n {
		put(cli, fmt.Sprintf("%s-%04d", prefix, i), strings.Repeat("v", 200)+fmt.Sprint(i))
	}
}

// treeSum sums up every file under dir, names and contents.
func treeSum(dir string) string {
	GinkgoHelper()
	h := sha256.New()
	Expect(filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		fmt.Fprintf(h, "%s %d\n", path, len(data))
		h.Write(data)
		return err
	})).To(Succeed())
	return fmt.Sprintf("%x", h.Sum(nil))
}

var _ = Describe("checking a member's database before start", func() {
	It("replaces a member whose database was corrupted while it was stopped from its peers, losing no acknowledged write", func() {
		c := newCluster(nil)
		cfgs := configs(c, 3, 0, 1, 2)
		startAll(c, cfgs...)
		cli := client(c.Endpoints(cfgs...), nil)
		putValues(cli, "before", 200)
		load := localcluster.StartLoad(localcluster.Via(cli, "plain"), localcluster.LoadOptions{Prefix: "dbcheck", MaxDuration: 3 * time.Minute})
		time.Sleep(time.Second)
		oldID := memberID(cli, cfgs[2].MemberName())

		By("stopping etcd-2 and corrupting a page of its database")
		Expect(c.Stop(2)).To(Succeed())
		db := dbcheck.DBPath(cfgs[2].Etcd.DataDir)
		Expect(dbchecktest.CorruptKeyPage(db)).To(Succeed())
		putValues(cli, "while-stopped", 50)

		By("starting it again: it rejoins from its peers")
		started := time.Now()
		Expect(c.StartAndWait(cfgs[2])).To(Succeed())
		GinkgoWriter.Printf("etcd-2 replaced and healthy in %s\n", time.Since(started).Round(time.Millisecond))
		Expect(logHas(c, 2, "the member's database is bad; replacing this member from its peers")).To(BeTrue())
		Eventually(func() []string { v, l := memberNames(cli); return append(v, fmt.Sprint(l)) }, "60s", "500ms").
			Should(ConsistOf(cfgs[0].MemberName(), cfgs[1].MemberName(), cfgs[2].MemberName(), "0"), "three voters, no learner left")
		Expect(memberID(cli, cfgs[2].MemberName())).NotTo(Equal(oldID), "a new member replaced the one with bad data")

		By("keeping the bad data aside, with the reason")
		kept, err := filepath.Glob(filepath.Join(cfgs[2].Etcd.DataDir, "corrupt", "*"))
		Expect(err).NotTo(HaveOccurred())
		Expect(kept).To(HaveLen(1))
		Expect(filepath.Join(kept[0], "member", "snap", "db")).To(BeAnExistingFile())
		Expect(os.ReadFile(filepath.Join(kept[0], "REASON"))).To(And(ContainSubstring("member/snap/db"), ContainSubstring("page")))

		By("reading every key back through etcd-2 itself")
		self := client(c.Endpoints(cfgs[2]), nil)
		for _, prefix := range []string{"before", "while-stopped"} {
			n := map[string]int{"before": 200, "while-stopped": 50}[prefix]
			resp, err := self.Get(ctx(), prefix+"-", clientv3.WithPrefix(), clientv3.WithSerializable())
			Expect(err).NotTo(HaveOccurred())
			Expect(resp.Kvs).To(HaveLen(n), "etcd-2's own store holds every %s key", prefix)
		}
		res, err := load.Stop(ctx(), self)
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("load: %d operations, %d failed %v, %d lost, linearizable %s\n", res.Attempted, res.Failed, res.FailedBy, len(res.Lost), res.Linearizable)
		Expect(res.Violations(localcluster.Bounds{MaxFailed: -1})).To(BeEmpty())
	})

	It("refuses to start a single member on a truncated database, keeping the data untouched", func() {
		c := newCluster(nil)
		cfgs := configs(c, 1, 0)
		startAll(c, cfgs...)
		putValues(client(c.Endpoints(cfgs...), nil), "only", 100)
		Expect(c.Stop(0)).To(Succeed())
		db := dbcheck.DBPath(cfgs[0].Etcd.DataDir)
		Expect(dbchecktest.Truncate(db)).To(Succeed())
		before := treeSum(cfgs[0].Etcd.DataDir)

		Expect(c.Start(cfgs[0])).To(Succeed())
		Eventually(report(c, cfgs[0]), "30s", "200ms").Should(And(HaveField("Phase", status.Refused),
			HaveField("Message", And(ContainSubstring(db), ContainSubstring("truncated"), ContainSubstring("snapshot or BBR backup")))))
		Consistently(report(c, cfgs[0]), "3s", "500ms").Should(HaveField("Phase", status.Refused))
		Expect(c.Stop(0)).To(Succeed())
		Expect(treeSum(cfgs[0].Etcd.DataDir)).To(Equal(before), "the data is untouched")
		Expect(filepath.Join(cfgs[0].Etcd.DataDir, "corrupt")).NotTo(BeAnExistingFile())
	})
})
