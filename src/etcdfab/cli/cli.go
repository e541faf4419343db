// Package cli is etcdfab's command line: it parses a command and its flags,
// wires the real etcd client, status endpoint and process launcher into the
// app and maps outcomes to exit codes.
package cli

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/app"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

// IO is what a command may touch of its environment.
type IO struct {
	Stdout, Stderr io.Writer
	Getenv         app.Env
}

type command struct {
	summary string
	// stopping: the command stops etcd (or prepares to), so it must work
	// whatever a failed deploy left in the rendered config and certificate
	// files; it gets the config with config.LoadForStop and the load error.
	stopping bool
	run      func(cfg config.Config, loadErr error, log *slog.Logger, io IO) error
}

var commands = map[string]command{
	"start":                    {"bring this node into its cluster and run etcd in the foreground", false, runStart},
	"stop":                     {"stop etcd gracefully, keeping its data", true, runStop},
	"post-start":               {"BOSH post-start: wait until this member is healthy, or counts as started in a whole-cluster start", false, runPostStart},
	"validate":                 {"check the config and the TLS certificates it names", false, runValidate},
	"pre-stop":                 {"BOSH pre-stop: note a deletion, check quorum and hand leadership over", true, runPreStop},
	"drain":                    {"BOSH drain: leave the cluster if the instance or its disk goes away; prints 0", true, runDrain},
	"etcdctl-env":              {"print the environment that configures etcdctl for this cluster (endpoints, client certificate)", true, runEtcdctlEnv},
	"dns-health-check":         {"consul's check of this member: passes while it starts or serves with quorum", false, runDNSHealthCheck},
	"consistency-checker":      {"report a split brain: fail when the group's instances hold different clusters or follow different leaders", false, runConsistencyChecker},
	"stop-consistency-checker": {"stop the consistency checker", true, runStopConsistencyChecker},
}

// standalone commands parse their own flags and may run where no
// rendered config exists.
var standalone = map[string]struct {
	summary string
	run     func(args []string, io IO) int
}{
	"downgrade":   {"take the cluster back one etcd minor before the previous release is deployed: snapshot (-snapshot FILE), downgrade validate and enable, wait for the storage version", runDowngrade},
	"bbr":         {"the etcd job's BOSH Backup and Restore scripts: bbr metadata|backup|pre-restore-lock|restore|post-restore-unlock (artifact in $BBR_ARTIFACT_DIRECTORY)", runBBR},
	"health":      {"print every member's health (leader, raft term and index, revision, DB size, alarms); exit 1 when any member is unhealthy or an alarm is raised (-json)", runHealth},
	"defrag":      {"defragment every member in turn, followers first and the leader last, never below quorum (-force, -min-free-ratio, -json)", runDefrag},
	"check-db":    {"check a stopped member's database against its WAL: opens, not corrupt, not truncated, consistent index agrees (-data-dir DIR); exit 0 good, 3 bad, 1 could not check", runCheckDB},
	"snapshot":    {"snapshot save: snapshot this member now to etcd.snapshots.destination; snapshot list: what the destination holds", runSnapshot},
	"check-certs": {"report the certificates every member serves and the CAs it accepts; exit 0 when all match (-vars FILE, or this instance's)", runCheckCerts},
}

// Run executes args (without the program name) and returns the exit code.
func Run(args []string, io IO) int {
	if len(args) > 0 && standalone[args[0]].run != nil {
		return standalone[args[0]].run(args[1:], io)
	}
	if len(args) == 0 || commands[args[0]].run == nil {
		usage(io.Stderr)
		return 2
	}
	name, cmd := args[0], commands[args[0]]
	flags := flag.NewFlagSet("etcdfab "+name, flag.ContinueOnError)
	flags.SetOutput(io.Stderr)
	configPath := flags.String("config", "/var/vcap/jobs/etcd/config/etcdfab.json", "path to the rendered etcdfab config")
	if err := flags.Parse(args[1:]); err != nil {
		return 2
	}
	log := newLogger(io.Stderr).With("command", name)
	load := config.Load
	if cmd.stopping {
		load = config.LoadForStop
	}
	cfg, err := load(*configPath)
	if err != nil && !cmd.stopping {
		log.Error("invalid configuration", "error", err.Error())
		return 1
	}
	if err != nil {
		log.Warn("the configuration does not load; going on with what it gives, stopping without membership changes", "error", err.Error())
	}
	if err := cmd.run(cfg, err, log, io); err != nil {
		log.Error(name+" failed", "error", err.Error())
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	summaries := map[string]string{}
	for name, c := range commands {
		summaries[name] = c.summary
	}
	for name, c := range standalone {
		summaries[name] = c.summary
	}
	for name := range summaries {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("usage: etcdfab <command> [-config PATH]\n\ncommands:\n")
	for _, name := range names {
		fmt.Fprintf(&b, "  %-25s %s\n", name, summaries[name])
	}
	fmt.Fprint(w, b.String())
}
