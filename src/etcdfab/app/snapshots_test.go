package app_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/app"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/snapshot"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// fakeSnapshots is a destination in memory: Take appends a snapshot (or
// fails with takeErr), List fails with listErr.
type fakeSnapshots struct {
	mu      sync.Mutex
	taken   []string // endpoints snapshotted
	list    snapshot.Listing
	listErr error
	takeErr error
	fetched []string
}

func (f *fakeSnapshots) String() string { return "s3://fake/etcd" }

func (f *fakeSnapshots) Take(_ context.Context, endpoint string) (snapshot.Metadata, []string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.takeErr != nil {
		return snapshot.Metadata{}, nil, f.takeErr
	}
	f.taken = append(f.taken, endpoint)
	m := snapshot.Metadata{Name: fmt.Sprintf("etcd-snapshot-%d", len(f.taken)), Created: time.Now()}
	f.list.Snapshots = append([]snapshot.Metadata{m}, f.list.Snapshots...)
	return m, nil, nil
}

func (f *fakeSnapshots) List(context.Context) (snapshot.Listing, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.list, f.listErr
}

func (f *fakeSnapshots) Fetch(_ context.Context, m snapshot.Metadata, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetched = append(f.fetched, m.Name)
	return fmt.Errorf("snapshot %s: %w", m.Name, snapshot.ErrChecksum)
}

func (f *fakeSnapshots) takes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.taken)
}

var _ = Describe("snapshots", func() {
	var (
		cfg      config.Config
		fake     *fakeCluster
		dest     *fakeSnapshots
		a        *app.App
		mu       sync.Mutex
		launched [][]string
		cancel   context.CancelFunc
		done     chan error
	)
	const selfID = 1
	launches := func() [][]string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(launched)
	}
	// start runs a one-instance group's bootstrap instance; the launched
	// etcd answers as member 1.
	start := func() {
		launch := func(args []string) (app.Etcd, error) {
			mu.Lock()
			launched = append(launched, args)
			mu.Unlock()
			fake.mu.Lock()
			defer fake.mu.Unlock()
			fake.members[selfID] = cluster.Member{ID: selfID, Name: cfg.MemberName(), PeerURLs: []string{cfg.PeerURL(cfg.Self())}, ClientURLs: []string{cfg.ClientURL(cfg.Self())}}
			if fake.leader == 0 {
				fake.leader = selfID
			}
			return &fakeEtcd{args: args, done: make(chan struct{})}, nil
		}
		a = app.New(cfg, slog.New(slog.NewTextHandler(GinkgoWriter, nil)), fake.dial, launch, &fakePeers{reports: map[string]status.Report{}})
		a.PollInterval, a.CallTimeout = time.Millisecond, 50*time.Millisecond
		a.Listening = func(context.Context, string) error { return nil }
		a.EtcdVersion = nil
		a.Snapshots = dest
		var ctx context.Context
		ctx, cancel = context.WithCancel(context.Background())
		done = make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		DeferCleanup(func() {
			cancel()
			Eventually(done, "5s").Should(Receive())
		})
	}

	BeforeEach(func() {
		cfg = config.Default()
		cfg.Node = config.Node{Name: "etcd", Index: 0, ExternalIP: "10.0.0.1", Bootstrap: true, Deployment: "d"}
		dir := GinkgoT().TempDir()
		cfg.Etcd.DataDir, cfg.Etcd.RunDir, cfg.Etcd.LogDir = filepath.Join(dir, "store"), filepath.Join(dir, "run"), filepath.Join(dir, "log")
		cfg.Etcd.EtcdPath = filepath.Join(dir, "bin", "etcd")
		Expect(os.MkdirAll(cfg.Etcd.DataDir, 0o700)).To(Succeed())
		cfg.Etcd.Cluster = []config.Instance{{Name: "etcd", Index: 0, Address: "10.0.0.1"}}
		cfg.Etcd.Snapshots = config.Snapshots{Destination: "s3://fake/etcd", Interval: "100ms", Retention: 3}
		fake = newFakeCluster()
		dest = &fakeSnapshots{}
		launched = nil
	})

	Describe("periodic", func() {
		It("are taken by the leader, one per interval, from its own client URL", func() {
			start()
			Eventually(dest.takes, "5s").Should(BeNumerically(">=", 3))
			Expect(dest.taken[0]).To(Equal("http://10.0.0.1:2379"))
			dest.mu.Lock()
			gap := dest.list.Snapshots[0].Created.Sub(dest.list.Snapshots[1].Created)
			dest.mu.Unlock()
			Expect(gap).To(BeNumerically(">=", 90*time.Millisecond))
		})

		It("are not taken by a member that does not lead", func() {
			fake.members[99] = cluster.Member{ID: 99, Name: "other", PeerURLs: []string{"http://10.0.0.9:2380"}, ClientURLs: []string{"http://10.0.0.9:2379"}}
			fake.leader = 99
			start()
			Eventually(launches).Should(HaveLen(1))
			Consistently(dest.takes, "500ms").Should(BeZero())
		})

		It("keep etcd running when they fail", func() {
			dest.takeErr = errors.New("bucket gone")
			start()
			Eventually(launches).Should(HaveLen(1))
			Consistently(done, "500ms").ShouldNot(Receive())
		})
	})

	Describe("the automatic restore in a bootstrap", func() {
		It("forms an empty cluster when the destination holds no snapshot", func() {
			start()
			Eventually(launches).Should(HaveLen(1))
			Expect(launches()[0]).To(ContainElements("--initial-cluster-state", "new"))
		})

		It("waits, forming nothing, while the destination cannot be listed", func() {
			dest.listErr = errors.New("connection refused")
			start()
			Eventually(func() status.Report { return a.Report(context.Background()) }).Should(HaveField("Message",
				And(ContainSubstring("s3://fake/etcd (etcd.snapshots.destination)"), ContainSubstring("connection refused"))))
			Consistently(launches, "300ms").Should(BeEmpty())
		})

		It("skips invalid snapshots newest first, and refuses to form an empty cluster when none is valid", func() {
			now := time.Now()
			dest.list = snapshot.Listing{
				Snapshots: []snapshot.Metadata{{Name: "etcd-snapshot-new", Created: now}, {Name: "etcd-snapshot-old", Created: now.Add(-time.Hour)}},
				Broken:    []error{errors.New("snapshot metadata etcd-snapshot-x.json: parsing")},
			}
			start()
			Eventually(func() status.Report { return a.Report(context.Background()) }).Should(And(HaveField("Phase", status.Refused),
				HaveField("Message", And(ContainSubstring("refusing to form an empty cluster"), ContainSubstring("2 snapshots and 1 unusable"),
					ContainSubstring("etcd-snapshot-new"), ContainSubstring("checksum mismatch")))))
			Consistently(launches, "300ms").Should(BeEmpty())
			dest.mu.Lock()
			defer dest.mu.Unlock()
			Expect(dest.fetched).To(Equal([]string{"etcd-snapshot-new", "etcd-snapshot-old"}), "newest first, each once while the refusal stands")
		})
	})
})
