package app_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/app"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/dbcheck"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdversion"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity/identitytest"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

var _ = Describe("App", func() {
	var (
		cfg      config.Config
		fake     *fakeCluster
		peers    *fakePeers
		mu       sync.Mutex
		launched []*fakeEtcd
		onLaunch func()
		a        *app.App
		// binary is the version of the etcd the node starts.
		binary string
	)

	// member i of the group, as the fake cluster lists it.
	member := func(i int) cluster.Member {
		inst := config.Instance{Name: "etcd", Index: i, Address: cfg.Etcd.Cluster[i].Address}
		return cluster.Member{ID: uint64(i + 1), Name: inst.MemberName(),
			PeerURLs: []string{cfg.PeerURL(inst)}, ClientURLs: []string{cfg.ClientURL(inst)}}
	}
	statusURL := func(i int) string {
		return cfg.StatusURL(config.Peer{Address: cfg.Etcd.Cluster[i].Address})
	}
	launches := func() []*fakeEtcd {
		mu.Lock()
		defer mu.Unlock()
		return append([]*fakeEtcd(nil), launched...)
	}
	env := func(vars map[string]string) app.Env { return func(k string) string { return vars[k] } }
	newApp := func() {
		launch := func(args []string) (app.Etcd, error) {
			e := &fakeEtcd{args: args, done: make(chan struct{})}
			if onLaunch != nil {
				onLaunch()
			}
			mu.Lock()
			launched = append(launched, e)
			mu.Unlock()
			// The started member answers on its client URL from now on.
			fake.mu.Lock()
			defer fake.mu.Unlock()
			self, _ := cluster.Self{Name: cfg.MemberName(), PeerURL: cfg.PeerURL(cfg.Self())}.Find(fake.list())
			self.ClientURLs = []string{cfg.ClientURL(cfg.Self())}
			if self.ID == 0 {
				self.ID, self.Name, self.PeerURLs = 2, cfg.MemberName(), []string{cfg.PeerURL(cfg.Self())}
			}
			self.Name = cfg.MemberName()
			fake.members[self.ID] = self
			if fake.leader == 0 {
				fake.leader = self.ID
			}
			return e, nil
		}
		a = app.New(cfg, slog.New(slog.NewTextHandler(GinkgoWriter, nil)), fake.dial, launch, peers)
		a.PollInterval = time.Millisecond
		a.CallTimeout = 50 * time.Millisecond
		a.Listening = func(context.Context, string) error { return nil } // the fake cluster decides who answers
		a.LookupHost = func(context.Context, string) ([]string, error) { return []string{"10.0.0.9"}, nil }
		a.EtcdVersion = func(context.Context) (etcdversion.Version, error) { return etcdversion.Parse(binary) }
	}
	// run runs start until it launched etcd and check passes, then stops it.
	run := func(check func() bool) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		Eventually(check, "5s", "5ms").Should(BeTrue())
		cancel()
		Eventually(done, "5s").Should(Receive(BeNil()))
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
		peers = &fakePeers{reports: map[string]status.Report{}}
		launched, onLaunch = nil, nil
		binary = "3.7.3"
	})

	Describe("Run", func() {
		It("waits without forming a cluster when it is not the bootstrap instance, saying why", func() {
			fake = newFakeCluster()
			newApp()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			Expect(a.Run(ctx)).To(Succeed())
			Expect(launches()).To(BeEmpty())
			Expect(a.Report(ctx)).To(And(HaveField("Phase", status.Waiting), HaveField("Message", ContainSubstring("not the bootstrap instance"))))
		})

		It("does not bootstrap while its peers do not answer, then does once a majority reports no data", func() {
			cfg.Node.Bootstrap = true
			fake = newFakeCluster()
			newApp()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- a.Run(ctx) }()
			Consistently(launches, "100ms").Should(BeEmpty())

			peers.set(statusURL(2), status.Report{Name: "etcd-2", Phase: status.Waiting})
			Eventually(launches).Should(HaveLen(1))
			Expect(launches()[0].args).To(ContainElements("--initial-cluster-state", "new"))

			By("keeping a long-lived cluster from filling up and checking its data")
			Expect(launches()[0].args).To(ContainElements("--auto-compaction-mode", "periodic", "--auto-compaction-retention", "1h",
				"--quota-backend-bytes", "2147483648", "--snapshot-count", "10000", "--max-request-bytes", "1572864",
				"--feature-gates", "InitialCorruptCheck=true,CompactHashCheck=true"))
			cancel()
			Eventually(done).Should(Receive(BeNil()))
		})

		It("waits instead of bootstrapping when a peer holds data", func() {
			cfg.Node.Bootstrap = true
			fake = newFakeCluster()
			peers.set(statusURL(0), status.Report{Name: "etcd-0", Phase: status.Starting, HasData: true, ClusterID: 0xc1})
			peers.set(statusURL(2), status.Report{Name: "etcd-2", Phase: status.Waiting})
			newApp()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			Expect(a.Run(ctx)).To(Succeed())
			Expect(launches()).To(BeEmpty())
		})

		It("bootstraps each new cluster with a token of its own", func() {
			cfg.Node.Bootstrap = true
			peers.set(statusURL(0), status.Report{Name: "etcd-0", Phase: status.Waiting})
			var tokens []string
			for range 2 {
				fake = newFakeCluster()
				newApp()
				run(func() bool { return len(launches()) > len(tokens) })
				args := launches()[len(tokens)].args
				for i, arg := range args {
					if arg == "--initial-cluster-token" {
						tokens = append(tokens, args[i+1])
					}
				}
			}
			Expect(tokens).To(HaveLen(2))
			Expect(tokens[0]).NotTo(Equal(tokens[1]))
		})

		It("refuses to start on data of another cluster than the one answering, keeping the data", func() {
			Expect(identitytest.WriteWAL(cfg.Etcd.DataDir, 2, 0xdead)).To(Succeed())
			fake = newFakeCluster(member(0), member(2))
			newApp()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			Expect(a.Run(ctx)).To(Succeed())
			Expect(launches()).To(BeEmpty())
			Expect(a.Report(ctx)).To(And(HaveField("Phase", status.Refused), HaveField("Message", And(ContainSubstring("dead"), ContainSubstring("c1")))))
			Expect(filepath.Join(cfg.Etcd.DataDir, "member", "wal")).To(BeADirectory())
		})

		It("moves its data aside, and rejoins, when its own cluster no longer lists it", func() {
			Expect(identitytest.WriteWAL(cfg.Etcd.DataDir, 2, 0xc1)).To(Succeed())
			fake = newFakeCluster(member(0), member(2))
			aside := filepath.Join(cfg.Etcd.DataDir, "moved-aside", "member", "wal")
			asideAtLaunch := false
			onLaunch = func() { _, err := os.Stat(aside); asideAtLaunch = err == nil }
			newApp()
			run(func() bool { return len(cluster.Voters(fake.snapshot())) == 3 })
			Expect(launches()[0].args).To(ContainElements("--initial-cluster-state", "existing"))
			Expect(asideAtLaunch).To(BeTrue(), "the old data is moved aside, not deleted")
			Expect(aside).NotTo(BeADirectory(), "and dropped once the member is healthy again")
		})

		Describe("checking the database before a restart", func() {
			var checks int
			// checkReturns makes every database check give err.
			checkReturns := func(err error) {
				a.CheckData = func(context.Context, string) (dbcheck.Result, error) {
					mu.Lock()
					defer mu.Unlock()
					checks++
					return dbcheck.Result{}, err
				}
			}
			checked := func() int { mu.Lock(); defer mu.Unlock(); return checks }
			bad := &dbcheck.Problem{File: "member/snap/db", What: "truncated"}
			BeforeEach(func() {
				checks = 0
				Expect(identitytest.WriteWAL(cfg.Etcd.DataDir, 2, 0xc1)).To(Succeed())
			})

			It("restarts on data that passes", func() {
				fake = newFakeCluster(member(0), member(1), member(2))
				newApp()
				checkReturns(nil)
				run(func() bool { return len(launches()) == 1 })
				Expect(launches()[0].args).NotTo(ContainElement("existing"))
				Expect(checked()).To(Equal(1))
			})

			It("replaces a member with bad data from its peers: entry removed, data kept aside, joined again", func() {
				fake = newFakeCluster(member(0), member(1), member(2))
				quarantined := filepath.Join(cfg.Etcd.DataDir, "corrupt", "*", "member", "wal")
				var removedAtLaunch []uint64
				onLaunch = func() { removedAtLaunch = append([]uint64(nil), fake.removed...) }
				newApp()
				checkReturns(bad)
				run(func() bool { return len(cluster.Voters(fake.snapshot())) == 3 && len(launches()) == 1 })
				Expect(launches()[0].args).To(ContainElements("--initial-cluster-state", "existing"))
				Expect(removedAtLaunch).To(Equal([]uint64{2}), "the stale entry goes before etcd starts")
				Expect(filepath.Glob(quarantined)).To(HaveLen(1), "the bad data is moved aside, not deleted")
				Expect(filepath.Glob(quarantined)).To(HaveLen(1), "and kept after the member is healthy again")
				reason, _ := filepath.Glob(filepath.Join(cfg.Etcd.DataDir, "corrupt", "*", "REASON"))
				Expect(reason).To(HaveLen(1))
				Expect(os.ReadFile(reason[0])).To(ContainSubstring("member/snap/db: truncated"))
			})

			It("refuses bad data when no quorum answers, keeping it untouched and checking it once", func() {
				fake = newFakeCluster()
				newApp()
				checkReturns(bad)
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				Expect(a.Run(ctx)).To(Succeed())
				Expect(launches()).To(BeEmpty())
				Expect(a.Report(ctx)).To(And(HaveField("Phase", status.Refused),
					HaveField("Message", And(ContainSubstring("member/snap/db: truncated"), ContainSubstring("snapshot or BBR backup")))))
				Expect(filepath.Join(cfg.Etcd.DataDir, "member", "wal")).To(BeADirectory())
				Expect(filepath.Join(cfg.Etcd.DataDir, "corrupt")).NotTo(BeAnExistingFile())
				Expect(checked()).To(Equal(1), "the same files are not checked again at every poll")
			})

			It("waits, changing nothing, while the data cannot be checked", func() {
				fake = newFakeCluster(member(0), member(1), member(2))
				newApp()
				checkReturns(errors.New("still locked"))
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				Expect(a.Run(ctx)).To(Succeed())
				Expect(launches()).To(BeEmpty())
				Expect(fake.removed).To(BeEmpty())
				Expect(a.Report(ctx)).To(HaveField("Message", ContainSubstring("still locked")))
				Expect(checked()).To(BeNumerically(">", 1), "it checks again")
			})
		})

		It("queues behind another learner, then joins with the cluster's members", func() {
			fake = newFakeCluster(member(0))
			fake.addErrs = []error{rpctypes.ErrUnhealthy, rpctypes.ErrUnhealthy}
			newApp()
			run(func() bool { return len(cluster.Voters(fake.snapshot())) == 2 })
			Expect(launches()).To(HaveLen(1))
			Expect(launches()[0].args).To(ContainElements("--initial-cluster-state", "existing"))
			Expect(launches()[0].args).To(ContainElement("etcd-0=http://10.0.0.1:2380,etcd-1=http://10.0.0.2:2380"))
		})

		It("removes a learner nobody runs when it blocks the join", func() {
			orphan := cluster.Member{ID: 9, PeerURLs: []string{"http://10.9.9.9:2380"}, IsLearner: true}
			fake = newFakeCluster(member(0), orphan)
			fake.addErrs = []error{rpctypes.ErrTooManyLearners}
			newApp()
			run(func() bool { return len(cluster.Voters(fake.snapshot())) == 2 })
			Expect(fake.removed).To(ContainElement(uint64(9)))
		})

		It("passes TLS flags to etcd when TLS is on", func() {
			cfg.Node.Bootstrap = true
			cfg.Etcd.RequireSSL, cfg.Etcd.PeerRequireSSL = true, true
			cfg.Etcd.DNSHealthCheckHost = ""
			peers.set(statusURL(0), status.Report{Name: "etcd-0", Phase: status.Waiting})
			fake = newFakeCluster()
			newApp()
			run(func() bool { return len(launches()) == 1 })
			Expect(launches()[0].args).To(ContainElements("--client-cert-auth", "--peer-client-cert-auth",
				"--initial-advertise-peer-urls", "https://etcd-1.etcd.service.cf.internal:2380",
				"--listen-peer-urls", "https://10.0.0.2:2380"))
		})
	})

	Describe("moving the cluster to another etcd minor", func() {
		// A restart of member 1 on its data, the others on 3.6.16 in a
		// cluster at 3.6, this node's etcd 3.7.3.
		BeforeEach(func() {
			Expect(identitytest.WriteWAL(cfg.Etcd.DataDir, 2, 0xc1)).To(Succeed())
			fake = newFakeCluster(member(0), member(1), member(2))
			fake.version = "3.6.0"
			fake.versions = map[uint64]string{1: "3.6.16", 2: "3.6.16", 3: "3.6.16"}
		})
		refusal := func() string {
			newApp()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			Expect(a.Run(ctx)).To(Succeed())
			Expect(launches()).To(BeEmpty(), "etcd is not started")
			r := a.Report(ctx)
			Expect(r.Phase).To(Equal(status.Refused))
			return r.Message
		}

		It("upgrades when every other member is healthy on 3.6.11 or later", func() {
			newApp()
			run(func() bool { return len(launches()) == 1 })
		})

		It("refuses while a member runs a 3.6 older than 3.6.11, naming it", func() {
			fake.versions[3] = "3.6.10"
			Expect(refusal()).To(And(ContainSubstring("member etcd-2 runs etcd 3.6.10, older than 3.6.11"),
				ContainSubstring("not upgrading this member from etcd 3.6 to 3.7.3")))
		})

		It("refuses while another member does not answer, and upgrades once it does", func() {
			fake.down[3] = true
			Expect(refusal()).To(ContainSubstring("member etcd-2 does not answer"))
			fake.mu.Lock()
			fake.down[3] = false
			fake.mu.Unlock()
			newApp()
			run(func() bool { return len(launches()) == 1 })
		})

		It("refuses without quorum", func() {
			fake.noQuorum = true
			Expect(refusal()).To(ContainSubstring("the cluster has no quorum"))
		})

		It("refuses to skip a minor", func() {
			binary = "3.8.0"
			Expect(refusal()).To(ContainSubstring("etcd upgrades one minor at a time; deploy a release with etcd 3.7 first"))
		})

		It("refuses an older minor than the cluster runs unless its downgrade is enabled", func() {
			binary = "3.6.16"
			fake.version = "3.7.0"
			fake.versions = map[uint64]string{1: "3.7.3", 2: "3.7.3", 3: "3.7.3"}
			Expect(refusal()).To(ContainSubstring("only after `etcdfab downgrade`"))
			fake.downgrade = "3.6.0"
			newApp()
			run(func() bool { return len(launches()) == 1 })
		})

		It("does not check again on a member that ran the new minor on its data already", func() {
			Expect(identity.WriteRecord(cfg.Etcd.DataDir, identity.Record{ClusterID: 0xc1, MemberID: 2, EtcdVersion: "3.7.3"})).To(Succeed())
			fake.down[3] = true
			newApp()
			run(func() bool { return len(launches()) == 1 })
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
		Expect(identitytest.WriteWAL(cfg.Etcd.DataDir, 2, 0xc1)).To(Succeed())
		Expect(a.Run(ctx)).To(Succeed())
		r := a.Report(ctx)
		Expect(r.Message).To(ContainSubstring("consul.service.cf.internal does not resolve"))
		Expect(r.HasData).To(BeTrue(), "a waiting member reports the data on its disk")
		Expect(r.ClusterID).To(BeEquivalentTo(0xc1))
		Expect(lookups).To(BeNumerically(">", 1))
		Expect(launches()).To(BeEmpty())
	})

	Describe("DNSHealthCheck", func() {
		self := func() string { return cfg.StatusURL(config.Peer{Address: cfg.Node.ExternalIP}) }
		BeforeEach(func() {
			fake = newFakeCluster(member(0), member(1), member(2))
			newApp()
		})

		It("passes while the member starts, so that etcd can resolve its own name", func() {
			peers.set(self(), status.Report{Phase: status.Starting})
			Expect(a.DNSHealthCheck(context.Background())).To(Succeed())
		})

		It("passes while it serves with quorum, and fails when it is cut off from its peers", func() {
			peers.set(self(), status.Report{Phase: status.Running})
			Expect(a.DNSHealthCheck(context.Background())).To(Succeed())
			fake.noQuorum = true
			Expect(a.DNSHealthCheck(context.Background())).To(MatchError(ContainSubstring("cut off")))
		})

		It("fails when etcdfab does not run, or refused to start", func() {
			Expect(a.DNSHealthCheck(context.Background())).To(MatchError(ContainSubstring("does not run")))
			peers.set(self(), status.Report{Phase: status.Refused, Message: "data of cluster dead"})
			Expect(a.DNSHealthCheck(context.Background())).To(MatchError(ContainSubstring("data of cluster dead")))
		})
	})

	Describe("PreStop and Drain", func() {
		BeforeEach(func() {
			fake = newFakeCluster(member(0), member(1), member(2))
			newApp()
		})
		withDisk := func(current, next string) app.Env {
			return env(map[string]string{"BOSH_JOB_STATE": current, "BOSH_JOB_NEXT_STATE": next})
		}

		It("only hands leadership over on pre-stop when the instance is deleted, and leaves on drain", func() {
			fake.leader = 2
			Expect(a.PreStop(context.Background(), env(map[string]string{"BOSH_INSTANCE_NEXT_STATE": "delete"}))).To(Succeed())
			Expect(fake.moved).To(HaveLen(1))
			Expect(fake.moved[0]).NotTo(Equal(uint64(2)))
			Expect(fake.removed).To(BeEmpty(), "monit still watches during pre-stop")

			By("draining an instance without a disk, which pre-stop said is being deleted")
			wait, err := a.Drain(context.Background(), withDisk(`{"persistent_disk":0}`, `{"persistent_disk":0}`))
			Expect(err).NotTo(HaveOccurred())
			Expect(wait).To(BeZero())
			Expect(fake.removed).To(Equal([]uint64{2}))
		})

		It("stays a member on pre-stop for an update", func() {
			Expect(a.PreStop(context.Background(), env(map[string]string{"BOSH_INSTANCE_NEXT_STATE": "keep"}))).To(Succeed())
			Expect(fake.removed).To(BeEmpty())
			Expect(fake.moved).To(BeEmpty())
		})

		It("refuses on pre-stop when the others could not keep quorum, changing nothing", func() {
			fake.down[3] = true
			err := a.PreStop(context.Background(), env(map[string]string{"BOSH_INSTANCE_NEXT_STATE": "delete"}))
			Expect(err).To(MatchError(ContainSubstring("quorum needs 2")))
			Expect(fake.removed).To(BeEmpty())
		})

		It("leaves on drain when the persistent disk goes, printing 0", func() {
			wait, err := a.Drain(context.Background(), withDisk(`{"persistent_disk":1024}`, `{"persistent_disk":0}`))
			Expect(err).NotTo(HaveOccurred())
			Expect(wait).To(BeZero())
			Expect(fake.removed).To(Equal([]uint64{2}))
		})

		It("stays a member on every update of a group without a persistent disk", func() {
			_, err := a.Drain(context.Background(), withDisk(`{"persistent_disk":0}`, `{"persistent_disk":0}`))
			Expect(err).NotTo(HaveOccurred())
			Expect(fake.removed).To(BeEmpty())
		})

		It("does not leave on drain when the whole deployment is going, as pre-stop noted", func() {
			Expect(a.PreStop(context.Background(), env(map[string]string{"BOSH_INSTANCE_NEXT_STATE": "delete", "BOSH_DEPLOYMENT_NEXT_STATE": "delete"}))).To(Succeed())
			_, err := a.Drain(context.Background(), withDisk(`{"persistent_disk":1024}`, `{"persistent_disk":0}`))
			Expect(err).NotTo(HaveOccurred())
			Expect(fake.removed).To(BeEmpty())

			By("forgetting the note when etcd starts again")
			Expect(a.ClearMarks()).To(Succeed())
			_, err = a.Drain(context.Background(), withDisk(`{"persistent_disk":1024}`, `{"persistent_disk":0}`))
			Expect(err).NotTo(HaveOccurred())
			Expect(fake.removed).To(Equal([]uint64{2}))
		})

		It("does nothing on drain for job_check_status or a kept disk", func() {
			_, err := a.Drain(context.Background(), env(nil))
			Expect(err).NotTo(HaveOccurred())
			_, err = a.Drain(context.Background(), withDisk(`{"persistent_disk":1024}`, `{"persistent_disk":1024}`))
			Expect(err).NotTo(HaveOccurred())
			Expect(fake.removed).To(BeEmpty())
		})

		It("names BOSH_JOB_NEXT_STATE when it is not JSON", func() {
			_, err := a.Drain(context.Background(), env(map[string]string{"BOSH_JOB_NEXT_STATE": "{"}))
			Expect(err).To(MatchError(ContainSubstring("BOSH_JOB_NEXT_STATE")))
		})
	})
})
