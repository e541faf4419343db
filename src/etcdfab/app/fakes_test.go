package app_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/app"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// fakeCluster is an in-memory etcd cluster: a member map, which members
// answer, who leads, and errors to return from the next AddLearner calls.
// With no members, nothing answers.
type fakeCluster struct {
	mu        sync.Mutex
	clusterID uint64
	members   map[uint64]cluster.Member
	down      map[uint64]bool
	leader    uint64
	nextID    uint64
	addErrs   []error
	removed   []uint64
	moved     []uint64
	// noQuorum makes linearizable reads fail, as on a member cut off from
	// its peers.
	noQuorum bool
	// versions are the members' etcd versions (default 3.7.3); version the
	// cluster's (default 3.7.0); downgrade the enabled downgrade's target.
	versions  map[uint64]string
	version   string
	downgrade string
}

func newFakeCluster(members ...cluster.Member) *fakeCluster {
	f := &fakeCluster{clusterID: 0xc1, members: map[uint64]cluster.Member{}, down: map[uint64]bool{}, nextID: 100,
		versions: map[uint64]string{}, version: "3.7.0"}
	for _, m := range members {
		f.members[m.ID] = m
	}
	if len(members) > 0 {
		f.leader = members[0].ID
	}
	return f
}

func (f *fakeCluster) dial([]string) (app.Cluster, error) { return f, nil }

// snapshot is list under the lock, for tests polling while start runs.
func (f *fakeCluster) snapshot() []cluster.Member {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.list()
}

func (f *fakeCluster) list() []cluster.Member {
	var out []cluster.Member
	for _, m := range f.members {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b cluster.Member) int { return int(a.ID) - int(b.ID) })
	return out
}

func (f *fakeCluster) Members(ctx context.Context) (cluster.List, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.members) == 0 { // nobody runs yet: nothing answers
		f.mu.Unlock()
		<-ctx.Done()
		f.mu.Lock()
		return cluster.List{}, ctx.Err()
	}
	return cluster.List{ClusterID: f.clusterID, Members: f.list()}, nil
}

func (f *fakeCluster) AddLearner(_ context.Context, peerURL string) (cluster.Member, []cluster.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.addErrs) > 0 {
		err := f.addErrs[0]
		f.addErrs = f.addErrs[1:]
		return cluster.Member{}, nil, err
	}
	f.nextID++
	m := cluster.Member{ID: f.nextID, PeerURLs: []string{peerURL}, IsLearner: true}
	f.members[m.ID] = m
	return m, f.list(), nil
}

func (f *fakeCluster) Promote(_ context.Context, id uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.members[id]
	m.IsLearner = false
	f.members[id] = m
	return nil
}

func (f *fakeCluster) Remove(_ context.Context, id uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.members, id)
	f.removed = append(f.removed, id)
	return nil
}

func (f *fakeCluster) UpdatePeerURLs(_ context.Context, id uint64, urls []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.members[id]
	m.PeerURLs = urls
	f.members[id] = m
	return nil
}

// Status answers for the member whose client URL is endpoint.
func (f *fakeCluster) Status(_ context.Context, endpoint string) (etcdclient.Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.members {
		if slices.Contains(m.ClientURLs, endpoint) && !f.down[m.ID] {
			return etcdclient.Status{ClusterID: f.clusterID, MemberID: m.ID, Leader: f.leader, IsLearner: m.IsLearner,
				Version: f.versionOf(m.ID), Downgrade: f.downgrade}, nil
		}
	}
	return etcdclient.Status{}, errors.New("connection refused")
}

func (f *fakeCluster) versionOf(id uint64) string {
	if v, ok := f.versions[id]; ok {
		return v
	}
	return "3.7.3"
}

// Versions answers etcd's version API for the member at endpoint.
func (f *fakeCluster) Versions(_ context.Context, endpoint string) (etcdclient.Versions, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.members {
		if slices.Contains(m.ClientURLs, endpoint) && !f.down[m.ID] {
			return etcdclient.Versions{Server: f.versionOf(m.ID), Cluster: f.version, Storage: f.version}, nil
		}
	}
	return etcdclient.Versions{}, errors.New("connection refused")
}

func (f *fakeCluster) MoveLeader(_ context.Context, to uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.leader = to
	f.moved = append(f.moved, to)
	return nil
}

func (f *fakeCluster) CheckQuorum(context.Context) error {
	if f.noQuorum {
		return rpctypes.ErrTimeout
	}
	return nil
}
func (f *fakeCluster) Close() error { return nil }

// fakeEtcd is a launched etcd that runs until stopped.
type fakeEtcd struct {
	args []string
	done chan struct{}
	once sync.Once
}

func (e *fakeEtcd) Pid() int                { return 42 }
func (e *fakeEtcd) Done() <-chan struct{}   { return e.done }
func (e *fakeEtcd) Err() error              { return nil }
func (e *fakeEtcd) Stop(time.Duration) bool { e.once.Do(func() { close(e.done) }); return true }

// fakePeers answers status requests by URL; URLs it does not know are
// not started.
type fakePeers struct {
	mu      sync.Mutex
	reports map[string]status.Report
}

func (p *fakePeers) set(url string, r status.Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reports[url] = r
}

func (p *fakePeers) Fetch(_ context.Context, url string) (status.Report, cluster.Reach, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.reports[url]
	if !ok {
		return status.Report{}, cluster.NotStarted, errors.New("connection refused")
	}
	return r, cluster.Answered, nil
}
