package etcdrelease_test

import (
	"crypto/x509"
	"maps"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
)

// tlsOps turns TLS on for clients and peers with certificates of a new CA
// whose server (and so peer) certificate covers the default suffix;
// replace maps properties (etcd.<name>) to text that stands in for them.
func tlsOps(replace map[string]string) string {
	GinkgoHelper()
	ca, err := certs.NewAuthority("etcd-test-ca", certs.WithECDSAKeys())
	Expect(err).NotTo(HaveOccurred())
	server, err := ca.Issue(certs.Request{CommonName: "etcd server",
		AlternativeNames: []string{"*.etcd.service.cf.internal", "etcd.service.cf.internal"},
		ExtKeyUsage:      []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}})
	Expect(err).NotTo(HaveOccurred())
	client, err := ca.Issue(certs.Request{CommonName: "etcd client", ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	Expect(err).NotTo(HaveOccurred())
	props := map[string]string{
		"ca_cert":     string(ca.CertificatePEM),
		"server_cert": string(server.CertificatePEM), "server_key": string(server.PrivateKeyPEM),
		"client_cert": string(client.CertificatePEM), "client_key": string(client.PrivateKeyPEM),
	}
	maps.Copy(props, replace)
	ops := etcdProperty("require_ssl", true) + etcdProperty("peer_require_ssl", true)
	for _, name := range slices.Sorted(maps.Keys(props)) {
		ops += etcdProperty(name, props[name])
	}
	return ops
}

// touchingStages are the task stages that change instances.
var touchingStages = []string{"Creating missing vms", "Updating instance", "Deleting unneeded instances"}

// touchedItems are the items of a task's stages that change instances.
func touchedItems(run testdirector.TaskRun) []string {
	var items []string
	for _, stage := range touchingStages {
		for _, item := range run.Started(stage) {
			items = append(items, stage+": "+item)
		}
	}
	return items
}

// Issue 7, item 8: a bad deploy never wedges the deployment.
var _ = Describe("bad property values", Label("issue-7"), Ordered, ContinueOnFailure, func() {
	const keys = "before-bad-config"
	dep := scenarioDeployment("etcd-bad-config", withKeys(keys, 20),
		etcdProperty("start_timeout_in_seconds", 30), watchTimes("1000-30000"))

	DescribeTable("are refused when the templates render, naming the property, with no instance touched",
		func(ctx SpecContext, property string, ops func() string) {
			before := dep.states(ctx)
			run := dep.tryDeploy(ctx, ops())

			Expect(touchedItems(run)).To(BeEmpty(), "the deploy changed instances")
			Expect(run.Task.State).To(Equal(director.StateError))
			Expect(run.Failure()).To(ContainSubstring(property))

			By("finding every instance on the VM it had, its processes running with the PIDs they had")
			Expect(testdirector.InstanceChanges(before, dep.states(ctx))).To(BeEmpty())
		},
		Entry("a heartbeat interval that is no number", "etcd.heartbeat_interval_in_milliseconds",
			func() string { return etcdProperty("heartbeat_interval_in_milliseconds", "fast") }),
		Entry("an election timeout below 5 heartbeats", "etcd.election_timeout_in_milliseconds",
			func() string {
				return etcdProperty("heartbeat_interval_in_milliseconds", 100) + etcdProperty("election_timeout_in_milliseconds", 400)
			}),
		Entry("a port out of range", "etcd.client_port",
			func() string { return etcdProperty("client_port", 70000) }),
		Entry("the client port equal to the peer port", "etcd.peer_port",
			func() string { return etcdProperty("peer_port", 2379) }),
		Entry("an invalid DNS suffix with TLS on", "etcd.advertise_urls_dns_suffix",
			func() string { return tlsOps(nil) + etcdProperty("advertise_urls_dns_suffix", "bad..suffix") }),
		Entry("an etcd.machines entry that is no address", "etcd.machines",
			func() string {
				return replaceOp("/instance_groups/name=etcd/jobs/name=etcd/consumes?", map[string]any{"etcd": "nil"}) +
					etcdProperty("machines", []string{"10.0.0.1:notaport"})
			}),
	)

	It("updates a deployment whose canary failed on a bad certificate with the next good manifest, and deletes it without force", func(ctx SpecContext) {
		// PEM in shape, so that the templates render it, but no
		// certificate: the canary's pre-start fails on it, and etcdfab's
		// other commands must still work with it installed.
		notACertificate := "-----BEGIN CERTIFICATE-----\n" + "bm90IGEgY2VydGlmaWNhdGU=" + "\n-----END CERTIFICATE-----\n"
		By("deploying TLS with an etcd.client_cert that holds no certificate: the canary fails")
		run := dep.tryDeploy(ctx, tlsOps(map[string]string{"client_cert": notACertificate}))
		Expect(run.Task.State).To(Equal(director.StateError))
		Expect(run.Failure()).To(ContainSubstring("etcd.client_cert"))
		Expect(len(updatedInstances(run))).To(BeNumerically("<=", 1), "at most the canary was touched")

		By("deploying the good manifest again")
		run = dep.tryDeploy(ctx)
		Expect(run.Err()).NotTo(HaveOccurred())
		c := dep.client(ctx)
		expectMembers(ctx, c, time.Minute, "etcd-0", "etcd-1", "etcd-2")
		expectKeys(ctx, c, keys, 20)

		By("deleting the deployment, not forced")
		cids := []string{}
		for _, inst := range dep.instances(ctx) {
			cids = append(cids, inst.VMCID)
		}
		run, err := bosh.DeleteDeployment(ctx, dep.name, false)
		Expect(err).NotTo(HaveOccurred())
		Expect(run.Err()).NotTo(HaveOccurred())
		left, err := bosh.VMs().List()
		Expect(err).NotTo(HaveOccurred())
		for _, cid := range cids {
			Expect(left).NotTo(ContainElement(cid))
		}
		_, err = bosh.Client().Deployment(ctx, dep.name)
		Expect(director.ErrorCode(err)).To(Equal(director.CodeDeploymentNotFound))
	}, SpecTimeout(5*time.Minute))
})
