package dbcheck_test

import (
	"context"
	"crypto/rand"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	bolt "go.etcd.io/bbolt"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/dbcheck"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/dbcheck/dbchecktest"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
)

// problem expects err to be a Problem with the database file, saying what.
func problem(err error, what string) {
	GinkgoHelper()
	var p *dbcheck.Problem
	Expect(err).To(BeAssignableToTypeOf(p), "a Problem, not a passing error: %v", err)
	p = err.(*dbcheck.Problem)
	Expect(p.File).To(HaveSuffix("member/snap/db"))
	Expect(p.What).To(ContainSubstring(what))
}

var _ = Describe("the WAL state", func() {
	It("reads what a real etcd's WAL committed, and its snapshots", func() {
		st, err := identity.ReadWALState(copyData())
		Expect(err).NotTo(HaveOccurred())
		Expect(st.Damaged).To(BeEmpty())
		Expect(st.Commit).To(BeNumerically(">=", keys))
		Expect(st.Term).To(BeNumerically(">=", 2))
		Expect(st.SnapshotIndex).To(BeNumerically(">=", 500), "--snapshot-count 500 made the WAL record snapshots")
	})

	It("stops at a record whose checksum does not match", func() {
		dir := copyData()
		st, err := identity.ReadWALState(dir)
		Expect(err).NotTo(HaveOccurred())
		wals, _ := os.ReadDir(identity.MemberDir(dir) + "/wal")
		last := identity.MemberDir(dir) + "/wal/" + wals[len(wals)-1].Name()
		Expect(dbchecktest.WriteAt(last, 4096, []byte("garbage garbage garbage"))).To(Succeed())
		damaged, err := identity.ReadWALState(dir)
		Expect(err).NotTo(HaveOccurred())
		Expect(damaged.Damaged).NotTo(BeEmpty())
		Expect(damaged.Records).To(BeNumerically("<", st.Records))
	})
})

var _ = Describe("Check", func() {
	It("passes a real etcd's database and reports its consistent index within the WAL's", func() {
		res, err := dbcheck.Check(copyData(), time.Second)
		Expect(err).NotTo(HaveOccurred())
		Expect(res.ConsistentIndex).To(BeNumerically(">=", keys))
		Expect(res.ConsistentIndex).To(BeNumerically("<=", res.WAL.Commit))
		Expect(res.ConsistentIndex).To(BeNumerically(">=", res.WAL.SnapshotIndex))
		Expect(res.Term).To(BeNumerically(">=", 2))
	})

	It("catches a truncated database", func() {
		dir := copyData()
		Expect(dbchecktest.Truncate(dbcheck.DBPath(dir))).To(Succeed())
		_, err := dbcheck.Check(dir, time.Second)
		problem(err, "truncated")
	})

	It("catches a database cut to nothing", func() {
		dir := copyData()
		Expect(os.Truncate(dbcheck.DBPath(dir), 0)).To(Succeed())
		_, err := dbcheck.Check(dir, time.Second)
		problem(err, "empty")
	})

	It("catches a zeroed database", func() {
		dir := copyData()
		Expect(dbchecktest.Zero(dbcheck.DBPath(dir))).To(Succeed())
		_, err := dbcheck.Check(dir, time.Second)
		problem(err, "does not open")
	})

	It("catches a database missing beside its WAL", func() {
		dir := copyData()
		Expect(os.Rename(dbcheck.DBPath(dir), dbcheck.DBPath(dir)+".gone")).To(Succeed())
		_, err := dbcheck.Check(dir, time.Second)
		problem(err, "missing, while the WAL holds")
	})

	It("catches a database whose consistent index is ahead of the WAL's commit", func() {
		dir := copyData()
		res, err := dbcheck.Check(dir, time.Second)
		Expect(err).NotTo(HaveOccurred())
		Expect(dbchecktest.SetMeta(dbcheck.DBPath(dir), "consistent_index", res.WAL.Commit+1000)).To(Succeed())
		_, err = dbcheck.Check(dir, time.Second)
		problem(err, "ahead of the WAL's commit index")
	})

	It("catches a database older than the WAL's last snapshot", func() {
		dir := copyData()
		res, err := dbcheck.Check(dir, time.Second)
		Expect(err).NotTo(HaveOccurred())
		Expect(dbchecktest.SetMeta(dbcheck.DBPath(dir), "consistent_index", res.WAL.SnapshotIndex-1)).To(Succeed())
		_, err = dbcheck.Check(dir, time.Second)
		problem(err, "behind the WAL's last snapshot")
	})

	It("does not hang on a database another process holds, and does not call it bad", func() {
		dir := copyData()
		b, err := bolt.Open(dbcheck.DBPath(dir), 0o600, &bolt.Options{Timeout: time.Second})
		Expect(err).NotTo(HaveOccurred())
		defer b.Close()
		start := time.Now()
		_, err = dbcheck.Check(dir, 300*time.Millisecond)
		Expect(err).To(MatchError(ContainSubstring("still locked after 300ms")))
		Expect(err).NotTo(BeAssignableToTypeOf(&dbcheck.Problem{}))
		Expect(time.Since(start)).To(BeNumerically("<", 5*time.Second))
	})
})

var _ = Describe("Isolated", func() {
	check := func(dir string) (dbcheck.Result, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return dbcheck.Isolated(etcdfabPath, time.Second)(ctx, dir)
	}

	It("passes a real etcd's database through etcdfab check-db", func() {
		res, err := check(copyData())
		Expect(err).NotTo(HaveOccurred())
		Expect(res.ConsistentIndex).To(BeNumerically(">=", keys))
	})

	It("reports a bad database as a Problem", func() {
		dir := copyData()
		Expect(os.Truncate(dbcheck.DBPath(dir), 0)).To(Succeed())
		_, err := check(dir)
		problem(err, "empty")
	})

	It("reports a corrupted page of the key bucket as a Problem, though bbolt panics on it", func() {
		dir := copyData()
		Expect(dbchecktest.CorruptKeyPage(dbcheck.DBPath(dir))).To(Succeed())
		_, err := check(dir)
		problem(err, "has unexpected type/flags")
	})

	It("reports a page of garbage as a Problem, even where reading it would crash", func() {
		dir := copyData()
		garbage := make([]byte, 1<<16)
		_, _ = rand.Read(garbage)
		Expect(dbchecktest.GarbleKeyPage(dbcheck.DBPath(dir), garbage)).To(Succeed())
		_, err := check(dir)
		var p *dbcheck.Problem
		Expect(err).To(BeAssignableToTypeOf(p), "%v", err)
	})

	It("says what failed when the data cannot be checked", func() {
		_, err := check(GinkgoT().TempDir())
		Expect(err).To(MatchError(ContainSubstring("reading the WAL")))
		Expect(err).NotTo(BeAssignableToTypeOf(&dbcheck.Problem{}))
	})
})
