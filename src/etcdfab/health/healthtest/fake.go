// Package healthtest is a fake cluster for the health and defrag tests: its
// members answer status, reads and defragmentation as their fields say.
package healthtest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/health"
)

// Member is one member of Cluster.
type Member struct {
	ID                 uint64
	Learner, Down      bool
	DBSize, InUse      int64
	ReadErr            error
	NoLeader           bool
	DefragErr          error
	DownWhileDefragged bool
}

// Cluster answers as a cluster of its members would; members[leader]
// leads. It records the order of defragmentations.
type Cluster struct {
	mu sync.Mutex
	// ByName holds the members by name; Leader names the leader.
	ByName    map[string]*Member
	Leader    string
	AlarmList []etcdclient.Alarm
	// NoList: the member list fails, as without quorum.
	NoList bool
	// Defrags lists the members defragmented, in order.
	Defrags []string
}

// Endpoint is where a fake member is reached.
func Endpoint(name string) string { return "http://" + name + ":2379" }

// Targets are the members as a group of instances.
func (f *Cluster) Targets() []health.Target {
	var out []health.Target
	for _, name := range slices.Sorted(maps.Keys(f.ByName)) {
		out = append(out, health.Target{Name: name, Endpoint: Endpoint(name)})
	}
	return out
}

func (f *Cluster) byEndpoint(endpoint string) (string, *Member) {
	for name, m := range f.ByName {
		if Endpoint(name) == endpoint {
			return name, m
		}
	}
	return "", nil
}

func (f *Cluster) Members(ctx context.Context) (cluster.List, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.NoList {
		return cluster.List{}, errors.New("context deadline exceeded")
	}
	l := cluster.List{ClusterID: 0xc1}
	for name, m := range f.ByName {
		l.Members = append(l.Members, cluster.Member{ID: m.ID, Name: name, ClientURLs: []string{"https://" + name + ".etcd.internal:2379"}, IsLearner: m.Learner})
	}
	return l, nil
}

func (f *Cluster) DBStatus(ctx context.Context, endpoint string) (etcdclient.DBStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, m := f.byEndpoint(endpoint)
	if m == nil || m.Down {
		return etcdclient.DBStatus{}, fmt.Errorf("getting status of %s: connection refused", endpoint)
	}
	st := etcdclient.DBStatus{Status: etcdclient.Status{ClusterID: 0xc1, MemberID: m.ID, IsLearner: m.Learner, Leader: f.ByName[f.Leader].ID, RaftIndex: 100},
		RaftTerm: 2, AppliedIndex: 100, Revision: 50, DBSize: m.DBSize, DBSizeInUse: m.InUse}
	for _, a := range f.AlarmList {
		// etcd repeats every alarm in every member's status.
		st.Errors = append(st.Errors, fmt.Sprintf("memberID:%d alarm:%s", a.MemberID, a.Type))
	}
	if m.NoLeader {
		st.Leader = 0
	}
	return st, nil
}

func (f *Cluster) Alarms(ctx context.Context) ([]etcdclient.Alarm, error) { return f.AlarmList, nil }

func (f *Cluster) Read(ctx context.Context, endpoint string, linearizable bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, m := f.byEndpoint(endpoint)
	if m.Learner && linearizable {
		return errors.New("rpc not supported for learner")
	}
	return m.ReadErr
}

func (f *Cluster) Defragment(ctx context.Context, endpoint string) (time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	name, m := f.byEndpoint(endpoint)
	f.Defrags = append(f.Defrags, name)
	if m.DefragErr != nil {
		return 0, m.DefragErr
	}
	m.DBSize = m.InUse
	if m.DownWhileDefragged {
		m.Down = true
	}
	return time.Millisecond, nil
}

// ThreeMembers is a healthy cluster whose members have 90% of their
// databases free.
func ThreeMembers(leader string) *Cluster {
	return &Cluster{Leader: leader, ByName: map[string]*Member{
		"etcd-0": {ID: 0xa0, DBSize: 100 << 20, InUse: 10 << 20},
		"etcd-1": {ID: 0xa1, DBSize: 100 << 20, InUse: 10 << 20},
		"etcd-2": {ID: 0xa2, DBSize: 100 << 20, InUse: 10 << 20},
	}}
}
