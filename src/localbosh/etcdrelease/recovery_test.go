package etcdrelease_test

import (
	"context"
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
