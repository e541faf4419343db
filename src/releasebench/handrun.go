package releasebench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/app"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
)

// HandSpec is what the hand-run baseline needs from a deployment: a
// member's rendered etcdfab config (so etcd gets the flags etcdfab renders
// from it), the certificates it names, by file name, and the etcd binary
// of the deployed package.
type HandSpec struct {
	Config  config.Config     `json:"config"`
	Certs   map[string][]byte `json:"certs"`
	Etcd    string            `json:"etcd"`
	Dir     string            `json:"dir"`
	Subnet  int               `json:"subnet"` // third octet of the loopback addresses
	Members int               `json:"members"`
	// Throughput parameters, the same as the release's row.
	Clients, ValueBytes int
	ThroughputFor       time.Duration
}

// HandResult is what the baseline measured.
type HandResult struct {
	StartSeconds float64     `json:"start_seconds"`
	Throughput   Throughput  `json:"throughput"`
	Rolling      LoadFigures `json:"rolling"`
}

// HandCluster is etcd started by hand on loopback addresses: the member
// config of a deployment moved to 127.0.<subnet>.<index+1>, its own
// directories, the same certificates and names (resolved through a
// private /etc/hosts).
type HandCluster struct {
	spec  HandSpec
	token string // the bootstrap's cluster token, one for all members
	cfgs  []config.Config
	procs []*exec.Cmd
	done  []chan struct{}
}

// NewHandCluster writes each member's certificates and maps its name to its
// address; call it in the private mount namespace of
// localcluster.IsolateHosts.
func NewHandCluster(spec HandSpec) (*HandCluster, error) {
	h := &HandCluster{spec: spec, token: fmt.Sprintf("bench-%d", time.Now().UnixNano()), cfgs: memberConfigs(spec)}
	hosts := map[string]string{}
	for _, cfg := range h.cfgs {
		for _, d := range []string{cfg.Etcd.DataDir, cfg.Etcd.RunDir, cfg.Etcd.LogDir, cfg.Etcd.CertDir} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, err
			}
		}
		for name, data := range spec.Certs {
			if err := os.WriteFile(filepath.Join(cfg.Etcd.CertDir, name), data, 0o600); err != nil {
				return nil, err
			}
		}
		hosts[cfg.AdvertisedName()] = cfg.Node.ExternalIP
	}
	h.procs = make([]*exec.Cmd, spec.Members)
	h.done = make([]chan struct{}, spec.Members)
	return h, localcluster.AppendHosts(hosts)
}

// memberConfigs moves the deployed member's config to each loopback
// member: its index, address, group and directories change, nothing else.
func memberConfigs(spec HandSpec) []config.Config {
	ip := func(i int) string { return fmt.Sprintf("127.0.%d.%d", spec.Subnet, i+1) }
	var group []config.Instance
	for i := range spec.Members {
		group = append(group, config.Instance{Name: spec.Config.Node.Name, Index: i, Address: ip(i)})
	}
	var cfgs []config.Config
	for i := range spec.Members {
		cfg := spec.Config
		dir := filepath.Join(spec.Dir, fmt.Sprintf("member-%d", i))
		cfg.Node.Index, cfg.Node.ExternalIP, cfg.Node.Bootstrap = i, ip(i), i == 0
		cfg.Etcd.Cluster = group
		cfg.Etcd.Machines = nil
		cfg.Etcd.DataDir = filepath.Join(dir, "store")
		cfg.Etcd.RunDir = filepath.Join(dir, "run")
		cfg.Etcd.LogDir = filepath.Join(dir, "log")
		cfg.Etcd.CertDir = filepath.Join(dir, "certs")
		cfgs = append(cfgs, cfg)
	}
	return cfgs
}

func (h *HandCluster) ip(i int) string { return fmt.Sprintf("127.0.%d.%d", h.spec.Subnet, i+1) }

// Args is member i's etcd command line: etcdfab's, for a bootstrap of all
// members or a restart on data.
func (h *HandCluster) Args(i int, bootstrap bool) []string {
	if !bootstrap {
		return app.RestartArgs(h.cfgs[i])
	}
	var initial []string
	for _, cfg := range h.cfgs {
		initial = append(initial, cfg.MemberName()+"="+cfg.PeerURL(cfg.Self()))
	}
	return app.BootstrapArgs(h.cfgs[i], strings.Join(initial, ","), h.token)
}

// Start launches member i's etcd.
func (h *HandCluster) Start(i int, bootstrap bool) error {
	log, err := os.OpenFile(filepath.Join(h.cfgs[i].Etcd.LogDir, "etcd.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer log.Close()
	cmd := exec.Command(h.spec.Etcd, h.Args(i, bootstrap)...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting etcd for member %d: %w", i, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	h.procs[i], h.done[i] = cmd, done
	return nil
}

// Terminate sends member i's etcd SIGTERM and waits for it to exit (killing
// it after 30 s).
func (h *HandCluster) Terminate(i int) error {
	if h.procs[i] == nil {
		return nil
	}
	_ = h.procs[i].Process.Signal(syscall.SIGTERM)
	var err error
	select {
	case <-h.done[i]:
	case <-time.After(30 * time.Second):
		_ = h.procs[i].Process.Kill()
		<-h.done[i]
		err = fmt.Errorf("member %d's etcd did not exit within 30 s of SIGTERM; killed", i)
	}
	h.procs[i] = nil
	return err
}

// Close terminates every member.
func (h *HandCluster) Close() error {
	var errs []error
	for i := range h.procs {
		errs = append(errs, h.Terminate(i))
	}
	return errors.Join(errs...)
}

// Client dials the given members (all when none are given) with the
// member's own client certificate, as etcdfab does.
func (h *HandCluster) Client(members ...int) (*clientv3.Client, error) {
	if len(members) == 0 {
		for i := range h.cfgs {
			members = append(members, i)
		}
	}
	t := h.cfgs[0].ClientTLS()
	tlsConfig, err := etcdclient.TLSConfig(t.CA, t.Cert, t.Key)
	if err != nil {
		return nil, err
	}
	tlsConfig.ServerName = h.cfgs[0].TLSServerName()
	var urls []string
	for _, i := range members {
		urls = append(urls, "https://"+h.ip(i)+fmt.Sprintf(":%d", h.cfgs[i].Etcd.ClientPort))
	}
	return etcdclient.NewV3(urls, tlsConfig)
}

// WaitHealthy waits until member i serves a linearizable read.
func (h *HandCluster) WaitHealthy(ctx context.Context, i int) error {
	c, err := h.Client(i)
	if err != nil {
		return err
	}
	defer c.Close()
	for {
		readCtx, cancel := context.WithTimeout(ctx, time.Second)
		_, err := c.Get(readCtx, "health")
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("member %d not healthy: %w (last: %v)", i, ctx.Err(), err)
		case <-h.done[i]:
			return fmt.Errorf("member %d's etcd exited (see %s)", i, h.cfgs[i].Etcd.LogDir)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// RunHand measures the baseline: every member started at once until all
// are healthy, write throughput, and a rolling SIGTERM restart under the
// steady load.
func RunHand(ctx context.Context, spec HandSpec) (HandResult, error) {
	var res HandResult
	h, err := NewHandCluster(spec)
	if err != nil {
		return res, err
	}
	defer h.Close()
	start := time.Now()
	for i := range spec.Members {
		if err := h.Start(i, true); err != nil {
			return res, err
		}
	}
	healthCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for i := range spec.Members {
		if err := h.WaitHealthy(healthCtx, i); err != nil {
			return res, err
		}
	}
	res.StartSeconds = time.Since(start).Seconds()

	c, err := h.Client()
	if err != nil {
		return res, err
	}
	defer c.Close()
	res.Throughput = MeasureThroughput(ctx, c, "throughput", spec.Clients, spec.ValueBytes, spec.ThroughputFor)

	elapsed, load, err := UnderLoad(ctx, c, "rolling", func() error {
		for i := range spec.Members {
			if err := h.Terminate(i); err != nil {
				return err
			}
			if err := h.Start(i, false); err != nil {
				return err
			}
			waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			err := h.WaitHealthy(waitCtx, i)
			cancel()
			if err != nil {
				return err
			}
		}
		return nil
	})
	res.Rolling = Figures(elapsed, load)
	return res, err
}

// HandMain is the hand-run baseline as a process of its own (it needs a
// private /etc/hosts): it reads a HandSpec from specPath and prints a
// HandResult as JSON.
func HandMain(ctx context.Context, specPath string) error {
	code, reran, err := localcluster.IsolateHosts()
	if reran {
		if err == nil && code != 0 {
			err = fmt.Errorf("the hand-run baseline exited %d", code)
		}
		return err
	}
	if err != nil {
		return err
	}
	data, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	var spec HandSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("parsing %s: %w", specPath, err)
	}
	res, err := RunHand(ctx, spec)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}
