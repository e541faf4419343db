// Package localcluster runs etcd clusters of etcdfab nodes on one machine,
// each node on its own loopback address (127.0.<subnet>.<index+1>) with its
// own data, run, log and certificate directories, driven through the etcdfab
// binary exactly as the etcd job's scripts drive it. The integration tests
// and the benchmarks use it.
package localcluster

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

// Options describe a cluster.
type Options struct {
	Dir         string // everything the cluster writes goes below it
	EtcdfabPath string
	EtcdPath    string
	Subnet      int    // third octet of the nodes' loopback addresses, 1-254
	Group       string // instance group name; default "etcd"
	Deployment  string // default "local"
	DNSSuffix   string // default "<group>.s<subnet>.etcd-test"
	TLS         *TLS   // certificates, for tests that turn TLS on

	// StartTimeout bounds etcdfab start and post-start; default 60 s.
	StartTimeout time.Duration
}

// Cluster is a set of nodes sharing a link.
type Cluster struct {
	opts Options

	mu    sync.Mutex
	procs map[int]*proc
}

// proc is one `etcdfab start` process; done closes when it exits.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// New prepares a cluster; nothing runs until Start.
func New(opts Options) *Cluster {
	if opts.Group == "" {
		opts.Group = "etcd"
	}
	if opts.Deployment == "" {
		opts.Deployment = "local"
	}
	if opts.DNSSuffix == "" {
		opts.DNSSuffix = fmt.Sprintf("%s.s%d.etcd-test", opts.Group, opts.Subnet)
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	return &Cluster{opts: opts, procs: map[int]*proc{}}
}

// Subnet is the third octet of the nodes' addresses.
func (c *Cluster) Subnet() int { return c.opts.Subnet }

// Dir is where the cluster keeps its files.
func (c *Cluster) Dir() string { return c.opts.Dir }

// IP is node index's loopback address.
func (c *Cluster) IP(index int) string { return fmt.Sprintf("127.0.%d.%d", c.opts.Subnet, index+1) }

// DNSSuffix is the advertise_urls_dns_suffix the nodes use under TLS.
func (c *Cluster) DNSSuffix() string { return c.opts.DNSSuffix }

// Hostname is node index's name under TLS.
func (c *Cluster) Hostname(index int) string {
	return fmt.Sprintf("%s-%d.%s", c.opts.Group, index, c.opts.DNSSuffix)
}

// NodeDir holds node index's files.
func (c *Cluster) NodeDir(index int) string {
	return filepath.Join(c.opts.Dir, fmt.Sprintf("node-%d", index))
}

// Config builds node index's etcdfab config as the job would render it for
// an instance group of size instances. mutate, if given, adjusts it (TLS
// switches, ports); the result is written by Start.
func (c *Cluster) Config(index, size int, mutate ...func(*config.Config)) config.Config {
	dir := c.NodeDir(index)
	cfg := config.Default()
	cfg.Node = config.Node{Name: c.opts.Group, Index: index, ID: fmt.Sprintf("id-%d", index),
		ExternalIP: c.IP(index), Bootstrap: index == 0, Deployment: c.opts.Deployment}
	cfg.Etcd.EtcdPath = c.opts.EtcdPath
	cfg.Etcd.DataDir = filepath.Join(dir, "store")
	cfg.Etcd.RunDir = filepath.Join(dir, "run")
	cfg.Etcd.LogDir = filepath.Join(dir, "log")
	cfg.Etcd.CertDir = filepath.Join(dir, "certs")
	cfg.Etcd.AdvertiseURLsDNSSuffix = c.opts.DNSSuffix
	cfg.Etcd.StartTimeoutSeconds = int(c.opts.StartTimeout / time.Second)
	cfg.Etcd.StopTimeoutSeconds = 30
	for i := 0; i < size; i++ {
		cfg.Etcd.Cluster = append(cfg.Etcd.Cluster, config.Instance{Name: c.opts.Group, Index: i, Address: c.IP(i)})
	}
	if c.opts.TLS != nil {
		cfg.Etcd.RequireSSL = true
		cfg.Etcd.PeerRequireSSL = true
	}
	for _, m := range mutate {
		m(&cfg)
	}
	return cfg
}

// ConfigPath is where node index's config is written.
func (c *Cluster) ConfigPath(index int) string {
	return filepath.Join(c.NodeDir(index), "etcdfab.json")
}

// write stores cfg (and the certificates it needs) for its node.
func (c *Cluster) write(cfg config.Config) error {
	index := cfg.Node.Index
	if err := os.MkdirAll(c.NodeDir(index), 0o755); err != nil {
		return err
	}
	if c.opts.TLS != nil {
		if err := c.opts.TLS.writeFiles(cfg); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(c.ConfigPath(index), data, 0o600)
}

// Start writes cfg and launches `etcdfab start` in the background, as the
// job's ctl script does; it does not wait for health (see PostStart).
func (c *Cluster) Start(cfg config.Config) error {
	if err := c.write(cfg); err != nil {
		return fmt.Errorf("writing node %d config: %w", cfg.Node.Index, err)
	}
	logPath := filepath.Join(c.NodeDir(cfg.Node.Index), "etcdfab.log")
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(c.opts.EtcdfabPath, "start", "-config", c.ConfigPath(cfg.Node.Index))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting etcdfab for node %d: %w", cfg.Node.Index, err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	c.mu.Lock()
	c.procs[cfg.Node.Index] = p
	c.mu.Unlock()
	go func() { _ = cmd.Wait(); close(p.done) }()
	return nil
}

// PostStart runs `etcdfab post-start`, which waits until the node is a
// healthy voting member of a cluster with quorum.
func (c *Cluster) PostStart(index int) error { return c.run(index, nil, "post-start") }

// StartAndWait starts node cfg and waits for it to be healthy.
func (c *Cluster) StartAndWait(cfg config.Config) error {
	if err := c.Start(cfg); err != nil {
		return err
	}
	return c.PostStart(cfg.Node.Index)
}

// Stop runs `etcdfab stop` for node index (a graceful stop keeping data).
func (c *Cluster) Stop(index int) error { return c.run(index, nil, "stop") }

// PreStop runs `etcdfab pre-stop` with BOSH's next-state variables.
func (c *Cluster) PreStop(index int, instanceNext, deploymentNext string) error {
	return c.run(index, []string{"BOSH_INSTANCE_NEXT_STATE=" + instanceNext,
		"BOSH_DEPLOYMENT_NEXT_STATE=" + deploymentNext, "BOSH_VM_NEXT_STATE=" + instanceNext}, "pre-stop")
}

// Drain runs `etcdfab drain` for an instance with a 1 GB persistent disk,
// with BOSH_JOB_NEXT_STATE for the given disk size, and returns what it
// printed.
func (c *Cluster) Drain(index, nextDiskMB int) (string, error) {
	return c.DrainWith(index, 1024, nextDiskMB)
}

// DrainWith runs `etcdfab drain` with BOSH_JOB_STATE and
// BOSH_JOB_NEXT_STATE for the given disk sizes (0: no disk).
func (c *Cluster) DrainWith(index, diskMB, nextDiskMB int) (string, error) {
	env := []string{fmt.Sprintf(`BOSH_JOB_NEXT_STATE={"persistent_disk":%d}`, nextDiskMB), fmt.Sprintf(`BOSH_JOB_STATE={"persistent_disk":%d}`, diskMB)}
	return c.output(index, env, "drain", "job_shutdown", "hash_unchanged")
}

// CheckConsistency runs `etcdfab consistency-checker` for node index for
// up to d: it returns nil if the checker is still running then (the group
// is consistent), or the checker's error and log when it failed.
func (c *Cluster) CheckConsistency(index int, d time.Duration) error {
	cmd := exec.Command(c.opts.EtcdfabPath, "consistency-checker", "-config", c.ConfigPath(index))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return fmt.Errorf("the consistency checker of node %d exited: %v\n%s", index, err, stderr.String())
	case <-time.After(d):
		_ = cmd.Process.Signal(os.Interrupt)
		<-done
		return nil
	}
}

// Delete takes node index away as BOSH deletes an instance: pre-stop and
// drain told the instance goes, then stop, then its disk is removed.
func (c *Cluster) Delete(index int) error {
	if err := c.PreStop(index, "delete", "keep"); err != nil {
		return err
	}
	if out, err := c.Drain(index, 0); err != nil {
		return fmt.Errorf("drain printed %q: %w", out, err)
	}
	if err := c.Stop(index); err != nil {
		return err
	}
	return os.RemoveAll(filepath.Join(c.NodeDir(index), "store"))
}

// Exited is closed when node index's latest etcdfab start process exits
// (nil if it was never started).
func (c *Cluster) Exited(index int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.procs[index]; p != nil {
		return p.done
	}
	return nil
}

// Cleanup stops every node it started and kills, by pid, what lingers.
func (c *Cluster) Cleanup() {
	c.mu.Lock()
	procs := c.procs
	c.procs = map[int]*proc{}
	c.mu.Unlock()
	for index, p := range procs {
		_ = c.run(index, nil, "stop")
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
}

// Endpoints are the client URLs of nodes.
func (c *Cluster) Endpoints(cfgs ...config.Config) []string {
	var urls []string
	for _, cfg := range cfgs {
		urls = append(urls, cfg.ClientURL(cfg.Self()))
	}
	return urls
}

func (c *Cluster) run(index int, env []string, args ...string) error {
	_, err := c.output(index, env, args...)
	return err
}

func (c *Cluster) output(index int, env []string, args ...string) (string, error) {
	cmd := exec.Command(c.opts.EtcdfabPath, append([]string{args[0], "-config", c.ConfigPath(index)}, args[1:]...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("etcdfab %s on node %d: %w\n%s", args[0], index, err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}
