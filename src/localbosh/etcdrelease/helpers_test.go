package etcdrelease_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
)

// etcdDeployment is a deployment of the release made from
// manifests/bosh-lite/etcd.yml and ops files (YAML text) that give it its
// shape; every deploy of it applies them, then the deploy's own.
type etcdDeployment struct {
	name string
	ops  []string
}

// scenarioDeployment declares the deployment of an Ordered container
// (decorated ContinueOnFailure): renamed, with the ops given. BeforeAll
// makes it with setup (deploy, write data); it is deleted (forced) when
// the container ends. A spec that fails may leave it in any state, so
// before the next spec it is deleted and made again with setup: every
// spec starts from the deployment setup makes, and reports its own
// outcome whatever an earlier one did. Call it in the container's body.
func scenarioDeployment(name string, setup func(SpecContext, *etcdDeployment), ops ...string) *etcdDeployment {
	d := &etcdDeployment{name: name, ops: append([]string{replaceOp("/name", name)}, ops...)}
	var failed bool
	BeforeAll(func(ctx SpecContext) {
		DeferCleanup(d.forceDelete)
		setup(ctx, d)
	})
	AfterEach(func() { failed = failed || CurrentSpecReport().Failed() })
	BeforeEach(func(ctx SpecContext) {
		if !failed {
			return
		}
		failed = false
		By("deleting the deployment an earlier spec failed on, and making it again")
		d.forceDelete(ctx)
		setup(ctx, d)
	})
	return d
}

// withKeys is a scenario's setup: deploy, then write n keys under prefix.
func withKeys(prefix string, n int) func(SpecContext, *etcdDeployment) {
	return func(ctx SpecContext, d *etcdDeployment) {
		d.deploy(ctx)
		putKeys(ctx, d.client(ctx), prefix, n)
	}
}

// forceDelete deletes the deployment, forced, if it exists.
func (d *etcdDeployment) forceDelete(ctx SpecContext) {
	GinkgoHelper()
	if _, err := bosh.Client().Deployment(ctx, d.name); director.ErrorCode(err) == director.CodeDeploymentNotFound {
		return
	}
	run, err := bosh.DeleteDeployment(ctx, d.name, true)
	Expect(err).NotTo(HaveOccurred())
	Expect(run.Err()).NotTo(HaveOccurred())
}

// manifest is the deployment's manifest with the deploy's own ops applied.
// The scenarios run without TLS: where the release's bosh-lite manifest
// turns TLS (and consul) on, its ops/plain.yml, applied first, turns them
// off; a manifest without that ops file is plain already.
func (d *etcdDeployment) manifest(ops ...string) []byte {
	GinkgoHelper()
	dir := filepath.Join(repo, "manifests", "bosh-lite")
	data, err := os.ReadFile(filepath.Join(dir, "etcd.yml"))
	Expect(err).NotTo(HaveOccurred())
	var doc any
	Expect(yaml.Unmarshal(data, &doc)).To(Succeed())
	all := slices.Concat(d.ops, ops)
	plain, err := os.ReadFile(filepath.Join(dir, "ops", "plain.yml"))
	if !errors.Is(err, os.ErrNotExist) {
		Expect(err).NotTo(HaveOccurred())
		all = append([]string{string(plain)}, all...) // it replaces every etcd property: first
	}
	for i, text := range all {
		if text == "" {
			continue
		}
		parsed, err := opsfile.Parse(fmt.Sprintf("ops-%d.yml", i), []byte(text))
		Expect(err).NotTo(HaveOccurred())
		doc, err = parsed.Apply(doc)
		Expect(err).NotTo(HaveOccurred())
	}
	out, err := yaml.Marshal(doc)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// tryDeploy deploys and returns the finished task, whatever its end.
func (d *etcdDeployment) tryDeploy(ctx context.Context, ops ...string) testdirector.TaskRun {
	GinkgoHelper()
	run, err := bosh.Deploy(ctx, d.manifest(ops...), director.DeployOptions{})
	Expect(err).NotTo(HaveOccurred())
	return run
}

// deploy deploys and expects the task to succeed.
func (d *etcdDeployment) deploy(ctx context.Context, ops ...string) testdirector.TaskRun {
	GinkgoHelper()
	run := d.tryDeploy(ctx, ops...)
	Expect(run.Err()).NotTo(HaveOccurred())
	return run
}

// changeState starts, stops or restarts every instance of the deployment,
// as `localbosh -d NAME start|stop|restart` does, and returns the task.
func (d *etcdDeployment) changeState(ctx context.Context, state string) testdirector.TaskRun {
	GinkgoHelper()
	run, err := bosh.ChangeJobState(ctx, d.name, "*", "", state)
	Expect(err).NotTo(HaveOccurred())
	return run
}

// changeInstanceState starts or stops one instance of the etcd group, as
// `localbosh -d NAME start|stop etcd/<index>` does (a stop keeps its
// persistent disk), and returns the task.
func (d *etcdDeployment) changeInstanceState(ctx context.Context, inst director.Instance, state string) testdirector.TaskRun {
	GinkgoHelper()
	run, err := bosh.ChangeJobState(ctx, d.name, inst.JobName, inst.ID, state)
	Expect(err).NotTo(HaveOccurred())
	return run
}

// instances are the etcd group's instances, by index.
func (d *etcdDeployment) instances(ctx context.Context) []director.Instance {
	GinkgoHelper()
	all, err := bosh.Client().Instances(ctx, d.name)
	Expect(err).NotTo(HaveOccurred())
	var out []director.Instance
	for _, inst := range all {
		if inst.JobName == "etcd" {
			out = append(out, inst)
		}
	}
	slices.SortFunc(out, func(a, b director.Instance) int { return a.Index - b.Index })
	return out
}

// states are the deployment's instances with their processes' PIDs.
func (d *etcdDeployment) states(ctx context.Context) []testdirector.InstanceState {
	GinkgoHelper()
	states, err := bosh.InstanceStates(ctx, d.name)
	Expect(err).NotTo(HaveOccurred())
	return states
}

// endpoints are the client URLs of the deployment's instances, by index.
func (d *etcdDeployment) endpoints(ctx context.Context) []string {
	GinkgoHelper()
	var urls []string
	for _, inst := range d.instances(ctx) {
		urls = append(urls, clientURL(inst))
	}
	return urls
}

// clientURL is an instance's plain client URL.
func clientURL(inst director.Instance) string {
	GinkgoHelper()
	Expect(inst.IPs).NotTo(BeEmpty(), "instance %s/%d has no IP", inst.JobName, inst.Index)
	return "http://" + inst.IPs[0] + ":2379"
}

// client is an etcd client of every instance of the deployment.
func (d *etcdDeployment) client(ctx context.Context) *clientv3.Client {
	GinkgoHelper()
	return etcdClient(d.endpoints(ctx))
}

// etcdClient is a client of the given URLs, closed when the spec ends.
func etcdClient(urls []string) *clientv3.Client {
	GinkgoHelper()
	c := openClient(urls)
	DeferCleanup(c.Close)
	return c
}

// openClient is a client of the given URLs for the caller to close: in
// cleanup code, which cannot defer cleanups of its own.
func openClient(urls []string) *clientv3.Client {
	GinkgoHelper()
	c, err := clientv3.New(clientv3.Config{Endpoints: urls, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	Expect(err).NotTo(HaveOccurred())
	return c
}

// call bounds one etcd request.
func call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 10*time.Second)
}

// memberList is the cluster's member list, read linearizably.
func memberList(ctx context.Context, c *clientv3.Client) ([]*etcdserverpb.Member, error) {
	ctx, cancel := call(ctx)
	defer cancel()
	resp, err := c.MemberList(ctx)
	if err != nil {
		return nil, err
	}
	return resp.Members, nil
}

// voters lists the voting members' names, sorted.
func voters(ctx context.Context, c *clientv3.Client) []string {
	GinkgoHelper()
	members, err := memberList(ctx, c)
	Expect(err).NotTo(HaveOccurred())
	var names []string
	for _, m := range members {
		if !m.IsLearner {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	return names
}

// memberIDs maps every member, by memberName, to its ID.
func memberIDs(ctx context.Context, c *clientv3.Client) map[string]uint64 {
	GinkgoHelper()
	members, err := memberList(ctx, c)
	Expect(err).NotTo(HaveOccurred())
	ids := map[string]uint64{}
	for _, m := range members {
		ids[memberName(m)] = m.ID
	}
	return ids
}

// memberName is a member as tests show it: its name, or its peer URL
// while it has none (a learner that never started), with " (learner)"
// appended for learners.
func memberName(m *etcdserverpb.Member) string {
	name := m.Name
	if name == "" && len(m.PeerURLs) > 0 {
		name = m.PeerURLs[0]
	}
	if m.IsLearner {
		name += " (learner)"
	}
	return name
}

// memberNames lists a cluster's members by memberName, sorted.
func memberNames(members []*etcdserverpb.Member) []string {
	var names []string
	for _, m := range members {
		names = append(names, memberName(m))
	}
	slices.Sort(names)
	return names
}

// expectMembers waits until the cluster lists exactly the named voting
// members and no learner.
func expectMembers(ctx context.Context, c *clientv3.Client, timeout time.Duration, names ...string) {
	GinkgoHelper()
	want := slices.Sorted(slices.Values(names))
	Eventually(ctx, func() ([]string, error) {
		members, err := memberList(ctx, c)
		return memberNames(members), err
	}).WithTimeout(timeout).WithPolling(time.Second).Should(Equal(want))
}

// putKeys writes <prefix>-000 ... with values "value-<i>", each
// acknowledged.
func putKeys(ctx context.Context, c *clientv3.Client, prefix string, n int) {
	GinkgoHelper()
	for i := range n {
		ctx, cancel := call(ctx)
		_, err := c.Put(ctx, fmt.Sprintf("%s-%03d", prefix, i), "value-"+strconv.Itoa(i))
		cancel()
		Expect(err).NotTo(HaveOccurred())
	}
}

// readKeys reads every key under prefix linearizably: key -> value.
func readKeys(ctx context.Context, c *clientv3.Client, prefix string) (map[string]string, error) {
	ctx, cancel := call(ctx)
	defer cancel()
	resp, err := c.Get(ctx, prefix+"-", clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, kv := range resp.Kvs {
		out[string(kv.Key)] = string(kv.Value)
	}
	return out, nil
}

// expectKeys reads every key under prefix linearizably, retrying while
// the cluster does not answer (it may still be electing a leader), and
// expects exactly the n keys putKeys wrote: an answer without them is data
// lost, not a state to wait out.
func expectKeys(ctx context.Context, c *clientv3.Client, prefix string, n int) {
	GinkgoHelper()
	want := map[string]string{}
	for i := range n {
		want[fmt.Sprintf("%s-%03d", prefix, i)] = "value-" + strconv.Itoa(i)
	}
	var got map[string]string
	Eventually(ctx, func() (err error) {
		got, err = readKeys(ctx, c, prefix)
		return err
	}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
	Expect(got).To(HaveLen(n), "keys %s-* read back", prefix)
	Expect(got).To(Equal(want), "keys %s-* read back", prefix)
}

// clusterIDs asks every endpoint on its own for its status: endpoint ->
// the cluster ID it answers with.
func clusterIDs(ctx context.Context, c *clientv3.Client, urls []string) (map[string]uint64, error) {
	ids := map[string]uint64{}
	for _, u := range urls {
		ctx, cancel := call(ctx)
		st, err := c.Status(ctx, u)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("status of %s: %w", u, err)
		}
		ids[u] = st.Header.ClusterId
	}
	return ids, nil
}

// expectOneCluster waits until every endpoint answers and all answer with
// the same cluster ID and know a leader.
func expectOneCluster(ctx context.Context, c *clientv3.Client, urls []string) {
	GinkgoHelper()
	Eventually(ctx, func() error {
		ids, err := clusterIDs(ctx, c, urls)
		if err != nil {
			return err
		}
		seen := map[uint64]bool{}
		for _, id := range ids {
			seen[id] = true
		}
		if len(seen) != 1 {
			return fmt.Errorf("the members answer with %d cluster IDs: %x", len(seen), ids)
		}
		return nil
	}).WithTimeout(time.Minute).WithPolling(time.Second).Should(Succeed())
}

// replaceOp is an ops file with one replace operation.
func replaceOp(path string, value any) string {
	GinkgoHelper()
	out, err := yaml.Marshal([]map[string]any{{"type": "replace", "path": path, "value": value}})
	Expect(err).NotTo(HaveOccurred())
	return string(out)
}

// etcdProperty sets etcd.<name> of the etcd job.
func etcdProperty(name string, value any) string {
	return replaceOp("/instance_groups/name=etcd/jobs/name=etcd/properties/etcd/"+name+"?", value)
}

// instanceCount sets the etcd group's number of instances.
func instanceCount(n int) string {
	return replaceOp("/instance_groups/name=etcd/instances", n)
}

// watchTimes bounds how long the director waits for an instance to run
// after it started it (canaries and the rest): a start that fails on
// today's etcdfab fails in seconds, not in the manifest's 3 minutes.
func watchTimes(window string) string {
	return replaceOp("/update/canary_watch_time", window) + replaceOp("/update/update_watch_time", window)
}

// updatedInstances are the items of the task's "Updating instance" stage,
// as "etcd/<id> (<index>)[ (canary)]".
func updatedInstances(run testdirector.TaskRun) []string { return run.Started("Updating instance") }
