package cli

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/app"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/snapshot"
)

// destination is the configured snapshot destination (etcd.snapshots.*),
// taking snapshots through etcd's client API with etcdfab's client TLS.
type destination struct {
	store     snapshot.Store
	key       []byte
	gzip      bool
	retention int
	member    string
	tls       *tls.Config
}

// newDestination opens etcd.snapshots.destination; nil when it is empty.
// A destination that does not open gives one whose every call fails with
// why, so that a bootstrap waits rather than forms an empty cluster.
func newDestination(cfg config.Config, t tlsSet) app.Snapshots {
	s := cfg.Etcd.Snapshots
	if !s.Enabled() {
		return nil
	}
	key, err := s.Key()
	if err != nil {
		return brokenDestination{s.Destination, err}
	}
	store, err := snapshot.Open(s.Destination, snapshot.S3Options{Endpoint: s.S3.Endpoint, Region: s.S3.Region,
		AccessKeyID: s.S3.AccessKeyID, SecretAccessKey: s.S3.SecretAccessKey, CACert: s.S3.CACert, PathStyle: s.S3.PathStyle})
	if err != nil {
		return brokenDestination{s.Destination, err}
	}
	if cfg.Etcd.RequireSSL && t.client == nil {
		return brokenDestination{s.Destination, fmt.Errorf("the client certificate does not load: %v", t.err)}
	}
	return &destination{store: store, key: key, gzip: s.Gzip, retention: s.Retention, member: cfg.MemberName(), tls: t.client}
}

func (d *destination) String() string { return d.store.String() }

func (d *destination) Take(ctx context.Context, endpoint string) (snapshot.Metadata, []string, error) {
	c, err := etcdclient.NewV3([]string{endpoint}, d.tls)
	if err != nil {
		return snapshot.Metadata{}, nil, err
	}
	defer c.Close()
	m, err := snapshot.Save(ctx, c, endpoint, d.store, snapshot.SaveOptions{Gzip: d.gzip, Key: d.key, Member: d.member})
	if err != nil {
		return snapshot.Metadata{}, nil, err
	}
	pruned, err := snapshot.Prune(ctx, d.store, d.retention)
	if err != nil {
		return m, pruned, fmt.Errorf("snapshot %s saved; pruning %s to etcd.snapshots.retention %d: %w", m.Name, d.store, d.retention, err)
	}
	return m, pruned, nil
}

func (d *destination) List(ctx context.Context) (snapshot.Listing, error) {
	return snapshot.List(ctx, d.store)
}

func (d *destination) Fetch(ctx context.Context, m snapshot.Metadata, dbFile string) error {
	return snapshot.Fetch(ctx, d.store, m, d.key, dbFile)
}

type brokenDestination struct {
	dest string
	err  error
}

func (b brokenDestination) String() string { return b.dest }
func (b brokenDestination) Take(context.Context, string) (snapshot.Metadata, []string, error) {
	return snapshot.Metadata{}, nil, b.wrapped()
}
func (b brokenDestination) List(context.Context) (snapshot.Listing, error) {
	return snapshot.Listing{}, b.wrapped()
}
func (b brokenDestination) Fetch(context.Context, snapshot.Metadata, string) error {
	return b.wrapped()
}
func (b brokenDestination) wrapped() error {
	return fmt.Errorf("snapshot destination %s (etcd.snapshots.*): %w", b.dest, b.err)
}

// runSnapshot is `etcdfab snapshot save|list [-config PATH]`: an on-demand
// snapshot of this member to the configured destination, or the list of
// what the destination holds.
func runSnapshot(args []string, io IO) int {
	if len(args) == 0 || (args[0] != "save" && args[0] != "list") {
		fmt.Fprintln(io.Stderr, "usage: etcdfab snapshot save|list [-config PATH]\n  save: snapshot this member now to etcd.snapshots.destination (and prune to etcd.snapshots.retention)\n  list: the snapshots at the destination, newest first")
		return 2
	}
	verb := args[0]
	flags := flag.NewFlagSet("etcdfab snapshot "+verb, flag.ContinueOnError)
	flags.SetOutput(io.Stderr)
	configPath := flags.String("config", "/var/vcap/jobs/etcd/config/etcdfab.json", "path to the rendered etcdfab config")
	if err := flags.Parse(args[1:]); err != nil {
		return 2
	}
	log := newLogger(io.Stderr).With("command", "snapshot "+verb)
	cfg, err := config.Load(*configPath)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		return 1
	}
	d := newDestination(cfg, loadTLS(cfg))
	if d == nil {
		log.Error("no snapshot destination: set etcd.snapshots.destination (file:///dir or s3://bucket/prefix)")
		return 1
	}
	ctx, cancel := stopSignals()
	defer cancel()
	if verb == "save" {
		m, pruned, err := d.Take(ctx, cfg.PeerClientURL(cfg.SelfPeer()))
		if m.Name != "" {
			fmt.Fprintf(io.Stdout, "saved %s to %s: %d bytes, revision %d, gzip %t, encrypted %t, sha256 %s\n", m.Object, d, m.Size, m.Revision, m.Gzip, m.Encrypted, m.SHA256)
			for _, p := range pruned {
				fmt.Fprintf(io.Stdout, "pruned %s\n", p)
			}
		}
		if err != nil {
			log.Error("snapshot save failed", "error", err.Error())
			return 1
		}
		return 0
	}
	l, err := d.List(ctx)
	if err != nil {
		log.Error("snapshot list failed", "error", err.Error())
		return 1
	}
	w := tabwriter.NewWriter(io.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tCREATED\tAGE\tREVISION\tSIZE\tGZIP\tENCRYPTED\tMEMBER")
	now := time.Now()
	for _, m := range l.Snapshots {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%d\t%t\t%t\t%s\n", m.Name, m.Created.Format(time.RFC3339), m.Age(now), m.Revision, m.Size, m.Gzip, m.Encrypted, m.Member)
	}
	w.Flush()
	for _, b := range l.Broken {
		fmt.Fprintf(io.Stdout, "unusable: %v\n", b)
	}
	return 0
}
