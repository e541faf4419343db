// Package health reports an etcd cluster's members as an operator checks
// them: leader, raft term and index, revision, database size, alarms and
// whether each member serves, with the reasons it is not healthy.
package health

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
)

// Source is what a health check asks of the cluster.
type Source interface {
	// Members is a linearizable member list.
	Members(ctx context.Context) (cluster.List, error)
	DBStatus(ctx context.Context, endpoint string) (etcdclient.DBStatus, error)
	Alarms(ctx context.Context) ([]etcdclient.Alarm, error)
	// Read reads through the member at endpoint alone.
	Read(ctx context.Context, endpoint string, linearizable bool) error
}

// Target is an instance of the group and where to reach its member: by
// address, as etcdfab dials members. Name is the member name it runs, or
// empty when the config does not tell (etcd.machines lists addresses
// only); a listed member is then reached at its advertised client URL.
type Target struct {
	Name     string
	Endpoint string
}

// Member is one member's health.
type Member struct {
	Name         string   `json:"name"`
	ID           string   `json:"id"`
	ClientURL    string   `json:"client_url"`
	Endpoint     string   `json:"endpoint"`
	Leader       bool     `json:"leader"`
	Learner      bool     `json:"learner"`
	RaftTerm     uint64   `json:"raft_term"`
	RaftIndex    uint64   `json:"raft_index"`
	AppliedIndex uint64   `json:"applied_index"`
	Revision     int64    `json:"revision"`
	DBSize       int64    `json:"db_size"`
	DBSizeInUse  int64    `json:"db_size_in_use"`
	Alarms       []string `json:"alarms"`
	Healthy      bool     `json:"healthy"`
	// Problem says why the member is not healthy.
	Problem string `json:"problem,omitempty"`

	memberID uint64
}

// FreeRatio is the part of the database file that holds no data, which
// defragmenting gives back (0 when the size is unknown).
func (m Member) FreeRatio() float64 {
	if m.DBSize <= 0 {
		return 0
	}
	return float64(m.DBSize-m.DBSizeInUse) / float64(m.DBSize)
}

// MemberID is the member's ID (0 when no member list named it).
func (m Member) MemberID() uint64 { return m.memberID }

// Report is the whole cluster's health.
type Report struct {
	ClusterID string   `json:"cluster_id"`
	Members   []Member `json:"members"`
	// Problems lists every reason the cluster is not healthy; none means
	// it is.
	Problems []string `json:"problems"`
	Healthy  bool     `json:"healthy"`
}

// Leader is the member every healthy member follows, if any.
func (r Report) Leader() (Member, bool) {
	i := slices.IndexFunc(r.Members, func(m Member) bool { return m.Leader })
	if i < 0 {
		return Member{}, false
	}
	return r.Members[i], true
}

// Check asks the cluster for its member list and alarms, and every member,
// all at once, for its status and a read through it alone. Each call gets
// timeout. Members the list gives are reported; group instances it does not
// list are problems, and so is an alarm, a member that does not answer, or
// one that answers without a leader.
func Check(ctx context.Context, src Source, group []Target, timeout time.Duration) Report {
	call := func(fn func(ctx context.Context) error) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		return fn(ctx)
	}
	var r Report
	var list cluster.List
	listErr := call(func(ctx context.Context) (err error) { list, err = src.Members(ctx); return err })
	if listErr != nil {
		r.Problems = append(r.Problems, fmt.Sprintf("no member list (it needs a leader and quorum): %v", listErr))
		// Without the cluster's word, look at the group's instances.
		for _, t := range group {
			name := t.Name
			if name == "" {
				name = t.Endpoint
			}
			r.Members = append(r.Members, Member{Name: name, Endpoint: t.Endpoint, ClientURL: t.Endpoint})
		}
	} else {
		r.ClusterID = fmt.Sprintf("%x", list.ClusterID)
		for _, m := range list.Members {
			r.Members = append(r.Members, fromList(m, group))
		}
		slices.SortFunc(r.Members, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
		for _, t := range group {
			if t.Name != "" && !slices.ContainsFunc(list.Members, func(m cluster.Member) bool { return m.Name == t.Name }) {
				r.Problems = append(r.Problems, fmt.Sprintf("instance %s (%s) is not a member of the cluster", t.Name, t.Endpoint))
			}
		}
	}
	var alarms []etcdclient.Alarm
	alarmErr := call(func(ctx context.Context) (err error) { alarms, err = src.Alarms(ctx); return err })
	if alarmErr != nil && listErr == nil {
		r.Problems = append(r.Problems, fmt.Sprintf("alarms could not be listed: %v", alarmErr))
	}

	var wg sync.WaitGroup
	for i := range r.Members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			probe(call, src, &r.Members[i])
		}()
	}
	wg.Wait()

	for i := range r.Members {
		m := &r.Members[i]
		for _, a := range alarms {
			if a.MemberID == m.memberID {
				m.Alarms = append(m.Alarms, a.Type)
			}
		}
		if len(m.Alarms) > 0 {
			m.Healthy = false
			m.Problem = join(m.Problem, fmt.Sprintf("alarm %v raised", m.Alarms))
		}
		if !m.Healthy {
			r.Problems = append(r.Problems, fmt.Sprintf("member %s: %s", m.Name, m.Problem))
		}
	}
	for _, a := range alarms {
		if !slices.ContainsFunc(r.Members, func(m Member) bool { return m.memberID == a.MemberID }) {
			r.Problems = append(r.Problems, fmt.Sprintf("alarm %s raised by member %x, which is not listed", a.Type, a.MemberID))
		}
	}
	if len(r.Members) == 0 {
		r.Problems = append(r.Problems, "no member to check")
	}
	r.Healthy = len(r.Problems) == 0
	return r
}

// fromList describes a listed member, reached at its group instance's
// address when the group names it, else at its first advertised client URL.
func fromList(m cluster.Member, group []Target) Member {
	out := Member{Name: m.Name, ID: fmt.Sprintf("%x", m.ID), Learner: m.IsLearner, memberID: m.ID}
	if len(m.ClientURLs) > 0 {
		out.ClientURL = m.ClientURLs[0]
		out.Endpoint = m.ClientURLs[0]
	}
	if i := slices.IndexFunc(group, func(t Target) bool { return t.Name != "" && t.Name == m.Name }); i >= 0 {
		out.Endpoint = group[i].Endpoint
	}
	if out.Name == "" {
		out.Name = out.ID + " (not started)"
	}
	return out
}

// probe fills in a member's status and its health: it answers, knows a
// leader, and serves a read through it alone (linearizable for a voting
// member, serializable for a learner).
func probe(call func(func(context.Context) error) error, src Source, m *Member) {
	if m.Endpoint == "" {
		m.Problem = "the member has not started: it advertises no client URL"
		return
	}
	var st etcdclient.DBStatus
	if err := call(func(ctx context.Context) (err error) { st, err = src.DBStatus(ctx, m.Endpoint); return err }); err != nil {
		m.Problem = fmt.Sprintf("no status: %v", err)
		return
	}
	m.memberID = st.MemberID
	m.ID = fmt.Sprintf("%x", st.MemberID)
	m.Leader = st.Leader != 0 && st.Leader == st.MemberID
	m.Learner = st.IsLearner
	m.RaftTerm, m.RaftIndex, m.AppliedIndex = st.RaftTerm, st.RaftIndex, st.AppliedIndex
	m.Revision, m.DBSize, m.DBSizeInUse = st.Revision, st.DBSize, st.DBSizeInUse
	if st.Leader == 0 {
		m.Problem = "the member knows no leader"
		return
	}
	if errs := nonAlarmErrors(st.Errors); len(errs) > 0 {
		m.Problem = fmt.Sprintf("the member reports errors: %v", errs)
		return
	}
	if err := call(func(ctx context.Context) error { return src.Read(ctx, m.Endpoint, !st.IsLearner) }); err != nil {
		m.Problem = err.Error()
		return
	}
	m.Healthy = true
}

// nonAlarmErrors drops the alarms a status repeats on every member
// ("memberID:... alarm:NOSPACE"): Check reports each alarm once, on the
// member that raised it.
func nonAlarmErrors(errs []string) []string {
	var out []string
	for _, e := range errs {
		if !strings.Contains(e, "alarm:") {
			out = append(out, e)
		}
	}
	return out
}

func join(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}
