// Package app is etcdfab's orchestration: it turns the config, the local
// data's identity and what the group's instances report into etcd
// processes and membership changes.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/defrag"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdversion"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// Cluster is the membership and health API etcdfab needs from etcd.
type Cluster interface {
	// Members is a linearizable member list: the cluster's own word.
	Members(ctx context.Context) (cluster.List, error)
	AddLearner(ctx context.Context, peerURL string) (cluster.Member, []cluster.Member, error)
	Promote(ctx context.Context, id uint64) error
	Remove(ctx context.Context, id uint64) error
	UpdatePeerURLs(ctx context.Context, id uint64, peerURLs []string) error
	Status(ctx context.Context, endpoint string) (etcdclient.Status, error)
	MoveLeader(ctx context.Context, to uint64) error
	CheckQuorum(ctx context.Context) error
	// Versions is etcd's version API at a member's client URL.
	Versions(ctx context.Context, endpoint string) (etcdclient.Versions, error)
	Close() error
}

// Etcd is a running etcd process.
type Etcd interface {
	Pid() int
	Done() <-chan struct{}
	Err() error
	Stop(timeout time.Duration) (graceful bool)
}

// StatusClient asks an instance's etcdfab for its report.
type StatusClient interface {
	Fetch(ctx context.Context, url string) (status.Report, cluster.Reach, error)
}

// Dialer connects to the members at endpoints.
type Dialer func(endpoints []string) (Cluster, error)

// Launcher starts etcd with the given arguments.
type Launcher func(args []string) (Etcd, error)

// StatusServer starts answering status requests from src.
type StatusServer func(src status.Source) (io.Closer, error)

// App runs one node's etcd according to its config.
type App struct {
	cfg    config.Config
	log    *slog.Logger
	dial   Dialer
	launch Launcher
	peers  StatusClient

	// PollInterval paces retries while waiting for peers, learner slots and
	// health; CallTimeout bounds each single call to a member.
	PollInterval time.Duration
	CallTimeout  time.Duration
	// MaintenanceInterval paces a running member's housekeeping (its record,
	// stale members).
	MaintenanceInterval time.Duration

	// LookupHost resolves names; the system resolver unless a test says otherwise.
	LookupHost func(ctx context.Context, host string) ([]string, error)
	// Listening checks that something accepts connections at an endpoint
	// before a gRPC call, which would wait its whole deadline otherwise.
	Listening func(ctx context.Context, endpoint string) error
	// ServeStatus starts this node's status endpoint; nil serves none.
	ServeStatus StatusServer
	// Now is the clock.
	Now func() time.Time
	// EtcdVersion is the version of the etcd this node starts; nil runs
	// etcd.etcd_path --version.
	EtcdVersion func(ctx context.Context) (etcdversion.Version, error)
	// Defrag defragments the whole cluster, one member at a time; the
	// leader's etcdfab runs it every etcd.defrag.interval (see defrag.go).
	Defrag  func(ctx context.Context) ([]defrag.Outcome, error)
	defrags defragSchedule
	// CheckData checks the database before etcd restarts on it; nil
	// checks nothing.
	CheckData DataCheck

	// Snapshots is the snapshot destination; nil when
	// etcd.snapshots.destination is empty.
	Snapshots Snapshots

	state state
	// downSince is when each member no instance runs was first seen down
	// (unix ns), and recorded the identity record last written; only the
	// supervising goroutine touches them.
	downSince map[uint64]int64
	recorded  *identity.Record
	// snapshots paces the periodic snapshotter; lastRefusal is the last
	// refusal to bootstrap over invalid snapshots.
	snapshots   snapshotter
	lastRefusal refusal
	lastCheck   badData
}

// New wires an App. Tests pass fakes for dial, launch and peers.
func New(cfg config.Config, log *slog.Logger, dial Dialer, launch Launcher, peers StatusClient) *App {
	a := &App{cfg: cfg, log: log, dial: dial, launch: launch, peers: peers,
		PollInterval: 500 * time.Millisecond, CallTimeout: 3 * time.Second, MaintenanceInterval: 10 * time.Second,
		LookupHost: net.DefaultResolver.LookupHost, Listening: etcdclient.Listening, Now: time.Now}
	a.state.report = status.Report{Name: cfg.MemberName(), Phase: status.Waiting}
	return a
}

// self identifies this node in member lists.
func (a *App) self() cluster.Self {
	return cluster.Self{Name: a.cfg.MemberName(), PeerURL: a.cfg.PeerURL(a.cfg.Self())}
}

// localURL is this node's own client URL, by address.
func (a *App) localURL() string { return a.cfg.PeerClientURL(a.cfg.SelfPeer()) }

// call runs fn with a per-call deadline under ctx.
func (a *App) call(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, a.CallTimeout)
	defer cancel()
	return fn(ctx)
}

// errTryAgain marks a refusal that fn knows will pass.
var errTryAgain = errors.New("try again")

// retryBusy calls fn, each time with its own deadline, until it succeeds,
// fails for a reason other than etcd being busy with a membership change,
// out of reach, or errTryAgain, or ctx ends.
func (a *App) retryBusy(ctx context.Context, what string, fn func(context.Context) error) error {
	for {
		err := a.call(ctx, fn)
		if err == nil || !(etcdclient.IsBusyWithMembership(err) || etcdclient.IsUnreachable(err) || errors.Is(err, errTryAgain)) {
			return err
		}
		a.log.Info("etcd cannot do this yet; retrying", "action", what, "reason", err.Error())
		if werr := a.sleep(ctx); werr != nil {
			return fmt.Errorf("%s: gave up: %w (last error: %v)", what, werr, err)
		}
	}
}

// sleep waits one poll interval, or returns ctx's error if it ends first.
func (a *App) sleep(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(a.PollInterval):
		return nil
	}
}

// callAt runs fn against the member at endpoint, failing at once (with an
// error IsUnreachable recognises) when nothing listens there.
func (a *App) callAt(ctx context.Context, endpoint string, fn func(context.Context) error) error {
	if err := a.Listening(ctx, endpoint); err != nil {
		return err
	}
	return a.call(ctx, fn)
}

// withCluster dials endpoints, runs fn and closes the connection.
func (a *App) withCluster(endpoints []string, fn func(Cluster) error) error {
	c, err := a.dial(endpoints)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

// clientURLs collects the client URLs of members, skipping exclude.
func clientURLs(members []cluster.Member, exclude uint64) []string {
	var urls []string
	for _, m := range members {
		if m.ID != exclude {
			urls = append(urls, m.ClientURLs...)
		}
	}
	return urls
}

// survey asks every instance of the group, this one too, for its report,
// all at once.
func (a *App) survey(ctx context.Context) []cluster.Instance {
	group := a.cfg.Group()
	out := make([]cluster.Instance, len(group))
	var wg sync.WaitGroup
	for i, p := range group {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, reach, err := a.peers.Fetch(ctx, a.cfg.StatusURL(p))
			if err != nil {
				a.log.Debug("no status from instance", "instance", p.Name, "error", err.Error())
			}
			out[i] = r.Instance(p.Name, reach)
		}()
	}
	wg.Wait()
	return out
}
