package manifest_test

import (
	"errors"
	"fmt"
	"net/netip"

	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

// doc is a YAML document under construction; tests change it, then parse it.
type doc = map[string]any

func validManifest() doc {
	return doc{
		"name":      "etcd",
		"releases":  []any{doc{"name": "etcd", "version": "latest"}},
		"stemcells": []any{doc{"alias": "default", "os": "ubuntu-jammy", "version": "latest"}},
		"update": doc{
			"canaries": 1, "max_in_flight": 1,
			"canary_watch_time": "1000-30000", "update_watch_time": "1000-30000",
		},
		"instance_groups": []any{etcdGroup(3)},
	}
}

func etcdGroup(instances int) doc {
	return doc{
		"name":            "etcd",
		"instances":       instances,
		"azs":             []any{"z1"},
		"vm_type":         "default",
		"stemcell":        "default",
		"persistent_disk": 1024,
		"networks":        []any{doc{"name": "default"}},
		"jobs": []any{doc{
			"name":       "etcd",
			"release":    "etcd",
			"properties": doc{"etcd": doc{"require_ssl": false}},
		}},
	}
}

func validCloudConfig() doc {
	return doc{
		"azs":           []any{doc{"name": "z1"}, doc{"name": "z2"}, doc{"name": "z3"}},
		"vm_types":      []any{doc{"name": "default"}},
		"vm_extensions": []any{doc{"name": "lb", "cloud_properties": doc{"elb": "x"}}},
		"disk_types":    []any{doc{"name": "ten", "disk_size": 10240}},
		"networks": []any{doc{
			"name": "default",
			"type": "manual",
			"subnets": []any{doc{
				"range":            "10.244.0.0/24",
				"gateway":          "10.244.0.1",
				"dns":              []any{"10.244.0.2"},
				"reserved":         []any{"10.244.0.2 - 10.244.0.9"},
				"static":           []any{"10.244.0.10 - 10.244.0.29"},
				"azs":              []any{"z1", "z2", "z3"},
				"cloud_properties": doc{"bridge": "lbosh0"},
			}},
		}},
		"compilation": doc{"workers": 2, "network": "default", "az": "z1", "vm_type": "default"},
	}
}

func group(d doc, i int) doc     { return d["instance_groups"].([]any)[i].(doc) }
func job(g doc, i int) doc       { return g["jobs"].([]any)[i].(doc) }
func network(g doc, i int) doc   { return g["networks"].([]any)[i].(doc) }
func ccNetwork(d doc, i int) doc { return d["networks"].([]any)[i].(doc) }
func subnet(d doc, n, i int) doc {
	return ccNetwork(d, n)["subnets"].([]any)[i].(doc)
}

func toYAML(d doc) []byte {
	out, err := yaml.Marshal(d)
	Expect(err).NotTo(HaveOccurred())
	return out
}

func mustManifest(d doc) manifest.Manifest {
	m, err := manifest.ParseManifest(toYAML(d))
	Expect(err).NotTo(HaveOccurred())
	return m
}

func mustCloudConfig(d doc) manifest.CloudConfig {
	cc, err := manifest.ParseCloudConfig(toYAML(d))
	Expect(err).NotTo(HaveOccurred())
	return cc
}

// problems returns the problems of a validation error.
func problems(err error) []manifest.Problem {
	var verr *manifest.ValidationError
	ExpectWithOffset(1, errors.As(err, &verr)).To(BeTrue(), "expected a *manifest.ValidationError, got %v", err)
	return verr.Problems
}

// ids hands out <prefix>-1, <prefix>-2, ... like a uuid source would, but
// predictably; each plan of a test uses its own prefix so ids stay unique.
func ids(prefix string) func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("%s-%d", prefix, n)
	}
}

// planner plans with ids "p1-*" for its first plan, "p2-*" for its second...
type planSeries struct{ plans int }

func (p *planSeries) plan(m manifest.Manifest, cc doc, prev manifest.DeploymentState, elsewhere map[netip.Addr]string) (manifest.DeploymentPlan, error) {
	p.plans++
	return manifest.Plan(m, mustCloudConfig(cc), prev, elsewhere, ids(fmt.Sprintf("p%d", p.plans)))
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// planOf plans m from scratch on the standard cloud config, with ids "id-*".
func planOf(m manifest.Manifest) manifest.DeploymentPlan {
	p, err := manifest.Plan(m, mustCloudConfig(validCloudConfig()), manifest.DeploymentState{}, nil, ids("id"))
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return p
}

// stateOf is the state the director persists after deploying p.
func stateOf(p manifest.DeploymentPlan) manifest.DeploymentState {
	var s manifest.DeploymentState
	for _, g := range p.Groups {
		for _, inst := range g.Instances {
			s.Instances = append(s.Instances, inst.State())
		}
	}
	return s
}

// summary is an instance plan without its network details, for comparisons.
type summary struct {
	Index     int
	ID        string
	AZ        string
	IP        string
	Bootstrap bool
}

func summarize(instances []manifest.InstancePlan) []summary {
	out := make([]summary, len(instances))
	for i, inst := range instances {
		out[i] = summary{Index: inst.Index, ID: inst.ID, AZ: inst.AZ, IP: inst.Networks[0].IP.String(), Bootstrap: inst.Bootstrap}
	}
	return out
}

func indexes(instances []manifest.InstanceState) []int {
	out := make([]int, len(instances))
	for i, inst := range instances {
		out[i] = inst.Index
	}
	return out
}

// ipsOf lists the IPs of instances on their first network.
func ipsOf(instances []manifest.InstancePlan) []string {
	out := make([]string, len(instances))
	for i, inst := range instances {
		out[i] = inst.Networks[0].IP.String()
	}
	return out
}
