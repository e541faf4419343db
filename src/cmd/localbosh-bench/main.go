// Command localbosh-bench measures this repository's etcd release on fresh
// localbosh test directors beside the same etcd binary started by hand with
// the same flags on loopback addresses, and prints one table (Markdown) and
// writes it as JSON: a TLS deploy, a rolling update and scaling under a
// steady load, joins to clusters holding data, write throughput, and the
// release build and compilation. Each run is a fresh director; every figure
// is the median of the runs, with min and max.
//
// `localbosh-bench render REPORT.json` prints a written report's table
// again. `localbosh-bench handrun SPEC` is the hand-run baseline of one run, run
// by the command itself in a private mount namespace (its /etc/hosts maps
// the members' names to loopback addresses).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/releasebench"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) == 3 && os.Args[1] == "render" {
		if err := render(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "localbosh-bench render:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) == 3 && os.Args[1] == "handrun" {
		if err := releasebench.HandMain(ctx, os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "localbosh-bench handrun:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	flag.StringVar(&o.repo, "repo", ".", "the release directory (the repository root)")
	flag.IntVar(&o.runs, "runs", 3, "runs, each on a fresh test director; every figure is their median")
	flag.StringVar(&o.jsonPath, "json", "", "write the report as JSON to this file too")
	flag.StringVar(&o.tablePath, "table", "", "write the Markdown table to this file too")
	flag.DurationVar(&o.timeout, "timeout", 90*time.Minute, "give up (cleaning up) after this long")
	flag.DurationVar(&o.throughputFor, "throughput-for", 10*time.Second, "how long each write throughput measurement runs")
	flag.IntVar(&o.clients, "clients", 16, "concurrent writers of the throughput measurement")
	flag.IntVar(&o.valueBytes, "value-bytes", 256, "bytes per value of the throughput measurement")
	joins := flag.String("join-mb", "10,100", "MB held by the cluster a member joins, one join per entry")
	flag.StringVar(&o.etcdVersion, "etcd-version", "", "etcd version, for the table's heading")
	flag.Parse()
	for _, f := range strings.Split(*joins, ",") {
		var mb int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &mb); err != nil || mb < 0 {
			fmt.Fprintf(os.Stderr, "localbosh-bench: -join-mb %q: want MB numbers separated by commas\n", *joins)
			os.Exit(2)
		}
		o.joinMB = append(o.joinMB, mb)
	}
	if o.runs < 1 {
		fmt.Fprintln(os.Stderr, "localbosh-bench: -runs must be at least 1")
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	if err := run(ctx, o); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("%w (the -timeout of %s passed)", err, o.timeout)
		}
		fmt.Fprintln(os.Stderr, "localbosh-bench:", err)
		os.Exit(1)
	}
}

type options struct {
	repo, jsonPath, tablePath, etcdVersion string
	runs, clients, valueBytes              int
	joinMB                                 []int
	timeout, throughputFor                 time.Duration
}

func run(ctx context.Context, o options) error {
	start := time.Now()
	var c releasebench.Collector
	notes := []string{}
	loadAtStart := loadAverage()
	for i := range o.runs {
		fmt.Fprintf(os.Stderr, "== run %d of %d\n", i+1, o.runs)
		note, err := oneRun(ctx, o, i, &c)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		if note != "" && !slices.Contains(notes, note) {
			notes = append(notes, note)
		}
	}
	report := releasebench.Report{
		Command: "scripts/bench " + strings.Join(os.Args[1:], " "), Runs: o.runs, Cores: runtime.NumCPU(),
		EtcdVersion: o.etcdVersion, WallSeconds: time.Since(start).Seconds(), Figures: c.Figures(),
		Notes: append(notes,
			fmt.Sprintf("machine: 1-minute load average %s at the start, %s at the end (whatever else ran beside the benchmark)", loadAtStart, loadAverage()),
			"ratio: release / hand-run, taken run by run (both in the same run, one after the other), then the median",
			fmt.Sprintf("load: %d ops/s recorded (150 new keys/s, 2 workers reading and overwriting 4 keys), each operation bounded by 2 s; lost = acknowledged writes a final linearizable read did not find; linearizable: porcupine's verdict on the whole history",
				200),
			fmt.Sprintf("throughput: %d closed-loop writers of %d-byte values for %s through a client holding every member's endpoint", o.clients, o.valueBytes, o.throughputFor),
		),
	}
	report.Normalize()
	if err := report.WriteTable(os.Stdout); err != nil {
		return err
	}
	if err := writeFile(o.tablePath, report.WriteTable); err != nil {
		return err
	}
	if err := writeFile(o.jsonPath, report.WriteJSON); err != nil {
		return err
	}
	return nil
}

// render prints the table of a JSON report again (normalized: rows in
// order, no ratios of counts).
func render(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var r releasebench.Report
	if err := json.Unmarshal(data, &r); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	r.Normalize()
	return r.WriteTable(os.Stdout)
}

// loadAverage is the machine's 1-minute load average, or "?".
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// writeFile writes path with write, unless path is "".
func writeFile(path string, write func(io.Writer) error) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	fmt.Fprintln(os.Stderr, "wrote", path)
	return f.Close()
}
