package eats_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/certset"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
	"github.com/cloudfoundry-incubator/etcd-release/src/turbulence"
	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

const (
	suffix       = certset.DefaultSuffix
	agentPort    = 5678
	consumerPort = 6769
)

// deployment is one spec's deployment of the etcd release.
type deployment struct {
	name string
	tls  bool
	// certs is the certificate set deployed now (always generated: plain
	// deployments turn TLS on with it).
	certs    certset.Set
	password string // the turbulence agents'
	group    string // the etcd instance group's name
}

// spec says what one deploy sends.
type spec struct {
	// Instances is the number of etcd members (default 3).
	Instances int
	// Plain deploys without TLS and consul (ops/plain.yml);
	// PlainWithConsul keeps consul with etcd plain (ops/plain-with-consul.yml).
	Plain, PlainWithConsul bool
	// Version is the etcd release version (default the one under test).
	// TestJobs colocates turbulence_agent with etcd and adds a testconsumer
	// instance group; releases before the test jobs cannot.
	Version  string
	TestJobs bool
	// Ops are more ops files, as YAML text.
	Ops []string
	// Vars override the certificate set's variables (rotation stages).
	Vars map[string]any
}

// newDeployment names a deployment for scenario and deletes it when the
// spec ends.
func newDeployment(scenario string, useTLS bool) *deployment {
	GinkgoHelper()
	set, err := certset.Generate(certset.Options{KeyType: "ecdsa", KeySize: 256})
	Expect(err).NotTo(HaveOccurred())
	d := &deployment{name: fmt.Sprintf("%s-%s-%s-%s", cfg.Config.DeploymentPrefix, scenario, runTag, randomHex(3)),
		tls: useTLS, certs: set, password: randomHex(16), group: "etcd"}
	DeferCleanup(func(ctx SpecContext) {
		task, err := bosh.DeleteDeployment(ctx, d.name, true)
		if director.ErrorCode(err) == director.CodeDeploymentNotFound {
			return
		}
		Expect(err).NotTo(HaveOccurred())
		_, err = bosh.WaitTask(ctx, task.ID, nil)
		Expect(err).NotTo(HaveOccurred(), "deleting deployment %s", d.name)
	}, NodeTimeout(10*time.Minute))
	return d
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ops adapting the operator's manifest to a test deployment.
const (
	nameOps = `
- type: replace
  path: /name
  value: ((eats_deployment))
- type: replace
  path: /releases/name=etcd/version
  value: ((eats_release_version))
`
	testJobsOps = `
- type: replace
  path: /instance_groups/name=GROUP/jobs/-
  value:
    name: turbulence_agent
    release: etcd
    properties:
      turbulence_agent:
        password: ((eats_agent_password))
- type: replace
  path: /instance_groups/-
  value:
    name: testconsumer
    instances: 1
    azs: [z1]
    vm_type: default
    stemcell: default
    networks:
    - name: default
    jobs:
    - name: etcd_testconsumer
      release: etcd
      properties:
        etcd_testconsumer:
          etcd:
            ca_cert: ((etcd_ca.certificate))
            client_cert: ((etcd_client.certificate))
            client_key: ((etcd_client.private_key))
`
)

// manifest is what `bosh deploy etcd.yml -o ... -l ...` would send for s.
func (d *deployment) manifest(s spec) []byte {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(mfDir, "etcd.yml"))
	Expect(err).NotTo(HaveOccurred())
	var doc any
	Expect(yaml.Unmarshal(data, &doc)).To(Succeed())
	apply := func(name string, text []byte) {
		GinkgoHelper()
		parsed, err := opsfile.Parse(name, text)
		Expect(err).NotTo(HaveOccurred())
		doc, err = parsed.Apply(doc)
		Expect(err).NotTo(HaveOccurred(), "applying %s", name)
	}
	opsFile := func(name string) {
		GinkgoHelper()
		text, err := os.ReadFile(filepath.Join(mfDir, "ops", name))
		Expect(err).NotTo(HaveOccurred())
		apply(name, text)
	}
	if s.Instances == 0 {
		s.Instances = 3
	}
	if s.Version == "" {
		s.Version = cfg.Version
	}
	switch {
	case s.Plain:
		opsFile("plain.yml")
	case s.PlainWithConsul:
		opsFile("plain-with-consul.yml")
	}
	opsFile("scale.yml")
	apply("eats-name.yml", []byte(nameOps))
	for i, text := range s.Ops {
		apply(fmt.Sprintf("eats-ops-%d.yml", i), []byte(text))
	}
	if s.TestJobs {
		apply("eats-test-jobs.yml", []byte(strings.ReplaceAll(testJobsOps, "GROUP", d.group)))
	}
	values := vars.Static(d.certs.VarsDoc())
	for k, v := range s.Vars {
		values[k] = v
	}
	values["instances"] = s.Instances
	values["eats_deployment"] = d.name
	values["eats_release_version"] = s.Version
	values["eats_agent_password"] = d.password
	doc, err = vars.Interpolate(doc, vars.Sources{Static: values}, vars.Options{ExpectAll: true})
	Expect(err).NotTo(HaveOccurred())
	out, err := yaml.Marshal(doc)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// deploy sends the manifest for s and waits for the task; a failed task is
// an error naming the failed items.
func (d *deployment) deploy(ctx context.Context, s spec) error {
	GinkgoHelper()
	start := time.Now()
	task, err := bosh.Deploy(ctx, d.manifest(s), director.DeployOptions{})
	if err != nil {
		return err
	}
	var failed []string
	_, err = bosh.WaitTask(ctx, task.ID, func(e director.TaskEvent) {
		if e.State == director.EventFailed && e.Data != nil {
			failed = append(failed, e.Task+": "+e.Data.Error)
		}
		if e.Error != nil {
			failed = append(failed, e.Error.Message)
		}
	})
	GinkgoWriter.Printf("%s: deploy (task %d) took %s\n", d.name, task.ID, time.Since(start).Round(time.Second))
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.Join(failed, "; "))
	}
	return nil
}

// mustDeploy deploys and expects success.
func (d *deployment) mustDeploy(ctx context.Context, s spec) {
	GinkgoHelper()
	Expect(d.deploy(ctx, s)).To(Succeed(), "deploying %s", d.name)
}

// members are the etcd instances, by index.
func (d *deployment) members(ctx context.Context) []director.Instance {
	GinkgoHelper()
	instances, err := bosh.Instances(ctx, d.name)
	Expect(err).NotTo(HaveOccurred())
	var out []director.Instance
	for _, inst := range instances {
		if inst.JobName == d.group {
			out = append(out, inst)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// instance is one instance of another group (the test consumer).
func (d *deployment) instance(ctx context.Context, group string) director.Instance {
	GinkgoHelper()
	instances, err := bosh.Instances(ctx, d.name)
	Expect(err).NotTo(HaveOccurred())
	for _, inst := range instances {
		if inst.JobName == group {
			return inst
		}
	}
	Fail(fmt.Sprintf("deployment %s has no %s instance", d.name, group))
	return director.Instance{}
}

func ipsOf(instances []director.Instance) []string {
	var ips []string
	for _, inst := range instances {
		ips = append(ips, inst.IPs[0])
	}
	return ips
}

// tlsFor presents identity's client certificate and trusts trust's etcd
// CA bundle, checking servers against the DNS suffix (it dials by IP).
func tlsFor(identity, trust certset.Set) *tls.Config {
	GinkgoHelper()
	cfg, err := identity.ClientTLS(trust, suffix)
	Expect(err).NotTo(HaveOccurred())
	return cfg
}

// client dials ips over TLS with tlsConfig, or plain when it is nil.
func client(ips []string, tlsConfig *tls.Config) *clientv3.Client {
	GinkgoHelper()
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
	}
	var urls []string
	for _, ip := range ips {
		urls = append(urls, fmt.Sprintf("%s://%s:2379", scheme, ip))
	}
	c, err := etcdclient.NewV3(urls, tlsConfig)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(c.Close)
	return c
}

// etcd is a client of the members as deployed, with the current certificates.
func (d *deployment) etcd(ctx context.Context) *clientv3.Client {
	GinkgoHelper()
	var tlsConfig *tls.Config
	if d.tls {
		tlsConfig = tlsFor(d.certs, d.certs)
	}
	return client(ipsOf(d.members(ctx)), tlsConfig)
}

// agent is the turbulence agent of an instance.
func (d *deployment) agent(inst director.Instance) turbulence.Client {
	return turbulence.Client{URL: fmt.Sprintf("http://%s:%d", inst.IPs[0], agentPort), Username: "turbulence", Password: d.password}
}

// consumer calls the test consumer: method on path with body, returning
// the status and body.
func (d *deployment) consumer(ctx context.Context, method, path, body string) (int, string, error) {
	inst := d.instance(ctx, "testconsumer")
	req, err := http.NewRequestWithContext(ctx, method, fmt.Sprintf("http://%s:%d%s", inst.IPs[0], consumerPort, path), strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(out)), err
}

// consumerWritesAndReads proves a client inside the deployment reads its
// own write within 10 s, as the original suite asked after each fault.
func (d *deployment) consumerWritesAndReads(ctx context.Context, key string) {
	GinkgoHelper()
	value := randomHex(4)
	Eventually(func() error {
		status, body, err := d.consumer(ctx, http.MethodPut, "/kv/"+key, value)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("PUT /kv/%s: HTTP %d: %s", key, status, body)
		}
		return err
	}, "10s", "500ms").Should(Succeed())
	status, body, err := d.consumer(ctx, http.MethodGet, "/kv/"+key, "")
	Expect(err).NotTo(HaveOccurred())
	Expect(status).To(Equal(http.StatusOK), body)
	Expect(body).To(Equal(value))
}

// errStatus is an HTTP status that is not 200.
var errStatus = errors.New("unexpected HTTP status")

// leader asks the test consumer which member leads; it must be the one
// every member names.
func (d *deployment) leader(ctx context.Context) (string, map[string]string, error) {
	var l struct {
		Name  string            `json:"name"`
		Views map[string]string `json:"views"`
	}
	status, body, err := d.consumer(ctx, http.MethodGet, "/leader", "")
	if err != nil {
		return "", nil, err
	}
	if err := yaml.Unmarshal([]byte(body), &l); err != nil {
		return "", nil, fmt.Errorf("reading /leader %q: %w", body, err)
	}
	if status != http.StatusOK {
		return "", l.Views, fmt.Errorf("%w %d from /leader: %s", errStatus, status, body)
	}
	return l.Name, l.Views, nil
}

// memberNamed finds the instance behind a member name "<group>-<index>".
func memberNamed(members []director.Instance, name string) director.Instance {
	GinkgoHelper()
	i := slices.IndexFunc(members, func(m director.Instance) bool { return fmt.Sprintf("%s-%d", m.JobName, m.Index) == name })
	Expect(i).To(BeNumerically(">=", 0), "no instance is member %s", name)
	return members[i]
}

// waitRunning waits until every instance of the deployment reports its
// jobs running, as `bosh instances` shows them.
func (d *deployment) waitRunning(ctx context.Context, timeout time.Duration) {
	GinkgoHelper()
	Eventually(func() ([]string, error) {
		instances, err := bosh.Instances(ctx, d.name)
		var bad []string
		for _, inst := range instances {
			if inst.JobState != "running" {
				bad = append(bad, fmt.Sprintf("%s/%d %s", inst.JobName, inst.Index, inst.JobState))
			}
		}
		return bad, err
	}, timeout, "2s").Should(BeEmpty(), "instances of %s not running", d.name)
}

// healthy waits until every member answers a linearizable read.
func healthy(ctx context.Context, c *clientv3.Client, timeout time.Duration) {
	GinkgoHelper()
	Eventually(func() []string {
		var bad []string
		for _, ep := range c.Endpoints() {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := c.Status(cctx, ep)
			cancel()
			if err != nil {
				bad = append(bad, ep+": "+err.Error())
			}
		}
		if len(bad) == 0 {
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := c.Get(cctx, "eats-health")
			cancel()
			if err != nil {
				bad = append(bad, err.Error())
			}
		}
		return bad
	}, timeout, "1s").Should(BeEmpty())
}
