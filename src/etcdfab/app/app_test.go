package app_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/app"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

var _ = Describe("App", func() {
	var (
		cfg      config.Config
		fake     *fakeCluster
		launched []*fakeEtcd
		a        *app.App
	)

	// member i of the group, as the fake cluster lists it.
	member := func(i int) cluster.Member {
		inst := config.Instance{Name: "etcd", Index: i, Address: cfg.Etcd.Cluster[i].Address}
		return cluster.Member{ID: uint64(i + 1), Name: inst.MemberName(),
			PeerURLs: []string{cfg.PeerURL(inst)}, ClientURLs: []string{cfg.ClientURL(inst)}}
	}
	env := func(vars map[string]string) app.Env { return func(k string) string { return vars[k] } }
	newApp := func() {
		launch := func(args []string) (app.Etcd, error) {
			e := &fakeEtcd{args: args, done: make(chan struct{})}
			launched = append(launched, e)
			// The started member answers on its client URL from now on.
			self, _ := cluster.Self{Name: cfg.MemberName(), PeerURL: cfg.PeerURL(cfg.Self())}.Find(fake.list())
			self.ClientURLs = []string{cfg.ClientURL(cfg.Self())}
			if self.ID == 0 {
				self.ID, self.Name, self.PeerURLs = 1, cfg.MemberName(), []string{cfg.PeerURL(cfg.Self())}
			}
			fake.members[self.ID] = self
			return e, nil
		}
		a = app.New(cfg, slog.New(slog.NewTextHandler(GinkgoWriter, nil)), fake.dial, launch)
		a.PollInterval = time.Millisecond
		a.CallTimeout = 50 * time.Millisecond
		a.Listening = func(context.Context, string) error { return nil } // the fake cluster decides who answers
	}

	BeforeEach(func() {
		cfg = config.Default()
		cfg.Node = config.Node{Name: "etcd", Index: 1, ExternalIP: "10.0.0.2", Deployment: "d"}
		dir := GinkgoT().TempDir()
		cfg.Etcd.DataDir, cfg.Etcd.RunDir, cfg.Etcd.LogDir = filepath.Join(dir, "store"), filepath.Join(dir, "run"), filepath.Join(dir, "log")
		Expect(os.MkdirAll(cfg.Etcd.RunDir, 0o755)).To(Succeed())
		for i := range 3 {
			cfg.Etcd.Cluster = append(cfg.Etcd.Cluster, config.Instance{Name: "etcd", Index: i, Address: "10.0.0." + string(rune('1'+i))})
		}
		launched = nil
	})

	Describe("Start", func() {
		It("waits, and gives up without forming a cluster, when it is not the bootstrap instance", func() {
			fake = newFakeCluster()
			newApp()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err := a.Start(ctx)
			Expect(err).To(MatchError(app.ErrNoCluster))
			Expect(err).To(MatchError(ContainSubstring("spec.bootstrap is false")))
			Expect(launched).To(BeEmpty())
		})

		It("queues behind another learner, then joins with the cluster's members", func() {
			fake = newFakeCluster(member(0))
			fake.addErrs = []error{rpctypes.ErrTooManyLearners, rpctypes.ErrUnhealthy}
			newApp()
			_, err := a.Start(context.Background())
			Expect(err).NotTo(HaveOccurred())
			Expect(launched).To(HaveLen(1))
			Expect(launched[0].args).To(ContainElements("--initial-cluster-state", "existing"))
			Expect(launched[0].args).To(ContainElement("etcd-0=http://10.0.0.1:2380,etcd-1=http://10.0.0.2:2380"))
			voters := cluster.Voters(fake.list())
			Expect(voters).To(HaveLen(2), "the learner is promoted")
		})

		It("passes TLS flags to etcd when TLS is on", func() {
			cfg.Node.Bootstrap = true
			cfg.Etcd.RequireSSL, cfg.Etcd.PeerRequireSSL = true, true
			fake = newFakeCluster()
			newApp()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := a.Start(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(launched[0].args).To(ContainElements("--client-cert-auth", "--peer-client-cert-auth",
				"--initial-advertise-peer-urls", "https://etcd-1.etcd.service.cf.internal:2380",
				"--listen-peer-urls", "https://10.0.0.2:2380"))
		})
	})

	It("waits for the DNS health check host before starting a TLS member", func() {
		cfg.Node.Bootstrap = true
		cfg.Etcd.RequireSSL = true
		cfg.Etcd.DNSHealthCheckHost = "consul.service.cf.internal"
		fake = newFakeCluster()
		newApp()
		lookups := 0
		a.LookupHost = func(context.Context, string) ([]string, error) {
			lookups++
			return nil, errors.New("no such host")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := a.Start(ctx)
		Expect(err).To(MatchError(ContainSubstring("etcd.dns_health_check_host consul.service.cf.internal does not resolve")))
		Expect(lookups).To(BeNumerically(">", 1))
		Expect(launched).To(BeEmpty())
	})

	Describe("PreStop and Drain", func() {
		BeforeEach(func() {
			fake = newFakeCluster(member(0), member(1), member(2))
			newApp()
		})

		It("leaves on pre-stop when the instance is deleted, handing leadership over first", func() {
			fake.leader = 2
			Expect(a.PreStop(context.Background(), env(map[string]string{"BOSH_INSTANCE_NEXT_STATE": "delete"}))).To(Succeed())
			Expect(fake.moved).To(HaveLen(1))
			Expect(fake.moved[0]).NotTo(Equal(uint64(2)))
			Expect(fake.removed).To(Equal([]uint64{2}))
		})

		It("stays a member on pre-stop for an update", func() {
			Expect(a.PreStop(context.Background(), env(map[string]string{"BOSH_INSTANCE_NEXT_STATE": "keep"}))).To(Succeed())
			Expect(fake.removed).To(BeEmpty())
		})

		It("refuses to leave when the others could not keep quorum, removing nothing", func() {
			fake.down[3] = true
			err := a.PreStop(context.Background(), env(map[string]string{"BOSH_INSTANCE_NEXT_STATE": "delete"}))
			Expect(err).To(MatchError(ContainSubstring("quorum needs 2")))
			Expect(fake.removed).To(BeEmpty())
		})

		It("leaves on drain when the persistent disk goes, printing 0", func() {
			wait, err := a.Drain(context.Background(), env(map[string]string{"BOSH_JOB_NEXT_STATE": `{"persistent_disk":0}`}))
			Expect(err).NotTo(HaveOccurred())
			Expect(wait).To(BeZero())
			Expect(fake.removed).To(Equal([]uint64{2}))
		})

		It("does not leave on drain when the whole deployment is going, as pre-stop noted", func() {
			Expect(a.PreStop(context.Background(), env(map[string]string{"BOSH_INSTANCE_NEXT_STATE": "delete", "BOSH_DEPLOYMENT_NEXT_STATE": "delete"}))).To(Succeed())
			_, err := a.Drain(context.Background(), env(map[string]string{"BOSH_JOB_NEXT_STATE": `{"persistent_disk":0}`}))
			Expect(err).NotTo(HaveOccurred())
			Expect(fake.removed).To(BeEmpty())

			By("forgetting the note when etcd starts again")
			Expect(a.ClearDeletingMarker()).To(Succeed())
			_, err = a.Drain(context.Background(), env(map[string]string{"BOSH_JOB_NEXT_STATE": `{"persistent_disk":0}`}))
			Expect(err).NotTo(HaveOccurred())
			Expect(fake.removed).To(Equal([]uint64{2}))
		})

		It("does nothing on drain for job_check_status or a kept disk", func() {
			_, err := a.Drain(context.Background(), env(nil))
			Expect(err).NotTo(HaveOccurred())
			_, err = a.Drain(context.Background(), env(map[string]string{"BOSH_JOB_NEXT_STATE": `{"persistent_disk":1024}`}))
			Expect(err).NotTo(HaveOccurred())
			Expect(fake.removed).To(BeEmpty())
		})

		It("names BOSH_JOB_NEXT_STATE when it is not JSON", func() {
			_, err := a.Drain(context.Background(), env(map[string]string{"BOSH_JOB_NEXT_STATE": "{"}))
			Expect(err).To(MatchError(ContainSubstring("BOSH_JOB_NEXT_STATE")))
		})
	})
})
