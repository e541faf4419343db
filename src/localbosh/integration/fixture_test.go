package integration_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
)

// fixtureRelease is the name in ../testdata/fixture-release/config/final.yml.
const fixtureRelease = "lbfixture"

// fixtureDeployment is one spec's deployment of the fixture release: its
// manifest as a document that specs change and deploy again, and the host
// directory its logger jobs record their hooks in.
type fixtureDeployment struct {
	name      string
	recordDir string
	doc       map[string]any
}

// newFixtureDeployment starts a manifest with no instance groups. The
// deployment is deleted when the spec (or Ordered container) ends, before
// its record directory goes.
func newFixtureDeployment(name string) *fixtureDeployment {
	d := &fixtureDeployment{name: name, recordDir: GinkgoT().TempDir()}
	d.doc = map[string]any{
		"name":      name,
		"releases":  []any{map[string]any{"name": fixtureRelease, "version": "latest"}},
		"stemcells": []any{map[string]any{"alias": "default", "os": "ubuntu-jammy", "version": "latest"}},
		"update": map[string]any{
			"canaries": 1, "max_in_flight": 10,
			// Poll for running right after monit start, then every second.
			"canary_watch_time": "0-9000", "update_watch_time": "0-9000",
		},
		"instance_groups": []any{},
	}
	DeferCleanup(func(ctx SpecContext) {
		if _, err := bosh.Client().Deployment(ctx, name); director.ErrorCode(err) == director.CodeDeploymentNotFound {
			return
		}
		run, err := bosh.DeleteDeployment(ctx, name, true)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
	})
	return d
}

// addLoggerGroup adds an instance group running the logger job on the
// default network, with its upstream link switched off (tests about links
// switch it on) and the required properties set.
func (d *fixtureDeployment) addLoggerGroup(name string, instances int) map[string]any {
	group := map[string]any{
		"name": name, "instances": instances, "azs": []any{"z1"}, "vm_type": "default", "stemcell": "default",
		"networks": []any{map[string]any{"name": "default"}},
		"jobs": []any{map[string]any{
			"name": "logger", "release": fixtureRelease,
			"consumes": map[string]any{"upstream": "nil"},
			"properties": map[string]any{"logger": map[string]any{
				"greeting": "hello from " + name, "record_dir": d.recordDir,
			}},
		}},
	}
	d.doc["instance_groups"] = append(d.doc["instance_groups"].([]any), group)
	return group
}

// addErrandGroup adds an errand instance group running the smoke job.
func (d *fixtureDeployment) addErrandGroup(name string) map[string]any {
	group := map[string]any{
		"name": name, "lifecycle": "errand", "instances": 1, "azs": []any{"z1"}, "vm_type": "default",
		"stemcell": "default", "networks": []any{map[string]any{"name": "default"}},
		"jobs": []any{map[string]any{"name": "smoke", "release": fixtureRelease, "properties": map[string]any{"smoke": map[string]any{}}}},
	}
	d.doc["instance_groups"] = append(d.doc["instance_groups"].([]any), group)
	return group
}

// group is the named instance group of the manifest.
func (d *fixtureDeployment) group(name string) map[string]any {
	GinkgoHelper()
	for _, g := range d.doc["instance_groups"].([]any) {
		if g.(map[string]any)["name"] == name {
			return g.(map[string]any)
		}
	}
	Fail("the manifest has no instance group " + name)
	return nil
}

// job is the first job of a group.
func (d *fixtureDeployment) job(group string) map[string]any {
	return d.group(group)["jobs"].([]any)[0].(map[string]any)
}

// props are the properties of the job of a group under its top-level key
// (logger.*, smoke.*), for specs to change.
func (d *fixtureDeployment) props(group string) map[string]any {
	for _, v := range d.job(group)["properties"].(map[string]any) {
		return v.(map[string]any)
	}
	return nil
}

// deploy deploys the manifest as it is now and returns the finished task.
func (d *fixtureDeployment) deploy(ctx context.Context, opts ...director.DeployOptions) testdirector.TaskRun {
	GinkgoHelper()
	var o director.DeployOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	run, err := bosh.DeployDoc(ctx, d.doc, o)
	Expect(err).NotTo(HaveOccurred())
	return run
}

// mustDeploy deploys and expects the task to succeed.
func (d *fixtureDeployment) mustDeploy(ctx context.Context, opts ...director.DeployOptions) testdirector.TaskRun {
	GinkgoHelper()
	run := d.deploy(ctx, opts...)
	Expect(run.Err()).NotTo(HaveOccurred())
	return run
}

// instances lists the deployment's instances as the director reports them.
func (d *fixtureDeployment) instances(ctx context.Context) []director.Instance {
	GinkgoHelper()
	instances, err := bosh.Client().Instances(ctx, d.name)
	Expect(err).NotTo(HaveOccurred())
	return instances
}

// instancesOf lists one group's instances, by index.
func (d *fixtureDeployment) instancesOf(ctx context.Context, group string) []director.Instance {
	GinkgoHelper()
	var out []director.Instance
	for _, inst := range d.instances(ctx) {
		if inst.JobName == group {
			out = append(out, inst)
		}
	}
	slices.SortFunc(out, func(a, b director.Instance) int { return a.Index - b.Index })
	return out
}

// record is one line the logger job's record tool wrote.
type record struct {
	TimeNS         int64              `json:"time_ns"`
	Hook           string             `json:"hook"`
	Args           []string           `json:"args"`
	Instance       string             `json:"instance"` // <group>/<id>
	Index          int                `json:"index"`
	Env            map[string]*string `json:"env"`
	Monit          *string            `json:"monit"` // monitoring status of the logger process; nil if not asked
	ProcessRunning bool               `json:"process_running"`
}

// env is a BOSH_* variable the hook was given; unset is "<unset>".
func (r record) env(name string) string {
	if v := r.Env[name]; v != nil {
		return *v
	}
	return "<unset>"
}

// records are the hook invocations an instance recorded, oldest first.
func (d *fixtureDeployment) records(instanceID string) []record {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(d.recordDir, instanceID+".jsonl"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	Expect(err).NotTo(HaveOccurred())
	var out []record
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var r record
		Expect(json.Unmarshal(sc.Bytes(), &r)).To(Succeed(), "record line %q", sc.Text())
		out = append(out, r)
	}
	return out
}

// recordCounts is how many records each instance (by id) has so far, to
// tell later which instances a task touched.
func (d *fixtureDeployment) recordCounts() map[string]int {
	GinkgoHelper()
	counts := map[string]int{}
	entries, err := os.ReadDir(d.recordDir)
	Expect(err).NotTo(HaveOccurred())
	for _, e := range entries {
		id := strings.TrimSuffix(e.Name(), ".jsonl")
		counts[id] = len(d.records(id))
	}
	return counts
}

// recordsSince are an instance's records after the first n.
func (d *fixtureDeployment) recordsSince(instanceID string, counts map[string]int) []record {
	GinkgoHelper()
	return d.records(instanceID)[counts[instanceID]:]
}

// hooks lists the hooks of records, in order.
func hooks(records []record) []string {
	out := make([]string, len(records))
	for i, r := range records {
		out[i] = r.Hook
	}
	return out
}

// only keeps the records of one hook.
func only(hook string, records []record) []record {
	var out []record
	for _, r := range records {
		if r.Hook == hook {
			out = append(out, r)
		}
	}
	return out
}

// window is when an instance's update ran: from its first to its last record.
type window struct{ start, end int64 }

func windowOf(records []record) window {
	GinkgoHelper()
	Expect(records).NotTo(BeEmpty())
	return window{start: records[0].TimeNS, end: records[len(records)-1].TimeNS}
}

func (w window) overlaps(o window) bool { return w.start < o.end && o.start < w.end }
func (w window) before(o window) bool   { return w.end < o.start }

// mustParseJSON decodes JSON text into a generic value.
func mustParseJSON(data []byte) map[string]any {
	GinkgoHelper()
	var v map[string]any
	Expect(json.Unmarshal(data, &v)).To(Succeed(), "%s", data)
	return v
}

// mustYAML marshals a manifest document.
func mustYAML(doc any) []byte {
	GinkgoHelper()
	out, err := yaml.Marshal(doc)
	Expect(err).NotTo(HaveOccurred())
	return out
}
