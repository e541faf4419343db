package integration_test

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/s3server"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/snapshot"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// The snapshot specs run on subnets of their own (127.0.200.0 and up, and
// the S3 server on 127.14.<subnet>.1), away from the rest of the suite's.
var snapshotSubnets atomic.Int32

var _ = Describe("snapshots and the automatic restore after total loss", func() {
	newCluster := func(tls *localcluster.TLS) *localcluster.Cluster {
		return newClusterOn(200+10*GinkgoParallelProcess()+int(snapshotSubnets.Add(1)), tls)
	}
	// stopAll stops every node gracefully; wipe then takes each node's
	// data directory away, as losing every disk does.
	stopAll := func(c *localcluster.Cluster, n int) {
		for i := range n {
			Expect(c.Stop(i)).To(Succeed())
			Eventually(c.Exited(i), "30s").Should(BeClosed())
		}
	}
	wipe := func(c *localcluster.Cluster, n int) {
		for i := range n {
			Expect(os.RemoveAll(filepath.Join(c.NodeDir(i), "store"))).To(Succeed())
		}
	}
	keys := func(cli *clientv3.Client) map[string]string {
		resp, err := cli.Get(ctx(), "/k/", clientv3.WithPrefix())
		Expect(err).NotTo(HaveOccurred())
		out := map[string]string{}
		for _, kv := range resp.Kvs {
			out[string(kv.Key)] = string(kv.Value)
		}
		return out
	}
	clusterID := func(cli *clientv3.Client) uint64 {
		resp, err := cli.MemberList(ctx())
		Expect(err).NotTo(HaveOccurred())
		return resp.Header.ClusterId
	}
	saveNow := func(c *localcluster.Cluster, index int) string {
		out, err := exec.Command(etcdfabPath, "snapshot", "save", "-config", c.ConfigPath(index)).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		Expect(string(out)).To(MatchRegexp(`saved etcd-snapshot-\S+ to .*: \d+ bytes, revision \d+`))
		return string(out)
	}
	etcdfabLog := func(c *localcluster.Cluster, index int) string {
		data, _ := os.ReadFile(filepath.Join(c.NodeDir(index), "etcdfab.log"))
		return string(data)
	}

	It("snapshots a 3-node cluster periodically from its leader to s3:// (gzip, encrypted) and brings every key back after every disk is lost", func() {
		c := newCluster(nil)
		_, err := s3server.Bin()
		Expect(err).NotTo(HaveOccurred())
		s3, err := s3server.Start(s3server.Options{Addr: fmt.Sprintf("127.14.%d.1:7070", c.Subnet()), Dir: GinkgoT().TempDir(), Buckets: []string{"backups"}})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(s3.Stop)
		key := make([]byte, 32)
		_, _ = rand.Read(key)
		snapshots := config.Snapshots{Destination: "s3://backups/etcd/deployment-1", Interval: "2s", Retention: 3, Gzip: true,
			EncryptionKey: base64.StdEncoding.EncodeToString(key),
			S3:            config.S3{Endpoint: s3.Endpoint, Region: "us-east-1", AccessKeyID: s3.AccessKey, SecretAccessKey: s3.Secret, PathStyle: true}}
		withSnapshots := func(cfg *config.Config) { cfg.Etcd.Snapshots = snapshots }
		cfgs := []config.Config{c.Config(0, 3, withSnapshots), c.Config(1, 3, withSnapshots), c.Config(2, 3, withSnapshots)}
		startAll(c, cfgs...)
		cli := client(c.Endpoints(cfgs...), nil)
		want := map[string]string{}
		for i := range 200 {
			k, v := fmt.Sprintf("/k/%03d", i), fmt.Sprintf("v%d", i)
			put(cli, k, v)
			want[k] = v
		}
		resp, err := cli.Get(ctx(), "/k/199")
		Expect(err).NotTo(HaveOccurred())
		lastRevision := resp.Header.Revision
		originalID := clusterID(cli)

		store, err := snapshot.Open(snapshots.Destination, snapshot.S3Options{Endpoint: s3.Endpoint, Region: "us-east-1",
			AccessKeyID: s3.AccessKey, SecretAccessKey: s3.Secret, PathStyle: true})
		Expect(err).NotTo(HaveOccurred())
		By("the leader, and only the leader, taking a snapshot every interval, pruned to the retention")
		leader := func() string {
			st, err := cli.Status(ctx(), c.Endpoints(cfgs[0])[0])
			Expect(err).NotTo(HaveOccurred())
			resp, err := cli.MemberList(ctx())
			Expect(err).NotTo(HaveOccurred())
			for _, m := range resp.Members {
				if m.ID == st.Leader {
					return m.Name
				}
			}
			return ""
		}()
		Eventually(func(g Gomega) {
			l, err := snapshot.List(ctx(), store)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(l.Broken).To(BeEmpty())
			g.Expect(l.Snapshots).To(HaveLen(3))
			g.Expect(l.Snapshots[0].Revision).To(BeNumerically(">=", lastRevision))
			for _, m := range l.Snapshots {
				g.Expect(m).To(And(HaveField("Member", leader), HaveField("Gzip", true), HaveField("Encrypted", true)))
				g.Expect(m.Created.Sub(l.Snapshots[len(l.Snapshots)-1].Created)).To(BeNumerically(">=", 0))
			}
			g.Expect(l.Snapshots[0].Created.Sub(l.Snapshots[1].Created)).To(BeNumerically(">=", 2*time.Second-10*time.Millisecond), "one snapshot per interval")
		}, "40s", "500ms").Should(Succeed())

		By("an operator taking one on demand from a follower")
		follower := 0
		for i, cfg := range cfgs {
			if cfg.MemberName() != leader {
				follower = i
			}
		}
		Expect(saveNow(c, follower)).To(ContainSubstring(".db.gz.enc to s3://backups/etcd/deployment-1"))

		By("losing every member's disk")
		stopAll(c, 3)
		wipe(c, 3)

		By("starting them all again: the bootstrap instance restores the newest snapshot, the others join it")
		startAll(c, cfgs...)
		cli = client(c.Endpoints(cfgs...), nil)
		Expect(keys(cli)).To(Equal(want))
		voters, learners := memberNames(cli)
		Expect(voters).To(ConsistOf("etcd-0", "etcd-1", "etcd-2"))
		Expect(learners).To(BeZero())
		Expect(clusterID(cli)).NotTo(Equal(originalID), "a restored cluster is a new cluster")
		Expect(etcdfabLog(c, 0)).To(ContainSubstring("restored the cluster from a snapshot"))
		for _, i := range []int{1, 2} {
			Expect(etcdfabLog(c, i)).NotTo(ContainSubstring("restored the cluster from a snapshot"))
			Expect(localValue(c.Endpoints(cfgs[i])[0], nil, "/k/150")).To(Equal("v150"))
		}
	})

	It("skips a corrupted latest snapshot for the next older one, and refuses to form an empty cluster when none is valid", func() {
		c := newCluster(nil)
		dir := filepath.Join(GinkgoT().TempDir(), "snapshots")
		withSnapshots := func(cfg *config.Config) {
			cfg.Etcd.Snapshots = config.Snapshots{Destination: "file://" + dir, Interval: "1h", Retention: 10, Gzip: true}
		}
		cfg := c.Config(0, 1, withSnapshots)
		startAll(c, cfg)
		cli := client(c.Endpoints(cfg), nil)
		put(cli, "/k/a", "1")
		saveNow(c, 0)
		put(cli, "/k/b", "2")
		time.Sleep(10 * time.Millisecond) // names are to the millisecond
		saveNow(c, 0)
		store, err := snapshot.Open("file://"+dir, snapshot.S3Options{})
		Expect(err).NotTo(HaveOccurred())
		l, err := snapshot.List(ctx(), store)
		Expect(err).NotTo(HaveOccurred())
		Expect(len(l.Snapshots)).To(BeNumerically(">=", 2))
		corrupt := func(m snapshot.Metadata) {
			path := filepath.Join(dir, m.Object)
			data, err := os.ReadFile(path)
			Expect(err).NotTo(HaveOccurred())
			data[len(data)/2] ^= 0xff
			Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
		}
		out, err := exec.Command(etcdfabPath, "snapshot", "list", "-config", c.ConfigPath(0)).CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), string(out))
		for _, m := range l.Snapshots {
			Expect(string(out)).To(MatchRegexp(m.Name + `\s+\S+\s+\S+\s+` + fmt.Sprint(m.Revision)))
		}
		corrupt(l.Snapshots[0])

		stopAll(c, 1)
		wipe(c, 1)
		startAll(c, cfg)
		cli = client(c.Endpoints(cfg), nil)
		Expect(keys(cli)).To(Equal(map[string]string{"/k/a": "1"}), "restored from the snapshot before the corrupted one")
		log := etcdfabLog(c, 0)
		Expect(log).To(ContainSubstring("skipping an invalid snapshot"))
		Expect(log).To(ContainSubstring(l.Snapshots[0].Name))

		By("refusing when every snapshot is invalid")
		stopAll(c, 1)
		wipe(c, 1)
		l, err = snapshot.List(ctx(), store)
		Expect(err).NotTo(HaveOccurred())
		for _, m := range l.Snapshots[1:] { // the newest is corrupted already
			corrupt(m)
		}
		Expect(c.Start(cfg)).To(Succeed())
		Eventually(report(c, cfg), "30s").Should(And(HaveField("Phase", status.Refused),
			HaveField("Message", And(ContainSubstring("refusing to form an empty cluster"), ContainSubstring("etcd.snapshots.destination")))))
		Consistently(func() bool { return hasData(c, 0) }, "3s").Should(BeFalse())
	})
})
