package etcdrelease_test

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"path/filepath"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/s3server"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/snapshot"
)

// Periodic snapshots and the automatic restore: the BBR scenario's shape
// with no manual step. The deployment snapshots itself every 5s to
// s3://, over HTTPS to a real S3 server (versitygw) that the test runs on
// the bridge's gateway, the one host port the VMs may reach besides the
// director's (testdirector.Options.GatewayServices); gzip, encrypted,
// retention 3. Deleted with its disks and deployed again with the same
// manifest, it comes back from the newest snapshot by itself.
var _ = Describe("periodic snapshots to s3:// and the automatic restore after total loss", Ordered, Label("issue-14"), func() {
	const bucket, destination = "etcd-snapshots", "s3://etcd-snapshots/etcd-snapshots-scenario"
	dep := &etcdDeployment{name: "etcd-snapshots"}
	var store snapshot.Store
	var key []byte

	BeforeAll(func(ctx SpecContext) {
		srv, err := s3server.Start(s3server.Options{Addr: net.JoinHostPort(bosh.Network().Gateway.String(), strconv.Itoa(s3Port)),
			Dir: GinkgoT().TempDir(), Buckets: []string{bucket}, TLS: true})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Stop) // after the deployment is deleted: its drains may still snapshot
		s3 := snapshot.S3Options{Endpoint: srv.Endpoint, Region: "us-east-1", AccessKeyID: srv.AccessKey,
			SecretAccessKey: srv.Secret, CACert: srv.CACert, PathStyle: true}
		store, err = snapshot.Open(destination, s3)
		Expect(err).NotTo(HaveOccurred())
		key = make([]byte, 32)
		_, _ = rand.Read(key)
		dep.ops = []string{replaceOp("/name", dep.name), etcdProperty("snapshots", map[string]any{
			"destination": destination, "interval": "5s", "retention": 3, "gzip": true,
			"encryption_key": base64.StdEncoding.EncodeToString(key),
			"s3": map[string]any{"endpoint": s3.Endpoint, "region": s3.Region, "access_key_id": s3.AccessKeyID,
				"secret_access_key": s3.SecretAccessKey, "ca_cert": s3.CACert, "path_style": true},
		})}
		DeferCleanup(dep.forceDelete)
		dep.deploy(ctx)
	}, NodeTimeout(10*time.Minute))

	It("snapshots itself under load and, deleted with its disks and deployed again, comes back from the newest snapshot with every key it holds", func(ctx SpecContext) {
		c := dep.client(ctx)
		bulk := writeDRData(ctx, c, dep.endpoints(ctx)[0])
		load := localcluster.StartLoad(localcluster.Via(c, "plain"), localcluster.LoadOptions{Prefix: "snap", MaxDuration: 5 * time.Minute})
		loadStarted := time.Now() // at or after the load's own start
		time.Sleep(3 * time.Second)

		By("waiting, under load, for a snapshot newer than every write acknowledged so far")
		asked := time.Now()
		var taken snapshot.Metadata
		Eventually(ctx, func() (time.Time, error) {
			m, _, err := snapshot.Latest(ctx, store)
			taken = m
			return m.Created, err
		}).WithTimeout(time.Minute).WithPolling(500 * time.Millisecond).Should(BeTemporally(">", asked))
		res, err := load.Stop(ctx, c)
		Expect(err).NotTo(HaveOccurred())
		acked := ackedLogWrites(res, loadStarted, "snap", taken.Created) // in that snapshot
		Expect(acked).NotTo(BeEmpty(), "the load wrote nothing before the snapshot (%d operations)", res.Attempted)
		lastAck := lastAckedWrite(res, loadStarted)
		Expect(taken.Object).To(Equal(taken.Name+".db.gz.enc"), "gzip and encryption are on")
		Expect(taken.Gzip && taken.Encrypted).To(BeTrue())
		Eventually(ctx, func() (int, error) {
			l, err := snapshot.List(ctx, store)
			return len(l.Snapshots), err
		}).WithTimeout(15*time.Second).Should(BeNumerically("<=", 3), "etcd.snapshots.retention is 3")
		before, err := clusterIDs(ctx, c, dep.endpoints(ctx))
		Expect(err).NotTo(HaveOccurred())

		By("deleting the deployment and its disks")
		dep.deleteWithDisks(ctx)
		newest, ok, err := snapshot.Latest(ctx, store)
		Expect(err).NotTo(HaveOccurred())
		Expect(ok).To(BeTrue())
		Expect(newest.Created).NotTo(BeTemporally("<", taken.Created))
		wrong := make([]byte, 32)
		_, _ = rand.Read(wrong)
		err = snapshot.Fetch(ctx, store, newest, wrong, filepath.Join(GinkgoT().TempDir(), "wrong-key.db"))
		Expect(err).To(MatchError(ContainSubstring("authentication failed")), "the stored snapshot is encrypted: another key does not open it")
		Expect(snapshot.Invalid(err)).To(BeTrue(), "a wrong key makes the snapshot invalid, not the destination unreachable: %v", err)

		By("deploying it again with the same manifest: no manual step")
		deployStarted := time.Now()
		dep.deploy(ctx)
		c = dep.client(ctx)
		Eventually(ctx, func() ([]string, error) {
			got, err := readKeys(ctx, c, "snap-log")
			var missing []string
			for _, k := range acked {
				if _, ok := got[k]; !ok {
					missing = append(missing, k)
				}
			}
			return missing, err
		}).WithTimeout(time.Minute).WithPolling(200*time.Millisecond).Should(BeEmpty(),
			"every log write acknowledged before snapshot %s is back", taken.Name)
		rto := time.Since(deployStarted)
		expectMembers(ctx, c, 2*time.Minute, "etcd-0", "etcd-1", "etcd-2")
		expectOneCluster(ctx, c, dep.endpoints(ctx))
		expectNewCluster(ctx, c, dep.endpoints(ctx), before)
		expectKeysBack(ctx, c, "snap-log", ackedLogWrites(res, loadStarted, "snap", newest.Created), "log writes acknowledged before the newest snapshot")
		bulk.expectBack(ctx, c)

		By("the bootstrap instance, and it alone, restored the newest snapshot, saying so")
		for _, inst := range dep.instances(ctx) {
			log, err := bosh.ReadFile(ctx, dep.name, inst.ID, "/var/vcap/sys/log/etcd/etcdfab.log")
			Expect(err).NotTo(HaveOccurred())
			if inst.Bootstrap {
				Expect(string(log)).To(And(ContainSubstring("TOTAL LOSS"), ContainSubstring("restored the cluster from a snapshot"), ContainSubstring(newest.Name)))
			} else {
				Expect(string(log)).NotTo(ContainSubstring("restored the cluster from a snapshot"), "etcd/%d", inst.Index)
			}
		}

		// RPO: how much older the restored snapshot is than the last
		// acknowledged write (0: it holds every write).
		rpo := max(lastAck.Sub(newest.Created), 0)
		all := ackedLogWrites(res, loadStarted, "snap", lastAck.Add(time.Nanosecond))
		got, err := readKeys(ctx, c, "snap-log")
		Expect(err).NotTo(HaveOccurred())
		lost := 0
		for _, k := range all {
			if _, ok := got[k]; !ok {
				lost++
			}
		}
		GinkgoWriter.Printf("snapshots: restored %s (revision %d, %.1f MB stored); RTO %s (deploy start to every key readable), RPO %s (snapshot vs the last acknowledged write); "+
			"load %d operations, %d failed; %d log writes acknowledged, %d of them after the restored snapshot and lost%s\n",
			newest.Name, newest.Revision, float64(newest.Size)/1e6, rto.Round(time.Millisecond), rpo.Round(time.Millisecond), res.Attempted, res.Failed, len(all), lost, bulk)
		AddReportEntry("localbosh snapshots", map[string]any{"rto": rto.String(), "rpo": rpo.String(), "snapshot": newest.Name,
			"snapshot_bytes": newest.Size, "acked_log_writes": len(all), "lost_after_snapshot": lost,
			"data_mib": bulk.n, "data_write": bulk.took.String(), "db_bytes": bulk.dbSize})
		Expect(res.Failed).To(BeZero(), "the periodic snapshots take no lock: no operation fails (%s)", res.FailedText())
	}, SpecTimeout(15*time.Minute))
})
