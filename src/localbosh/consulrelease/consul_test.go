package consulrelease_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

const deployment = "consul"

var servers = []string{"consul/0", "consul/1", "consul/2"}

// manifest is manifests/bosh-lite/consul.yml with ops applied and its
// variables taken from (or generated into) the vars store at store.
func manifest(store, ops string) []byte {
	GinkgoHelper()
	out, err := testdirector.Manifest(filepath.Join(repo, "manifests", "bosh-lite", "consul.yml"), ops, store)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// inVM runs argv as root inside an instance's VM (testdirector.Run).
func inVM(ctx context.Context, which string, argv ...string) (string, error) {
	out, err := bosh.Run(ctx, deployment, which, vm.Cmd{Argv: argv})
	return string(out), err
}

// resolve looks name up inside an instance's VM (testdirector.Resolve).
func resolve(ctx context.Context, which, name string) ([]string, error) {
	return bosh.Resolve(ctx, deployment, which, name)
}

// api calls the agent's HTTP API on the VM's 127.0.0.1:8500 with curl.
func api(ctx context.Context, which, method, path, body string) (string, error) {
	argv := []string{"curl", "-sS", "--fail-with-body", "-X", method, "http://127.0.0.1:8500" + path}
	if body != "" {
		argv = append(argv, "--data", body)
	}
	return inVM(ctx, which, argv...)
}

// voters are the names of the raft voters a server's configuration lists.
func voters(ctx context.Context, which string) ([]string, error) {
	out, err := api(ctx, which, "GET", "/v1/operator/raft/configuration", "")
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Servers []struct {
			Node  string
			Voter bool
		}
	}
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		return nil, err
	}
	var names []string
	for _, s := range cfg.Servers {
		if s.Voter {
			names = append(names, s.Node)
		}
	}
	slices.Sort(names)
	return names, nil
}

func instanceIPs(ctx context.Context) []string {
	GinkgoHelper()
	instances, err := bosh.Client().Instances(ctx, deployment)
	Expect(err).NotTo(HaveOccurred())
	var ips []string
	for _, inst := range instances {
		ips = append(ips, inst.IPs[0])
	}
	slices.Sort(ips)
	return ips
}

// probeOps registers on every server a service "probe" with a passing
// check, so each instance has a name of its own
// (consul-<index>.probe.service.cf.internal), and a service "member" with
// the default check: /var/vcap/jobs/member/bin/dns_health_check, which no
// job ships here, so the test writes it where it wants the service healthy.
const probeOps = `
- type: replace
  path: /instance_groups/name=consul/jobs/name=consul_agent/properties/consul/agent/services?
  value:
    probe:
      check: {name: probe, args: [/bin/true], interval: 1s}
    member: {}
`

// writeHealthCheck makes /var/vcap/jobs/member/bin/dns_health_check on an
// instance exit with code.
func writeHealthCheck(ctx context.Context, which string, code int) error {
	_, err := inVM(ctx, which, "sh", "-c", fmt.Sprintf(
		"mkdir -p /var/vcap/jobs/member/bin && printf '#!/bin/sh\\nexit %d\\n' >/var/vcap/jobs/member/bin/dns_health_check.new && "+
			"chmod 0755 /var/vcap/jobs/member/bin/dns_health_check.new && mv /var/vcap/jobs/member/bin/dns_health_check.new /var/vcap/jobs/member/bin/dns_health_check", code))
	return err
}

var _ = Describe("consul_agent servers on localbosh", Ordered, func() {
	var store string

	BeforeAll(func() { store = filepath.Join(GinkgoT().TempDir(), "consul-creds.yml") })

	AfterAll(func(ctx SpecContext) {
		run, err := bosh.DeleteDeployment(ctx, deployment, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
	})

	It("deploys three servers from manifests/bosh-lite/consul.yml, whose VMs resolve consul names on 127.0.0.1", func(ctx SpecContext) {
		start := time.Now()
		run, err := bosh.Deploy(ctx, manifest(store, probeOps), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		Expect(run.Started("Updating instance")).To(HaveLen(3))
		GinkgoWriter.Printf("first deploy of three consul servers: %s\n", time.Since(start).Round(time.Second))
		ips := instanceIPs(ctx)

		By("putting the agent first in each VM's resolv.conf")
		resolvConf, err := inVM(ctx, "consul/1", "cat", "/etc/resolv.conf")
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.SplitN(resolvConf, "\n", 2)[0]).To(Equal("nameserver 127.0.0.1"))

		By("answering the servers' own name and each instance's tag from inside a VM")
		Eventually(func() ([]string, error) { return resolve(ctx, "consul/1", "consul.service.cf.internal") }, 60*time.Second, time.Second).
			Should(Equal(ips))
		for i, which := range servers {
			inst, err := bosh.Instance(ctx, deployment, which)
			Expect(err).NotTo(HaveOccurred())
			Eventually(func() ([]string, error) {
				return resolve(ctx, "consul/2", fmt.Sprintf("consul-%d.probe.service.cf.internal", i))
			}, 30*time.Second, time.Second).Should(Equal([]string{inst.IPs[0]}))
		}
		Expect(resolve(ctx, "consul/0", "z1.probe.service.cf.internal")).To(Equal(ips))

		By("checking a service without a check of its own with the colocated job's dns_health_check every 3 s")
		_, err = resolve(ctx, "consul/0", "member.service.cf.internal")
		Expect(err).To(HaveOccurred(), "no instance has the script yet, so no instance passes")
		Expect(writeHealthCheck(ctx, "consul/1", 0)).To(Succeed())
		inst, err := bosh.Instance(ctx, deployment, "consul/1")
		Expect(err).NotTo(HaveOccurred())
		Eventually(func() ([]string, error) { return resolve(ctx, "consul/0", "member.service.cf.internal") }, 20*time.Second, time.Second).
			Should(Equal([]string{inst.IPs[0]}))
		Expect(resolve(ctx, "consul/0", "consul-1.member.service.cf.internal")).To(Equal([]string{inst.IPs[0]}))
		Expect(writeHealthCheck(ctx, "consul/1", 1)).To(Succeed())
		Eventually(func() error { _, err := resolve(ctx, "consul/0", "member.service.cf.internal"); return err }, 20*time.Second, time.Second).
			Should(HaveOccurred(), "exit 1 takes the instance out of DNS")
	}, SpecTimeout(15*time.Minute))

	It("keeps the catalogue through a rolling update of every server", func(ctx SpecContext) {
		By("writing a key and registering a node outside the deployment, which only the servers' raft data holds")
		_, err := api(ctx, "consul/0", "PUT", "/v1/kv/rolling-proof", "kept")
		Expect(err).NotTo(HaveOccurred())
		_, err = api(ctx, "consul/0", "PUT", "/v1/catalog/register",
			`{"Node": "outside", "Address": "192.0.2.10", "Service": {"Service": "outside"}}`)
		Expect(err).NotTo(HaveOccurred())
		before := time.Now()
		Eventually(func() ([]string, error) { return resolve(ctx, "consul/2", "outside.service.cf.internal") }, 30*time.Second, time.Second).
			Should(Equal([]string{"192.0.2.10"}))
		GinkgoWriter.Printf("outside node resolvable after %s\n", time.Since(before).Round(time.Second))

		pids := map[string]string{}
		for _, which := range servers {
			pid, err := bosh.ReadFile(ctx, deployment, which, "/var/vcap/sys/run/consul_agent/consul_agent.pid")
			Expect(err).NotTo(HaveOccurred())
			pids[which] = string(pid)
		}

		By("rolling a property change through the three servers, one at a time")
		start := time.Now()
		run, err := bosh.Deploy(ctx, manifest(store, probeOps+`
- type: replace
  path: /instance_groups/name=consul/jobs/name=consul_agent/properties/consul/agent/log_level?
  value: debug
`), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		Expect(run.Started("Updating instance")).To(HaveLen(3))
		GinkgoWriter.Printf("rolling update of three consul servers: %s\n", time.Since(start).Round(time.Second))
		for _, which := range servers {
			config, err := bosh.ReadFile(ctx, deployment, which, "/var/vcap/jobs/consul_agent/config/consul.json")
			Expect(err).NotTo(HaveOccurred())
			Expect(string(config)).To(ContainSubstring(`"log_level": "debug"`))
			pid, err := bosh.ReadFile(ctx, deployment, which, "/var/vcap/sys/run/consul_agent/consul_agent.pid")
			Expect(err).NotTo(HaveOccurred())
			Expect(string(pid)).NotTo(Equal(pids[which]), "%s runs a new agent", which)
			log, err := bosh.ReadFile(ctx, deployment, which, "/var/vcap/sys/log/consul_agent/consul_agent.stdout.log")
			Expect(err).NotTo(HaveOccurred())
			Expect(string(log)).To(ContainSubstring("server starting leave"), "%s left the cluster when it stopped", which)
		}

		By("finding the key, the outside node and three voting servers afterwards")
		Eventually(func() (string, error) { return api(ctx, "consul/2", "GET", "/v1/kv/rolling-proof?raw", "") }, 60*time.Second, time.Second).
			Should(Equal("kept"))
		GinkgoWriter.Printf("key readable %s after the update began\n", time.Since(start).Round(time.Second))
		Expect(resolve(ctx, "consul/1", "outside.service.cf.internal")).To(Equal([]string{"192.0.2.10"}))
		Eventually(func() ([]string, error) { return voters(ctx, "consul/1") }, 60*time.Second, time.Second).
			Should(Equal([]string{"consul-0", "consul-1", "consul-2"}))
		GinkgoWriter.Printf("three voters %s after the update began\n", time.Since(start).Round(time.Second))
		Expect(resolve(ctx, "consul/0", "consul.service.cf.internal")).To(Equal(instanceIPs(ctx)))
	}, SpecTimeout(15*time.Minute))
})
