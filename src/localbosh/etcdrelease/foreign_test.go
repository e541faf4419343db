package etcdrelease_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// foreignDataDir is where a foreign etcd keeps its data inside a VM: off
// the persistent disk, so the instance's own data stays as it is.
const foreignDataDir = "/var/vcap/data/foreign-etcd"

// startForeignEtcd starts, inside an instance's VM and unknown to monit, a
// new one-member etcd cluster named name on the instance's own address and
// ports: a second cluster answering where the deployment expects one of
// its members. It waits until the foreign cluster serves. It runs until
// the spec ends; stop (idempotent) stops it sooner and removes its data.
func startForeignEtcd(ctx SpecContext, dep *etcdDeployment, which, name string) (clientURL string, stop func()) {
	GinkgoHelper()
	inst, err := bosh.Instance(ctx, dep.name, which)
	Expect(err).NotTo(HaveOccurred())
	ip := inst.IPs[0]
	peer, client := "http://"+ip+":2380", "http://"+ip+":2379"
	_, err = bosh.Run(ctx, dep.name, which, vm.Cmd{Argv: []string{"rm", "-rf", foreignDataDir}})
	Expect(err).NotTo(HaveOccurred())
	spawned, err := bosh.Spawn(ctx, dep.name, which, vm.Cmd{Argv: []string{
		"/var/vcap/packages/etcd/bin/etcd", "--name", name, "--data-dir", foreignDataDir,
		"--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		"--listen-client-urls", client, "--advertise-client-urls", client,
		"--initial-cluster", name + "=" + peer, "--initial-cluster-state", "new",
		"--initial-cluster-token", "foreign-" + dep.name,
	}})
	Expect(err).NotTo(HaveOccurred())
	stop = func() {
		Expect(spawned.Stop()).To(Succeed(), "the foreign etcd in %s", which)
		_, err := bosh.Run(context.WithoutCancel(ctx), dep.name, which, vm.Cmd{Argv: []string{"rm", "-rf", foreignDataDir}})
		Expect(err).NotTo(HaveOccurred())
	}
	DeferCleanup(stop)

	c := etcdClient([]string{client})
	Eventually(ctx, func() ([]string, error) {
		select {
		case <-spawned.Exited():
			return nil, StopTrying("the foreign etcd exited: " + spawned.Output())
		default:
		}
		members, err := memberList(ctx, c)
		return memberNames(members), err
	}).WithTimeout(30*time.Second).WithPolling(500*time.Millisecond).Should(Equal([]string{name}), "the foreign etcd serves")
	return client, stop
}

// unhealthyInstances describes the instances, other than those skipped
// (by index), whose job is not running or that have a process not
// running, as `instances --ps` shows them.
func unhealthyInstances(ctx context.Context, dep *etcdDeployment, skip ...int) []string {
	GinkgoHelper()
	var out []string
	for _, inst := range dep.instances(ctx) {
		if slices.Contains(skip, inst.Index) {
			continue
		}
		var bad []string
		for _, p := range inst.Processes {
			if p.State != "running" {
				bad = append(bad, p.Name+" "+p.State)
			}
		}
		if inst.JobState != "running" || len(bad) > 0 {
			out = append(out, fmt.Sprintf("etcd/%d: job %s, processes not running: %s", inst.Index, inst.JobState, strings.Join(bad, ", ")))
		}
	}
	return out
}

// walHead is the beginning of the oldest WAL file on an instance's
// persistent disk, read from the host. Its first records name the member
// and the cluster the data belongs to and never change while the member
// lives on that data; clearing, moving or replacing the data changes them.
func walHead(ctx context.Context, dep *etcdDeployment, which string) []byte {
	GinkgoHelper()
	dir, err := bosh.DiskDir(ctx, dep.name, which)
	Expect(err).NotTo(HaveOccurred())
	files, err := filepath.Glob(filepath.Join(dir, "etcd", "member", "wal", "*.wal"))
	Expect(err).NotTo(HaveOccurred())
	Expect(files).NotTo(BeEmpty(), "%s has no WAL in %s", which, dir)
	slices.Sort(files)
	f, err := os.Open(files[0])
	Expect(err).NotTo(HaveOccurred())
	defer f.Close()
	head := make([]byte, 256)
	_, err = io.ReadFull(f, head)
	Expect(err).NotTo(HaveOccurred())
	return head
}

// Issue 7, items 1 and 7: data is only cleared on the word of its own
// cluster, and a split brain is never silent.
var _ = Describe("a second cluster behind the deployment's names", Label("issue-7"), Ordered, ContinueOnFailure, func() {
	const keys = "before-split"
	dep := scenarioDeployment("etcd-foreign", withKeys(keys, 50),
		etcdProperty("start_timeout_in_seconds", 30), watchTimes("1000-30000"))

	It("shows a split brain in `instances`: an instance the split did not touch has a process failing", func(ctx SpecContext) {
		v, err := bosh.VM(ctx, dep.name, "etcd/2")
		Expect(err).NotTo(HaveOccurred())
		By("stopping etcd/2's etcd process through its monit")
		Expect(v.Stop(ctx, "etcd")).To(Succeed())
		DeferCleanup(func(ctx SpecContext) {
			By("starting etcd/2's etcd process again, on its data")
			Expect(v.Start(ctx, "etcd")).To(Succeed())
			Eventually(ctx, func() []string { return unhealthyInstances(ctx, dep) }).
				WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(BeEmpty())
			c := openClient(dep.endpoints(ctx))
			defer c.Close()
			expectMembers(ctx, c, time.Minute, "etcd-0", "etcd-1", "etcd-2")
		})
		By("starting a new one-member cluster named etcd-2 on etcd/2's address")
		startForeignEtcd(ctx, dep, "etcd/2", "etcd-2")

		By("expecting etcd/0 or etcd/1 to report a process failing, as `instances --ps` shows it")
		Eventually(ctx, func() []string { return unhealthyInstances(ctx, dep, 2) }).
			WithTimeout(90 * time.Second).WithPolling(2 * time.Second).ShouldNot(BeEmpty())
	}, SpecTimeout(6*time.Minute))

	It("refuses a peer of another cluster that answers first, and keeps etcd/0's data", func(ctx SpecContext) {
		By("stopping every instance")
		Expect(dep.changeState(ctx, director.JobStopped).Err()).NotTo(HaveOccurred())
		head := walHead(ctx, dep, "etcd/0")

		By("starting a new one-member cluster named etcd-1 on etcd/1's address, which answers etcd/0 first")
		foreign, stopForeign := startForeignEtcd(ctx, dep, "etcd/1", "etcd-1")

		By("starting the deployment: etcd/0, started first, must not take the foreign cluster's word")
		run := dep.changeState(ctx, director.JobStarted)
		Expect(bytes.Equal(walHead(ctx, dep, "etcd/0"), head)).To(BeTrue(),
			"etcd/0's WAL still begins as it did: its data of the deployment's cluster was not cleared, moved or replaced")
		Expect(memberNames(mustMembers(ctx, foreign))).To(Equal([]string{"etcd-1"}), "nothing joined the foreign cluster")
		Expect(run.Succeeded()).To(BeFalse(), "the start task fails while a foreign cluster answers at etcd/1")

		By("removing the foreign cluster and starting the deployment again: every key is there")
		stopForeign()
		run = dep.changeState(ctx, director.JobStarted)
		Expect(run.Err()).NotTo(HaveOccurred())
		c := dep.client(ctx)
		expectKeys(ctx, c, keys, 50)
		expectMembers(ctx, c, time.Minute, "etcd-0", "etcd-1", "etcd-2")
		expectOneCluster(ctx, c, dep.endpoints(ctx))
	}, SpecTimeout(6*time.Minute))
})

// mustMembers is the member list of the cluster at one client URL.
func mustMembers(ctx context.Context, url string) []*etcdserverpb.Member {
	GinkgoHelper()
	members, err := memberList(ctx, etcdClient([]string{url}))
	Expect(err).NotTo(HaveOccurred())
	return members
}
