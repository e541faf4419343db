package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/etcdaccess"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
	"github.com/cloudfoundry-incubator/etcd-release/src/releasebench"
)

const deployment = "etcd"

// Row names, in the order of issue 15.
const (
	rowDeploy     = "1. deploy 3 TLS members (consul beside), packages compiled / 3 etcd started at once, until healthy"
	rowRolling    = "2. rolling update of 3 members (property change) / rolling SIGTERM restart, under 200 ops/s"
	rowScale      = "3. scale 3 -> 5 -> 3 under 200 ops/s"
	rowJoin       = "4. join of a member (scale %[1]d -> %[2]d) to a cluster holding %[3]d MB"
	rowThroughput = "5. writes through the cluster from the host"
	rowBuild      = "6. release build and compile"
)

// heartbeat is the property change of the rolling update.
const heartbeat = `
- type: replace
  path: /instance_groups/name=etcd/jobs/name=etcd/properties/etcd/heartbeat_interval_in_milliseconds?
  value: 60
`

func instances(n int) string {
	return fmt.Sprintf(`
- type: replace
  path: /instance_groups/name=etcd/instances
  value: %d
`, n)
}

// bench is one run: a fresh test director and a work directory.
type bench struct {
	o     options
	bosh  *testdirector.Director
	work  string
	store string // the vars store
}

func oneRun(ctx context.Context, o options, n int, c *releasebench.Collector) (note string, err error) {
	work, err := os.MkdirTemp("", "localbosh-bench-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	bosh, err := testdirector.Start(ctx, testdirector.Options{})
	if err != nil {
		return "", err
	}
	defer func() {
		if cleanupErr := bosh.Cleanup(context.WithoutCancel(ctx)); cleanupErr != nil && err == nil {
			err = fmt.Errorf("cleaning up the test director: %w", cleanupErr)
		}
	}()
	b := &bench{o: o, bosh: bosh, work: work, store: filepath.Join(work, "etcd-creds.yml")}
	return b.run(ctx, n, c)
}

func step(what string) func() {
	start := time.Now()
	fmt.Fprintf(os.Stderr, "  %s ...", what)
	return func() { fmt.Fprintf(os.Stderr, " %.1f s\n", time.Since(start).Seconds()) }
}

func (b *bench) run(ctx context.Context, n int, c *releasebench.Collector) (string, error) {
	// 6: a cold build (no .dev_builds) and upload, then the cached rerun.
	copied, err := testdirector.CopyReleaseDir(ctx, b.o.repo, b.work)
	if err != nil {
		return "", err
	}
	for _, metric := range []string{"create + upload, cold (s)", "create + upload again, cached (s)"} {
		done := step(metric)
		t := time.Now()
		if _, err := b.bosh.CreateAndUpload(ctx, copied); err != nil {
			return "", err
		}
		c.Add(rowBuild, metric, time.Since(t).Seconds())
		done()
	}
	done := step("first deploy, compiling")
	t := time.Now()
	first, err := b.deploy(ctx, "")
	if err != nil {
		return "", err
	}
	c.Add(rowBuild, "first deploy of 3 members, compiling packages (s)", time.Since(t).Seconds())
	c.Add(rowBuild, "of which compiling (s, whole seconds)", releasebench.StageSeconds(first.Events, "Compiling packages"))
	done()

	spec, note, err := b.handSpec(ctx, n)
	if err != nil {
		return "", err
	}
	cli, err := etcdaccess.Client(ctx, b.bosh.Client(), deployment, b.store)
	if err != nil {
		return "", err
	}
	defer cli.Close()

	done = step("throughput")
	tp := releasebench.MeasureThroughput(ctx, cli, "throughput", b.o.clients, b.o.valueBytes, b.o.throughputFor)
	done()

	done = step("rolling update under load")
	elapsed, load, err := releasebench.UnderLoad(ctx, cli, "rolling", func() error { _, err := b.deploy(ctx, heartbeat); return err })
	if err != nil {
		return "", err
	}
	rolling := releasebench.Figures(elapsed, load)
	done()

	done = step("scale 3 -> 5 -> 3 under load")
	var up, down time.Duration
	elapsed, load, err = releasebench.UnderLoad(ctx, cli, "scale", func() error {
		t := time.Now()
		if _, err := b.deploy(ctx, heartbeat+instances(5)); err != nil {
			return err
		}
		up = time.Since(t)
		t = time.Now()
		_, err := b.deploy(ctx, heartbeat)
		down = time.Since(t)
		return err
	})
	if err != nil {
		return "", err
	}
	c.AddLoad(rowScale, releasebench.Figures(elapsed, load), nil)
	c.Add(rowScale, "of which 3 -> 5 (s)", up.Seconds())
	c.Add(rowScale, "of which 5 -> 3 (s)", down.Seconds())
	done()

	// 4: each join adds a member (3 -> 4, then 4 -> 5) once the cluster
	// holds the next amount of data; scaling back between them would roll
	// every member again (their link changes) for nothing.
	held := 0
	for k, mb := range b.o.joinMB {
		done = step(fmt.Sprintf("join to %d MB", mb))
		if err := fill(ctx, cli, held, mb); err != nil {
			return "", err
		}
		held = max(held, mb)
		promoted, deployed, err := b.join(ctx, cli, 4+k)
		if err != nil {
			return "", fmt.Errorf("join to %d MB: %w", mb, err)
		}
		row := fmt.Sprintf(rowJoin, 3+k, 4+k, mb)
		c.Add(row, "seconds until promoted (deploy start to voting member)", promoted.Seconds())
		c.Add(row, "deploy (s)", deployed.Seconds())
		done()
	}

	done = step("delete, then deploy once compiled")
	if run, err := b.bosh.DeleteDeployment(ctx, deployment, false); err != nil || run.Err() != nil {
		return "", fmt.Errorf("deleting the deployment: %v %v", err, run.Err())
	}
	t = time.Now()
	if _, err := b.deploy(ctx, ""); err != nil {
		return "", err
	}
	deploySeconds := time.Since(t).Seconds()
	done()

	done = step("hand-run baseline")
	hand, err := b.handRun(ctx, spec)
	if err != nil {
		return "", err
	}
	done()

	c.AddPair(rowDeploy, "seconds", deploySeconds, hand.StartSeconds)
	c.AddLoad(rowRolling, rolling, &hand.Rolling)
	c.AddPair(rowThroughput, "writes/s", tp.WritesPerSecond, hand.Throughput.WritesPerSecond)
	c.AddPair(rowThroughput, "p50 latency (ms)", tp.P50Millis, hand.Throughput.P50Millis)
	c.AddPair(rowThroughput, "p99 latency (ms)", tp.P99Millis, hand.Throughput.P99Millis)
	c.AddPair(rowThroughput, releasebench.MetricFailedWrites, float64(tp.Failed), float64(hand.Throughput.Failed))
	if rolling.FailedBy != "" || hand.Rolling.FailedBy != "" {
		fmt.Fprintf(os.Stderr, "  rolling failures: release %q, hand-run %q\n", rolling.FailedBy, hand.Rolling.FailedBy)
	}
	return note, nil
}

func (b *bench) deploy(ctx context.Context, ops string) (testdirector.TaskRun, error) {
	m, err := testdirector.Manifest(filepath.Join(b.o.repo, "manifests", "bosh-lite", "etcd.yml"), ops, b.store)
	if err != nil {
		return testdirector.TaskRun{}, err
	}
	run, err := b.bosh.Deploy(ctx, m, director.DeployOptions{})
	if err == nil {
		err = run.Err()
	}
	return run, err
}

// fill writes the cluster up to mb MB of 512 KiB values, from held MB.
func fill(ctx context.Context, kv clientv3.KV, held, mb int) error {
	value := strings.Repeat("x", 512<<10)
	for i := held * 2; i < mb*2; i++ {
		putCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := kv.Put(putCtx, fmt.Sprintf("bulk-%05d", i), value)
		cancel()
		if err != nil {
			return fmt.Errorf("loading data: %w", err)
		}
	}
	return nil
}

// join scales to size and reports when the new member became a voting
// member (polling the member list) and how long the deploy took.
func (b *bench) join(ctx context.Context, cli *clientv3.Client, size int) (promoted, deployed time.Duration, err error) {
	name := fmt.Sprintf("etcd-%d", size-1)
	start := time.Now()
	pollCtx, stop := context.WithCancel(ctx)
	defer stop()
	found := make(chan time.Duration, 1)
	go func() {
		for pollCtx.Err() == nil {
			listCtx, cancel := context.WithTimeout(pollCtx, 2*time.Second)
			resp, err := cli.MemberList(listCtx)
			cancel()
			if err == nil {
				for _, m := range resp.Members {
					if m.Name == name && !m.IsLearner {
						found <- time.Since(start)
						return
					}
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	if _, err := b.deploy(ctx, heartbeat+instances(size)); err != nil {
		return 0, 0, err
	}
	deployed = time.Since(start)
	select {
	case promoted = <-found:
	case <-time.After(30 * time.Second):
		return 0, deployed, fmt.Errorf("the deploy ended but %s is no voting member 30 s later", name)
	}
	return promoted, deployed, nil
}

// handSpec takes etcd/0's rendered etcdfab config, its certificates and the
// deployed etcd package's binary, for the hand-run baseline.
func (b *bench) handSpec(ctx context.Context, n int) (releasebench.HandSpec, string, error) {
	const jobConfig = "/var/vcap/jobs/etcd/config"
	data, err := b.bosh.ReadFile(ctx, deployment, "etcd/0", jobConfig+"/etcdfab.json")
	if err != nil {
		return releasebench.HandSpec{}, "", err
	}
	var cfg config.Config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return releasebench.HandSpec{}, "", fmt.Errorf("parsing etcd/0's etcdfab.json: %w", err)
	}
	spec := releasebench.HandSpec{Config: cfg, Certs: map[string][]byte{}, Dir: filepath.Join(b.work, "hand"),
		Subnet: 221 + n%30, Members: 3, Clients: b.o.clients, ValueBytes: b.o.valueBytes, ThroughputFor: b.o.throughputFor}
	for _, t := range []config.TLSFiles{cfg.ServerTLS(), cfg.ClientTLS(), cfg.PeerTLS()} {
		for _, file := range []string{t.CA, t.Cert, t.Key} {
			name := filepath.Base(file)
			if spec.Certs[name], err = b.bosh.ReadFile(ctx, deployment, "etcd/0", path.Join(cfg.Etcd.CertDir, name)); err != nil {
				return releasebench.HandSpec{}, "", err
			}
		}
	}
	bin, err := b.bosh.Run(ctx, deployment, "etcd/0", vm.Cmd{Argv: []string{"cat", cfg.Etcd.EtcdPath}})
	if err != nil {
		return releasebench.HandSpec{}, "", fmt.Errorf("copying the deployed etcd binary: %w", err)
	}
	spec.Etcd = filepath.Join(b.work, "etcd")
	if err := os.WriteFile(spec.Etcd, bin, 0o755); err != nil {
		return releasebench.HandSpec{}, "", err
	}
	note := fmt.Sprintf("hand-run: the deployed package's etcd binary (%s) on 127.0.x.1-3 with etcd/0's rendered etcdfab config moved to loopback (addresses and directories only), its certificates, and the command line etcdfab renders from it; a private /etc/hosts maps the members' names",
		cfg.Etcd.EtcdPath)
	return spec, note, nil
}

// handRun runs the baseline in a process of its own, in its own process
// group so that cancelling it stops its etcd processes too.
func (b *bench) handRun(ctx context.Context, spec releasebench.HandSpec) (releasebench.HandResult, error) {
	var res releasebench.HandResult
	data, err := json.Marshal(spec)
	if err != nil {
		return res, err
	}
	specPath := filepath.Join(b.work, "hand-spec.json")
	if err := os.WriteFile(specPath, data, 0o600); err != nil {
		return res, err
	}
	self, err := os.Executable()
	if err != nil {
		return res, err
	}
	cmd := exec.CommandContext(ctx, self, "handrun", specPath)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return res, fmt.Errorf("the hand-run baseline: %w", err)
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return res, fmt.Errorf("the hand-run baseline printed %q: %w", stdout.String(), err)
	}
	return res, nil
}
