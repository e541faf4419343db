// Package defrag defragments an etcd cluster's members one at a time,
// followers first and the leader last, never leaving fewer healthy voting
// members than quorum needs while one of them is busy.
package defrag

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/health"
)

// Cluster is what defragmenting needs: the health check's questions and
// the defragmentation itself.
type Cluster interface {
	health.Source
	Defragment(ctx context.Context, endpoint string) (time.Duration, error)
}

// Options shape a run.
type Options struct {
	// Force defragments the members that keep quorum even when the cluster
	// is not fully healthy; without it such a run refuses.
	Force bool
	// MinFreeRatio skips members whose database has less than this part
	// free (0 defragments every member).
	MinFreeRatio float64
	// CallTimeout bounds each health call, DefragTimeout one member's
	// defragmentation and its return to health.
	CallTimeout, DefragTimeout time.Duration
	// PollInterval paces the wait for a member's return to health.
	PollInterval time.Duration
	Log          *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.CallTimeout == 0 {
		o.CallTimeout = 5 * time.Second
	}
	if o.DefragTimeout == 0 {
		o.DefragTimeout = 5 * time.Minute
	}
	if o.PollInterval == 0 {
		o.PollInterval = 200 * time.Millisecond
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Results of one member's turn.
const (
	Defragmented = "defragmented"
	// NotNeeded: less of its database was free than Options.MinFreeRatio.
	NotNeeded = "not needed"
	// Skipped: its turn would have cost quorum, or it was not healthy.
	Skipped = "skipped"
	Failed  = "failed"
)

// Outcome is what happened to one member.
type Outcome struct {
	Member string        `json:"member"`
	Result string        `json:"result"`
	Reason string        `json:"reason,omitempty"`
	Before int64         `json:"db_size_before"`
	After  int64         `json:"db_size_after"`
	Took   time.Duration `json:"took"`
}

// ErrUnhealthy: the cluster was not fully healthy and Options.Force was
// not given.
var ErrUnhealthy = errors.New("the cluster is not fully healthy")

// Run defragments every member in turn: learners and followers first, the
// leader last. Before each it checks the cluster again and skips the member
// when the other healthy voting members would not make quorum while it is
// busy; after each it waits for the member to serve again.
func Run(ctx context.Context, c Cluster, group []health.Target, opts Options) ([]Outcome, error) {
	opts = opts.withDefaults()
	first := health.Check(ctx, c, group, opts.CallTimeout)
	if !first.Healthy && !opts.Force {
		return nil, fmt.Errorf("%w, so no member was defragmented: %s; fix that first, or pass -force to defragment the members whose turn keeps quorum",
			ErrUnhealthy, strings.Join(first.Problems, "; "))
	}
	order := slices.Clone(first.Members)
	// Learners, then followers, then the leader; stable by name otherwise.
	rank := func(m health.Member) int {
		switch {
		case m.Learner:
			return 0
		case m.Leader:
			return 2
		}
		return 1
	}
	slices.SortStableFunc(order, func(a, b health.Member) int {
		if d := rank(a) - rank(b); d != 0 {
			return d
		}
		return strings.Compare(a.Name, b.Name)
	})
	var out []Outcome
	for _, planned := range order {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		now := health.Check(ctx, c, group, opts.CallTimeout)
		o := turn(ctx, c, group, now, planned.Name, opts)
		opts.Log.Info("defragmentation", "member", o.Member, "result", o.Result, "reason", o.Reason,
			"db_size_before", o.Before, "db_size_after", o.After, "took", o.Took.String())
		out = append(out, o)
	}
	return out, nil
}

// turn defragments one member if that keeps quorum, then waits for it to
// serve again.
func turn(ctx context.Context, c Cluster, group []health.Target, r health.Report, name string, opts Options) Outcome {
	o := Outcome{Member: name, Result: Skipped}
	i := slices.IndexFunc(r.Members, func(m health.Member) bool { return m.Name == name })
	if i < 0 {
		o.Reason = "no longer a member"
		return o
	}
	m := r.Members[i]
	o.Before, o.After = m.DBSize, m.DBSize
	if !m.Healthy {
		o.Reason = "not healthy: " + m.Problem
		return o
	}
	if err := KeepsQuorum(r.Members, name); err != nil {
		o.Reason = err.Error()
		return o
	}
	if free := m.FreeRatio(); free < opts.MinFreeRatio {
		o.Result = NotNeeded
		o.Reason = fmt.Sprintf("only %.0f%% of its %s database is free, below etcd.defrag.min_free_ratio %.2f", 100*free, health.Bytes(m.DBSize), opts.MinFreeRatio)
		return o
	}
	dctx, cancel := context.WithTimeout(ctx, opts.DefragTimeout)
	defer cancel()
	took, err := c.Defragment(dctx, m.Endpoint)
	o.Took = took
	if err != nil {
		o.Result, o.Reason = Failed, err.Error()
		return o
	}
	o.Result = Defragmented
	// Back to health before the next member's turn.
	for {
		after := health.Check(dctx, c, group, opts.CallTimeout)
		if j := slices.IndexFunc(after.Members, func(x health.Member) bool { return x.Name == name }); j >= 0 && after.Members[j].Healthy {
			o.After = after.Members[j].DBSize
			return o
		}
		select {
		case <-dctx.Done():
			o.Result = Failed
			o.Reason = fmt.Sprintf("defragmented, but not healthy again within %s", opts.DefragTimeout)
			return o
		case <-time.After(opts.PollInterval):
		}
	}
}

// KeepsQuorum reports, as an error, when the healthy voting members other
// than name would not make a quorum of all the voting members while name is
// busy. A learner's turn never touches quorum.
func KeepsQuorum(members []health.Member, name string) error {
	voters, healthyOthers := 0, 0
	var down []string
	for _, m := range members {
		if m.Learner {
			if m.Name == name {
				return nil
			}
			continue
		}
		voters++
		if m.Name == name {
			continue
		}
		if m.Healthy {
			healthyOthers++
		} else {
			down = append(down, m.Name)
		}
	}
	if need := voters/2 + 1; healthyOthers < need {
		why := fmt.Sprintf("defragmenting it would leave %d of %d voting members serving, and quorum needs %d", healthyOthers, voters, need)
		if len(down) > 0 {
			why += "; " + strings.Join(down, ", ") + " not healthy"
		}
		if voters == 1 {
			why += " (a one-member cluster stops serving while it defragments; run etcdctl defrag yourself when that is acceptable)"
		}
		return errors.New(why)
	}
	return nil
}

// Complete reports whether every member was defragmented or did not need
// it; otherwise it names those that were skipped or failed.
func Complete(outcomes []Outcome) error {
	var bad []string
	for _, o := range outcomes {
		if o.Result == Skipped || o.Result == Failed {
			bad = append(bad, fmt.Sprintf("%s %s: %s", o.Member, o.Result, o.Reason))
		}
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}
