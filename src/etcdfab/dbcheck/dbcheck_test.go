package dbcheck_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	bolt "go.etcd.io/bbolt"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/dbcheck"
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

// keyRoot is the page of the database holding the root of etcd's key
// bucket, and the database's page size.
func keyRoot(db string) (page int64, pageSize int) {
	GinkgoHelper()
	b, err := bolt.Open(db, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	Expect(err).NotTo(HaveOccurred())
	defer b.Close()
	Expect(b.View(func(tx *bolt.Tx) error {
		page = int64(tx.Bucket([]byte("key")).Root())
		return nil
	})).To(Succeed())
	Expect(page).To(BeNumerically(">", 1), "the key bucket spans pages of its own")
	return page, b.Info().PageSize
}

// dataSize is how much of the database file holds pages (the file may be
// longer: bbolt grows it ahead).
func dataSize(db string) (size int64) {
	GinkgoHelper()
	b, err := bolt.Open(db, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	Expect(err).NotTo(HaveOccurred())
	defer b.Close()
	Expect(b.View(func(tx *bolt.Tx) error { size = tx.Size(); return nil })).To(Succeed())
	return size
}

// writeAt overwrites the file at off with data.
func writeAt(path string, off int64, data []byte) {
	GinkgoHelper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	_, err = f.WriteAt(data, off)
	Expect(err).NotTo(HaveOccurred())
}

// setMeta rewrites one of etcd's meta values in the database.
func setMeta(db, key string, v uint64) {
	GinkgoHelper()
	b, err := bolt.Open(db, 0o600, &bolt.Options{Timeout: time.Second})
	Expect(err).NotTo(HaveOccurred())
	defer b.Close()
	Expect(b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte(key), binary.BigEndian.AppendUint64(nil, v))
	})).To(Succeed())
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
		writeAt(last, 4096, []byte("garbage garbage garbage"))
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
		Expect(os.Truncate(dbcheck.DBPath(dir), dataSize(dbcheck.DBPath(dir))/2)).To(Succeed())
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
		info, err := os.Stat(dbcheck.DBPath(dir))
		Expect(err).NotTo(HaveOccurred())
		writeAt(dbcheck.DBPath(dir), 0, make([]byte, info.Size()))
		_, err = dbcheck.Check(dir, time.Second)
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
		setMeta(dbcheck.DBPath(dir), "consistent_index", res.WAL.Commit+1000)
		_, err = dbcheck.Check(dir, time.Second)
		problem(err, "ahead of the WAL's commit index")
	})

	It("catches a database older than the WAL's last snapshot", func() {
		dir := copyData()
		res, err := dbcheck.Check(dir, time.Second)
		Expect(err).NotTo(HaveOccurred())
		setMeta(dbcheck.DBPath(dir), "consistent_index", res.WAL.SnapshotIndex-1)
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
		page, size := keyRoot(dbcheck.DBPath(dir))
		// the page header's flags (after its 8-byte id) no longer say
		// branch or leaf
		writeAt(dbcheck.DBPath(dir), page*int64(size)+8, []byte{0x40, 0x00})
		_, err := check(dir)
		problem(err, "has unexpected type/flags")
	})

	It("reports a page of garbage as a Problem, even where reading it would crash", func() {
		dir := copyData()
		page, size := keyRoot(dbcheck.DBPath(dir))
		garbage := make([]byte, size)
		_, _ = rand.Read(garbage)
		garbage[8], garbage[9] = 0x01, 0x00 // still claims to be a branch page, pointing anywhere
		writeAt(dbcheck.DBPath(dir), page*int64(size), garbage)
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
