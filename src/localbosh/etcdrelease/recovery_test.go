package etcdrelease_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// What the disaster-recovery scenarios share (BBR, periodic snapshots): a
// load whose acknowledged log writes must come back, the deployment
// deleted with its disks, and the cluster that comes back checked.

// ackedLogWrites lists the log keys (<prefix>-log-*) whose write the load
// saw acknowledged before t. loadStarted is at or after the load's own
// start, so an op's return, counted from it, is no earlier than it was.
func ackedLogWrites(res localcluster.LoadResult, loadStarted time.Time, prefix string, t time.Time) []string {
	var keys []string
	for _, op := range res.Ops {
		if op.Put && op.Err == nil && strings.HasPrefix(op.Key, prefix+"-log-") && loadStarted.Add(op.Return).Before(t) {
			keys = append(keys, op.Key)
		}
	}
	return keys
}

// lastAckedWrite is when the load's last acknowledged write returned, at
// the latest (as ackedLogWrites counts).
func lastAckedWrite(res localcluster.LoadResult, loadStarted time.Time) time.Time {
	var last time.Time
	for _, op := range res.Ops {
		if t := loadStarted.Add(op.Return); op.Put && op.Err == nil && t.After(last) {
			last = t
		}
	}
	return last
}

// deleteWithDisks deletes the deployment, drains and all, as an operator
// does (its disks are orphaned: a new deployment of the name starts on new
// ones), and expects the task to succeed.
func (d *etcdDeployment) deleteWithDisks(ctx context.Context) {
	GinkgoHelper()
	run, err := bosh.DeleteDeployment(ctx, d.name, false)
	Expect(err).NotTo(HaveOccurred())
	Expect(run.Err()).NotTo(HaveOccurred())
}

// expectKeysBack reads every key under prefix and expects each of keys
// among them; why says what the keys are.
func expectKeysBack(ctx context.Context, c *clientv3.Client, prefix string, keys []string, why string) {
	GinkgoHelper()
	got, err := readKeys(ctx, c, prefix)
	Expect(err).NotTo(HaveOccurred())
	var missing []string
	for _, k := range keys {
		if _, ok := got[k]; !ok {
			missing = append(missing, k)
		}
	}
	Expect(missing).To(BeEmpty(), "%d of the %d %s are missing", len(missing), len(keys), why)
}

// expectNewCluster expects every endpoint to answer with a cluster ID
// that none of before (endpoint -> cluster ID) had.
func expectNewCluster(ctx context.Context, c *clientv3.Client, urls []string, before map[string]uint64) {
	GinkgoHelper()
	now, err := clusterIDs(ctx, c, urls)
	Expect(err).NotTo(HaveOccurred())
	old := map[uint64]bool{}
	for _, id := range before {
		old[id] = true
	}
	for ep, id := range now {
		Expect(old).NotTo(HaveKey(id), "%s answers with the cluster ID %x of the cluster before: a restore forms a new cluster", ep, id)
	}
}

// drDataEnv is the MB of data the disaster-recovery scenarios write
// before their load (1 MiB values of random bytes, incompressible, under
// etcd's 1.5 MB request limit), to measure them on a cluster that holds
// it; unset or 0, as CI runs them, they write none.
const drDataEnv = "ETCDRELEASE_DR_DATA_MB"

// drData is what writeDRData wrote: n values <dr-data>-0000 ... and how
// long the writes took, and the member's database size after them.
type drData struct {
	n      int
	took   time.Duration
	dbSize int64
}

const drDataPrefix = "dr-data"

// drValue is the value of the i-th key: 1 MiB from a generator seeded
// with i, so a check makes it again.
func drValue(i int) []byte {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(i))
	v := make([]byte, 1<<20)
	_, _ = rand.NewChaCha8(seed).Read(v)
	return v
}

func drKey(i int) string { return fmt.Sprintf("%s-%04d", drDataPrefix, i) }

// writeDRData writes the data drDataEnv asks for, each value
// acknowledged, and asks url for its database size.
func writeDRData(ctx context.Context, c *clientv3.Client, url string) drData {
	GinkgoHelper()
	var d drData
	if s := os.Getenv(drDataEnv); s != "" {
		var err error
		d.n, err = strconv.Atoi(s)
		Expect(err).NotTo(HaveOccurred(), "%s", drDataEnv)
	}
	if d.n <= 0 {
		return drData{}
	}
	By(fmt.Sprintf("writing %d MiB: %d values of 1 MiB under %s-", d.n, d.n, drDataPrefix))
	started := time.Now()
	for i := range d.n {
		put, cancel := call(ctx)
		_, err := c.Put(put, drKey(i), string(drValue(i)))
		cancel()
		Expect(err).NotTo(HaveOccurred())
	}
	d.took = time.Since(started)
	st, cancel := call(ctx)
	defer cancel()
	resp, err := c.Status(st, url)
	Expect(err).NotTo(HaveOccurred())
	d.dbSize = resp.DbSize
	return d
}

// expectBack reads the first and the last value back, byte for byte.
func (d drData) expectBack(ctx context.Context, c *clientv3.Client) {
	GinkgoHelper()
	if d.n == 0 {
		return
	}
	for _, i := range []int{0, d.n - 1} {
		get, cancel := call(ctx)
		resp, err := c.Get(get, drKey(i))
		cancel()
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Kvs).To(HaveLen(1), "%s is back", drKey(i))
		Expect(sha256Hex(resp.Kvs[0].Value)).To(Equal(sha256Hex(drValue(i))), "%s is back as written", drKey(i))
	}
}

// String says what was written, for a scenario's report line ("" if
// nothing).
func (d drData) String() string {
	if d.n == 0 {
		return ""
	}
	return fmt.Sprintf("; %d MiB written before the load in %s (database %.1f MB), the first and last values back", d.n,
		d.took.Round(time.Millisecond), float64(d.dbSize)/1e6)
}
