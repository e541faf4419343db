package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/defrag"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/health"
)

// day2Flags are the flags health and defrag share.
type day2Flags struct {
	fs         *flag.FlagSet
	configPath *string
	asJSON     *bool
	timeout    *time.Duration
}

func newDay2Flags(name string, io IO) day2Flags {
	fs := flag.NewFlagSet("etcdfab "+name, flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	return day2Flags{fs: fs,
		configPath: fs.String("config", "/var/vcap/jobs/etcd/config/etcdfab.json", "the rendered etcdfab config: the group's members, ports and client certificate"),
		asJSON:     fs.Bool("json", false, "print JSON instead of a table"),
		timeout:    fs.Duration("timeout", 5*time.Second, "time for each call to a member"),
	}
}

// dialGroup loads the config and connects to every instance of its group
// with the client certificate, as etcdfab does.
func dialGroup(path string) (config.Config, *etcdclient.Client, []health.Target, error) {
	cfg, err := config.Load(path)
	if err != nil {
		return cfg, nil, nil, err
	}
	c, targets, err := groupClient(cfg)
	return cfg, c, targets, err
}

func groupClient(cfg config.Config) (*etcdclient.Client, []health.Target, error) {
	t := loadTLS(cfg)
	if cfg.Etcd.RequireSSL && t.client == nil {
		return nil, nil, fmt.Errorf("etcd.require_ssl is true and the client certificate does not load (etcd.client_cert, etcd.client_key, etcd.ca_cert): %w", t.err)
	}
	var targets []health.Target
	var endpoints []string
	for _, p := range cfg.Group() {
		u := cfg.PeerClientURL(p)
		t := health.Target{Name: p.Name, Endpoint: u}
		if len(cfg.Etcd.Cluster) == 0 && len(cfg.Etcd.Machines) > 0 {
			t.Name = "" // etcd.machines gives addresses, not member names
		}
		targets = append(targets, t)
		endpoints = append(endpoints, u)
	}
	c, err := etcdclient.Dial(endpoints, t.client)
	return c, targets, err
}

// runHealth prints every member's health and exits 1 when any member is
// unhealthy or any alarm is raised, naming why.
func runHealth(args []string, io IO) int {
	f := newDay2Flags("health", io)
	if err := f.fs.Parse(args); err != nil {
		return 2
	}
	_, c, targets, err := dialGroup(*f.configPath)
	if err != nil {
		fmt.Fprintln(io.Stderr, "etcdfab health:", err)
		return 2
	}
	defer c.Close()
	r := health.Check(context.Background(), c, targets, *f.timeout)
	write := r.WriteText
	if *f.asJSON {
		write = r.WriteJSON
	}
	if err := write(io.Stdout); err != nil {
		fmt.Fprintln(io.Stderr, "etcdfab health:", err)
		return 2
	}
	if !r.Healthy {
		fmt.Fprintln(io.Stderr, "etcdfab health: the cluster is not healthy: "+strings.Join(r.Problems, "; "))
		return 1
	}
	return 0
}

// runDefrag defragments every member in turn, never below quorum.
func runDefrag(args []string, io IO) int {
	f := newDay2Flags("defrag", io)
	force := f.fs.Bool("force", false, "defragment the members whose turn keeps quorum even when the cluster is not fully healthy")
	minFree := f.fs.Float64("min-free-ratio", 0, "defragment only members with at least this part of their database free (0: every member)")
	memberTimeout := f.fs.Duration("member-timeout", 5*time.Minute, "time for one member's defragmentation and its return to health")
	if err := f.fs.Parse(args); err != nil {
		return 2
	}
	_, c, targets, err := dialGroup(*f.configPath)
	if err != nil {
		fmt.Fprintln(io.Stderr, "etcdfab defrag:", err)
		return 2
	}
	defer c.Close()
	ctx, cancel := stopSignals()
	defer cancel()
	outcomes, err := defrag.Run(ctx, c, targets, defrag.Options{Force: *force, MinFreeRatio: *minFree,
		CallTimeout: *f.timeout, DefragTimeout: *memberTimeout, Log: newLogger(io.Stderr).With("command", "defrag")})
	if werr := writeOutcomes(io, outcomes, *f.asJSON); werr != nil && err == nil {
		err = werr
	}
	if err == nil {
		err = defrag.Complete(outcomes)
	}
	if err != nil {
		fmt.Fprintln(io.Stderr, "etcdfab defrag:", err)
		return 1
	}
	return 0
}

func writeOutcomes(io IO, outcomes []defrag.Outcome, asJSON bool) error {
	if asJSON {
		if outcomes == nil {
			outcomes = []defrag.Outcome{}
		}
		enc := json.NewEncoder(io.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(outcomes)
	}
	if len(outcomes) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(io.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tRESULT\tDB SIZE BEFORE\tAFTER\tTOOK\tREASON")
	for _, o := range outcomes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", o.Member, o.Result, health.Bytes(o.Before), health.Bytes(o.After), o.Took.Round(time.Millisecond), o.Reason)
	}
	return tw.Flush()
}

// scheduledDefrag is the app's scheduled run: the same as etcdfab defrag,
// refusing when the cluster is not fully healthy.
func scheduledDefrag(cfg config.Config, log *slog.Logger) func(ctx context.Context) ([]defrag.Outcome, error) {
	return func(ctx context.Context) ([]defrag.Outcome, error) {
		c, targets, err := groupClient(cfg)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		return defrag.Run(ctx, c, targets, defrag.Options{MinFreeRatio: cfg.Etcd.Defrag.MinFreeRatio, Log: log})
	}
}
