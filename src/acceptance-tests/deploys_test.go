package eats_test

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/certset"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

func tlsName(useTLS bool) string {
	if useTLS {
		return "TLS"
	}
	return "plain"
}

// route is the load's route through c.
func route(c *clientv3.Client, useTLS bool) localcluster.Router {
	return localcluster.Via(c, tlsName(useTLS))
}

// setEndpoints points c at the given members.
func setEndpoints(c *clientv3.Client, members []director.Instance, useTLS bool) {
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	var urls []string
	for _, ip := range ipsOf(members) {
		urls = append(urls, fmt.Sprintf("%s://%s:2379", scheme, ip))
	}
	c.SetEndpoints(urls...)
}

// expectMembers checks the cluster's own member list: n voting members,
// named after the instances.
func expectMembers(ctx context.Context, c *clientv3.Client, d *deployment, n int) {
	GinkgoHelper()
	var names []string
	for _, m := range d.members(ctx) {
		names = append(names, fmt.Sprintf("%s-%d", m.JobName, m.Index))
	}
	Expect(names).To(HaveLen(n))
	Eventually(func() ([]string, error) {
		resp, err := c.MemberList(ctx)
		if err != nil {
			return nil, err
		}
		var got []string
		for _, m := range resp.Members {
			if m.IsLearner {
				got = append(got, m.Name+" (learner)")
				continue
			}
			got = append(got, m.Name)
		}
		return got, nil
	}, "30s", "1s").Should(ConsistOf(names))
}

var _ = Describe("scaling under load", func() {
	DescribeTable("keeps every acknowledged write while members join and leave",
		func(ctx SpecContext, useTLS bool, steps []int) {
			d := newDeployment(fmt.Sprintf("scale-%d", steps[0]), useTLS)
			By(fmt.Sprintf("deploying %d %s members", steps[0], tlsName(useTLS)))
			d.mustDeploy(ctx, spec{Instances: steps[0], Plain: !useTLS, TestJobs: true})
			c := d.etcd(ctx)
			if steps[0] == 1 {
				underLoad(ctx, "1 member", useTLS, route(c, useTLS), c, steady, func(*localcluster.Load) { hold(ctx, 15*time.Second) })
				d.consumerWritesAndReads(ctx, "single-member")
			}
			from := steps[0]
			for _, n := range steps[1:] {
				if n < from {
					// BOSH deletes the highest indexes: keep the load on the others.
					setEndpoints(c, d.members(ctx)[:n], useTLS)
				}
				// A single member restarts when it is told of the others,
				// or of their leaving: no quorum serves meanwhile.
				v := steady
				if from == 1 || n == 1 {
					v = faulty
				}
				underLoad(ctx, fmt.Sprintf("scale %d -> %d", from, n), useTLS, route(c, useTLS), c, v, func(l *localcluster.Load) {
					during(l, "the deploy", func() { d.mustDeploy(ctx, spec{Instances: n, Plain: !useTLS, TestJobs: true}) })
				})
				setEndpoints(c, d.members(ctx), useTLS)
				expectMembers(ctx, c, d, n)
				from = n
			}
			d.consumerWritesAndReads(ctx, "after-scaling")
		},
		Entry("1 -> 3 -> 1, TLS", Label("tls"), true, []int{1, 3, 1}, SpecTimeout(30*time.Minute)),
		Entry("3 -> 5 -> 3, TLS", Label("tls"), true, []int{3, 5, 3}, SpecTimeout(30*time.Minute)),
		Entry("1 -> 3 -> 1, plain", Label("plain", "matrix"), false, []int{1, 3, 1}, SpecTimeout(30*time.Minute)),
		Entry("3 -> 5 -> 3, plain", Label("plain", "matrix"), false, []int{3, 5, 3}, SpecTimeout(30*time.Minute)),
	)
})

var _ = Describe("a rolling property change of three members", func() {
	DescribeTable("restarts one member at a time under load",
		func(ctx SpecContext, useTLS bool) {
			d := newDeployment("rolling", useTLS)
			d.mustDeploy(ctx, spec{Plain: !useTLS})
			c := d.etcd(ctx)
			underLoad(ctx, "rolling property change of 3", useTLS, route(c, useTLS), c, steady, func(l *localcluster.Load) {
				during(l, "the rolling deploy", func() {
					d.mustDeploy(ctx, spec{Plain: !useTLS, Ops: []string{`
- type: replace
  path: /instance_groups/name=etcd/jobs/name=etcd/properties/etcd/heartbeat_interval_in_milliseconds?
  value: 51
`}})
				})
			})
			expectMembers(ctx, c, d, 3)
		},
		Entry("with TLS", Label("tls"), true, SpecTimeout(20*time.Minute)),
		Entry("plain", Label("plain"), false, SpecTimeout(20*time.Minute)),
	)
})

var _ = Describe("certificates", Label("tls"), func() {
	It("rotates every CA and certificate in the three stages of scripts/rotate-certs, under load", func(ctx SpecContext) {
		d := newDeployment("rotate", true)
		d.mustDeploy(ctx, spec{TestJobs: true})
		next, err := certset.Generate(certset.Options{KeyType: "ecdsa", KeySize: 256})
		Expect(err).NotTo(HaveOccurred())
		stages, _, err := certset.Rotate(d.certs, next, time.Now())
		Expect(err).NotTo(HaveOccurred())
		Expect(stages).To(HaveLen(3))
		for _, stage := range stages {
			// A stage's client certificate is accepted by the members of
			// the stage before, and its CA bundle covers what both serve.
			c := client(ipsOf(d.members(ctx)), tlsFor(stage.Set, stage.Set))
			underLoad(ctx, fmt.Sprintf("rotation stage %d", stage.Number), true, route(c, true), c, steady, func(l *localcluster.Load) {
				during(l, "the rolling deploy", func() { d.mustDeploy(ctx, spec{TestJobs: true, Vars: stage.Set.VarsDoc()}) })
			})
			d.certs = stage.Set
		}
		c := d.etcd(ctx)
		expectMembers(ctx, c, d, 3)
		d.consumerWritesAndReads(ctx, "after-rotation")

		By("refusing a client of the old CA")
		old := client(ipsOf(d.members(ctx)), tlsFor(stages[0].Set, d.certs))
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err = old.Put(cctx, "from-the-old-client", "x")
		Expect(err).To(HaveOccurred(), "the old client certificate's CA is no longer trusted")
	}, SpecTimeout(30*time.Minute))

	It("turns TLS on in a running plain cluster: consul first, then TLS, each rolling under load", func(ctx SpecContext) {
		d := newDeployment("tls-on", true)
		d.mustDeploy(ctx, spec{Plain: true, TestJobs: true})
		members := d.members(ctx)
		plain := client(ipsOf(members), nil)
		underLoad(ctx, "TLS on, step 1: consul beside plain etcd", false, route(plain, false), plain, steady, func(l *localcluster.Load) {
			during(l, "the rolling deploy", func() { d.mustDeploy(ctx, spec{PlainWithConsul: true, TestJobs: true}) })
		})
		secure := client(ipsOf(members), tlsFor(d.certs, d.certs))
		underLoad(ctx, "TLS on, step 2: TLS", true, localcluster.EitherRoute(plain, secure), secure, transportSwitch, func(l *localcluster.Load) {
			during(l, "the rolling deploy", func() { d.mustDeploy(ctx, spec{TestJobs: true}) })
		})
		resp, err := secure.MemberList(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(resp.Members).To(HaveLen(3))
		for _, m := range resp.Members {
			Expect(m.PeerURLs).To(Equal([]string{fmt.Sprintf("https://%s.%s:2380", m.Name, suffix)}), "peer URLs moved from IPs to names")
		}
		d.consumerWritesAndReads(ctx, "after-tls-on")
	}, SpecTimeout(30*time.Minute))
})

var _ = Describe("a rolling upgrade", Label("tls"), func() {
	It("moves three members from the release's previous version to this one under load", func(ctx SpecContext) {
		if cfg.Previous == "" {
			Skip(fmt.Sprintf("the director holds no etcd release older than %s: upload the previous version "+
				"(latest_etcd_release_version) to run the upgrade", cfg.Version))
		}
		d := newDeployment("upgrade", true)
		By("deploying version " + cfg.Previous)
		d.mustDeploy(ctx, spec{Version: cfg.Previous})
		c := d.etcd(ctx)
		underLoad(ctx, fmt.Sprintf("upgrade %s -> %s", cfg.Previous, cfg.Version), true, route(c, true), c, steady, func(l *localcluster.Load) {
			during(l, "the rolling deploy", func() { d.mustDeploy(ctx, spec{}) })
		})
		expectMembers(ctx, c, d, 3)
	}, SpecTimeout(25*time.Minute))
})

var _ = Describe("an instance group rename", func() {
	DescribeTable("keeps the members and their data when the group is renamed with migrated_from",
		func(ctx SpecContext, useTLS bool) {
			d := newDeployment("rename", useTLS)
			d.mustDeploy(ctx, spec{Plain: !useTLS})
			c := d.etcd(ctx)
			before := d.members(ctx)
			d.group = "etcd-renamed"
			underLoad(ctx, "rename etcd -> etcd-renamed", useTLS, route(c, useTLS), c, steady, func(l *localcluster.Load) {
				during(l, "the rolling deploy", func() {
					d.mustDeploy(ctx, spec{Plain: !useTLS, Ops: []string{`
- type: replace
  path: /instance_groups/name=etcd/migrated_from?
  value: [{name: etcd, az: z1}]
- type: replace
  path: /instance_groups/name=etcd/name
  value: etcd-renamed
`}})
				})
			})
			after := d.members(ctx)
			Expect(ipsOf(after)).To(Equal(ipsOf(before)), "the instances are kept")
			for i := range after {
				Expect(after[i].ID).To(Equal(before[i].ID))
			}
			expectMembers(ctx, c, d, 3)
		},
		Entry("plain", Label("plain"), false, SpecTimeout(20*time.Minute)),
		Entry("with TLS", Label("tls", "matrix"), true, SpecTimeout(20*time.Minute)),
	)
})
