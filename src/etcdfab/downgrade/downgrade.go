// Package downgrade takes a running etcd cluster back one minor version, as
// etcd allows it: a snapshot first, then `downgrade validate` and
// `downgrade enable` for the target minor, then a wait until every member
// stores its data for the target (its storage version) and the cluster
// version is the target. The members' binaries are replaced afterwards, one
// at a time, by deploying the release that ships the older etcd.
package downgrade

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdversion"
)

// Cluster is what a downgrade needs from etcd.
type Cluster interface {
	Status(ctx context.Context, endpoint string) (etcdclient.Status, error)
	Versions(ctx context.Context, endpoint string) (etcdclient.Versions, error)
	Snapshot(ctx context.Context, w io.Writer) (int64, error)
	Downgrade(ctx context.Context, action, target string) (string, error)
}

// Options say what to downgrade.
type Options struct {
	// Endpoints are every member's client URL; all must answer.
	Endpoints []string
	// SnapshotPath is where the snapshot taken first is written.
	SnapshotPath string
	// Target is the minor to go back to (for example 3.6); empty: the one
	// before the cluster's.
	Target string
	// Timeout bounds the wait for the storage version; Poll paces it.
	Timeout, Poll time.Duration
}

// Result is what a downgrade did.
type Result struct {
	From, Target  string
	SnapshotBytes int64
	Took          time.Duration
}

// Run prepares the cluster for the older binaries. It changes nothing
// unless every member answers on the same version, and takes the snapshot
// before it enables the downgrade.
func Run(ctx context.Context, c Cluster, opts Options, log *slog.Logger) (Result, error) {
	started := time.Now()
	if opts.Poll == 0 {
		opts.Poll = time.Second
	}
	if opts.SnapshotPath == "" {
		return Result{}, errors.New("no snapshot path: give -snapshot FILE on a disk with room for the whole database")
	}
	from, err := settledVersion(ctx, c, opts)
	if err != nil {
		return Result{}, err
	}
	target := etcdversion.Version{Major: from.Major, Minor: from.Minor - 1}
	if opts.Target != "" {
		if target, err = etcdversion.Parse(opts.Target); err != nil {
			return Result{}, fmt.Errorf("-to: %w", err)
		}
		target.Patch = 0
	}
	if target.Major != from.Major || target.Minor != from.Minor-1 {
		return Result{}, fmt.Errorf("the cluster runs %s; etcd downgrades one minor at a time, so the target is %d.%d, not %s",
			from.MinorString(), from.Major, from.Minor-1, target.MinorString())
	}
	res := Result{From: from.MinorString(), Target: target.MinorString()}
	log.Info("every member answers; taking a snapshot first", "cluster_version", res.From, "target", res.Target, "snapshot", opts.SnapshotPath)
	if res.SnapshotBytes, err = snapshot(ctx, c, opts.SnapshotPath); err != nil {
		return res, err
	}
	log.Info("snapshot saved", "path", opts.SnapshotPath, "bytes", res.SnapshotBytes)

	if _, err := c.Downgrade(ctx, "validate", res.Target); err != nil {
		return res, fmt.Errorf("etcd refuses a downgrade to %s: %w", res.Target, err)
	}
	if _, err := c.Downgrade(ctx, "enable", res.Target); err != nil {
		return res, fmt.Errorf("enabling the downgrade to %s: %w", res.Target, err)
	}
	log.Info("downgrade enabled; waiting for every member to store its data for the target", "target", res.Target)

	wait, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	want := target.String()
	for {
		pending := storagePending(wait, c, opts.Endpoints, want)
		if len(pending) == 0 {
			break
		}
		select {
		case <-wait.Done():
			return res, fmt.Errorf("after %s not every member stores its data for %s (%s); the downgrade stays enabled: wait longer and run this again, or cancel it with `etcdctl downgrade cancel`",
				opts.Timeout, want, strings.Join(pending, "; "))
		case <-time.After(opts.Poll):
		}
	}
	res.Took = time.Since(started)
	log.Info("every member stores its data for the target; deploy the release with the older etcd now", "target", res.Target, "took", res.Took.String())
	return res, nil
}

// settledVersion is the cluster version once it has caught up with the
// members' own: right after a rolling upgrade every member runs the new
// minor while the cluster version still names the old one until the
// leader raises it, and going back one minor from there would aim two
// minors down. It waits for that (up to opts.Timeout) and changes nothing
// if the cluster version stays behind.
func settledVersion(ctx context.Context, c Cluster, opts Options) (etcdversion.Version, error) {
	wait, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	for {
		cluster, server, err := clusterVersion(ctx, c, opts.Endpoints)
		settled := err == nil && (cluster.Minor >= server.Minor || cluster.Major != server.Major)
		if settled || err != nil && !errors.Is(err, errUnsettled) {
			return cluster, err
		}
		select {
		case <-wait.Done():
			if err != nil {
				return etcdversion.Version{}, fmt.Errorf("after %s: %w", opts.Timeout, err)
			}
			return etcdversion.Version{}, fmt.Errorf("the cluster version %s is still behind what its members run (the members run %s) after %s; "+
				"etcd raises it once every member runs %s: run this again in a while", cluster.MinorString(), server.MinorString(), opts.Timeout, server.MinorString())
		case <-time.After(opts.Poll):
		}
	}
}

// errUnsettled: the members do not agree on the cluster version yet, as
// for a moment after etcd raises it.
var errUnsettled = errors.New("the cluster version is changing")

// clusterVersion checks that every member answers, without alarms, and
// agrees on one cluster version; it returns that and the lowest server
// version among the members.
func clusterVersion(ctx context.Context, c Cluster, endpoints []string) (cluster, server etcdversion.Version, err error) {
	if len(endpoints) == 0 {
		return cluster, server, errors.New("no members to downgrade")
	}
	var seen string
	for _, ep := range endpoints {
		st, err := call(ctx, func(ctx context.Context) (etcdclient.Status, error) { return c.Status(ctx, ep) })
		if err != nil {
			return cluster, server, fmt.Errorf("member %s does not answer (%v); downgrade only a healthy cluster", ep, err)
		}
		if len(st.Errors) > 0 || st.Leader == 0 {
			return cluster, server, fmt.Errorf("member %s is not healthy (leader %x, alarms %v); downgrade only a healthy cluster", ep, st.Leader, st.Errors)
		}
		v, err := call(ctx, func(ctx context.Context) (etcdclient.Versions, error) { return c.Versions(ctx, ep) })
		if err != nil {
			return cluster, server, fmt.Errorf("member %s does not answer etcd's version API: %v", ep, err)
		}
		if seen != "" && v.Cluster != seen {
			return cluster, server, fmt.Errorf("%w: members disagree on the cluster version (%s, %s)", errUnsettled, seen, v.Cluster)
		}
		seen = v.Cluster
		sv, err := etcdversion.Parse(v.Server)
		if err != nil {
			return cluster, server, fmt.Errorf("member %s: server version: %w", ep, err)
		}
		if server == (etcdversion.Version{}) || sv.Less(server) {
			server = sv
		}
	}
	cluster, err = etcdversion.Parse(seen)
	return cluster, server, err
}

// storagePending lists the members not yet on the target storage and
// cluster version.
func storagePending(ctx context.Context, c Cluster, endpoints []string, want string) []string {
	var pending []string
	for _, ep := range endpoints {
		v, err := call(ctx, func(ctx context.Context) (etcdclient.Versions, error) { return c.Versions(ctx, ep) })
		switch {
		case err != nil:
			pending = append(pending, fmt.Sprintf("%s: %v", ep, err))
		case v.Storage != want || v.Cluster != want:
			pending = append(pending, fmt.Sprintf("%s: storage %s, cluster %s", ep, v.Storage, v.Cluster))
		}
	}
	return pending
}

// snapshot writes the snapshot to path through a temporary file, so a
// snapshot found at path is whole.
func snapshot(ctx context.Context, c Cluster, path string) (int64, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, fmt.Errorf("creating the snapshot's directory: %w", err)
	}
	tmp := path + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, fmt.Errorf("creating the snapshot file: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	n, err := c.Snapshot(ctx, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n == 0 {
		err = errors.New("etcd sent an empty snapshot")
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("taking the snapshot %s: %w; nothing was changed", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("taking the snapshot %s: %w; nothing was changed", path, err)
	}
	return n, nil
}

func call[T any](ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return fn(ctx)
}
