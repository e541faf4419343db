// Package testdirector runs a real localbosh director inside a test process:
// the Director API over HTTPS on 127.0.0.1, the deployer, and VMs made of
// namespaces with monit, on a bridge, subnet and name prefix of its own, so
// that suites running at the same time, and a real localbosh director on the
// same machine, never meet. It needs root, ruby and monit.
//
// A suite starts one Director, uploads its releases once, and deploys what
// its specs need; Cleanup (registered with DeferCleanup) deletes the
// deployments and removes every host object of the director's prefix and
// its state directory.
package testdirector

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/boshdns"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/deployer"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// Options configure a test director.
type Options struct {
	// Logs receives the director's JSON log lines (GinkgoWriter, say); nil
	// discards them.
	Logs io.Writer
	// PollInterval is how often the client polls tasks; default 100ms.
	PollInterval time.Duration
	// ResurrectInterval runs the director's resurrector (api.Options).
	ResurrectInterval time.Duration
	// ServeOnGateway also serves the API on the bridge's gateway at port
	// 25555, as `localbosh director` does, so that jobs on the director's
	// VMs (an errand running the acceptance suite) reach it; GatewayURL
	// names it.
	ServeOnGateway bool
	// GatewayServices are TCP ports on the bridge's gateway
	// (Network().Gateway) that the VMs may reach too (vm.Options): a
	// suite runs a service there for its deployments, an S3 server for
	// etcd's snapshots, say. The bridge exists once Start returns, so the
	// service can listen on the gateway address then.
	GatewayServices []int
}

// Director is a running test director.
type Director struct {
	opts      Options
	slot      *slot
	stateDir  string
	network   Network
	vmOpts    vm.Options
	creds     api.Credentials
	addr      string // host:port the API listens on, kept across restarts
	gateway   string // host:port on the gateway, with Options.ServeOnGateway
	client    *director.Client
	transport *http.Transport // the client's
	logger    *slog.Logger

	mu      sync.Mutex
	vms     *vm.Manager
	stop    context.CancelFunc
	stopped chan error // Serve's result
}

// Start claims a slot, removes what a crashed earlier run of that slot left
// on the host, and starts a director with a new state directory, generated
// credentials, a client and the slot's cloud config uploaded as "default".
func Start(ctx context.Context, opts Options) (_ *Director, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("a test director needs root: it creates namespaces, bridges and mounts")
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 100 * time.Millisecond
	}
	logs := opts.Logs
	if logs == nil {
		logs = io.Discard
	}
	s, err := claimSlot()
	if err != nil {
		return nil, err
	}
	d := &Director{opts: opts, slot: s, network: networkFor(s.n), logger: slog.New(slog.NewJSONHandler(logs, nil))}
	defer func() {
		if err != nil {
			if cleanupErr := d.Cleanup(context.WithoutCancel(ctx)); cleanupErr != nil {
				err = fmt.Errorf("%w (and cleaning up: %v)", err, cleanupErr)
			}
		}
	}()
	// Every test director's state is under one directory, which VMs do not
	// see: a VM of one test director can read no other's credentials.
	parent := stateDirsParent()
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("creating the test directors' directory: %w", err)
	}
	vmOpts := vm.Options{
		Logger: d.logger, Prefix: fmt.Sprintf("lbt%d", s.n), Bridge: fmt.Sprintf("lbt%dbr", s.n),
		Subnet: d.network.Subnet, Gateway: d.network.Gateway, Hide: []string{parent},
		GatewayServices: opts.GatewayServices,
	}
	if err := removeLeftovers(ctx, s, vmOpts); err != nil {
		return nil, err
	}
	if d.stateDir, err = os.MkdirTemp(parent, stateDirPrefix(s)); err != nil {
		return nil, fmt.Errorf("creating the test director's state directory: %w", err)
	}
	d.vmOpts = vmOpts
	d.vmOpts.StateDir = d.stateDir
	var sans []string
	if opts.ServeOnGateway {
		vms, err := vm.New(d.vmOpts)
		if err != nil {
			return nil, err
		}
		// The bridge must exist before the director can listen on its gateway.
		if err := vms.EnsureNetwork(ctx); err != nil {
			return nil, fmt.Errorf("setting up the test director's VM network: %w", err)
		}
		d.gateway = net.JoinHostPort(vms.Options().Gateway.String(), strconv.Itoa(vms.Options().DirectorPort))
		sans = []string{vms.Options().Gateway.String()}
	}
	if d.creds, err = api.EnsureCredentials(d.stateDir, sans, certs.WithECDSAKeys()); err != nil {
		return nil, err
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the test director: %w", err)
	}
	d.addr = listener.Addr().String()
	if err := d.listenAndServe(listener); err != nil {
		return nil, err
	}
	if d.client, err = d.newClient(); err != nil {
		return nil, err
	}
	if _, err := d.client.UpdateConfig(ctx, director.ConfigCloud, "default", d.network.CloudConfig()); err != nil {
		return nil, fmt.Errorf("uploading the test cloud config: %w", err)
	}
	return d, nil
}

// newClient makes a client over an HTTP client of the director's own, whose
// kept-alive connections Restart closes: they lead to the stopped server,
// and a POST sent on one would fail with EOF (Go retries only idempotent
// requests), which a new CLI process would never see.
func (d *Director) newClient() (*director.Client, error) {
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(d.creds.CACertPEM) {
		return nil, errors.New("the test director's CA certificate is not PEM")
	}
	d.transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	return director.New(director.Config{URL: "https://" + d.addr, HTTPClient: &http.Client{Transport: d.transport},
		Username: d.creds.Username, Password: d.creds.Password, PollInterval: d.opts.PollInterval})
}

// stateDirPrefix starts the names of the slot's state directories.
func stateDirPrefix(s *slot) string {
	return fmt.Sprintf("localbosh-testdirector-%d-", s.n)
}

// stateDirsParent holds the state directories of all test directors.
func stateDirsParent() string { return filepath.Join(os.TempDir(), "localbosh-testdirectors") }

// removeLeftovers removes what earlier runs of the slot left behind: this
// process holds the slot's lock, so anything named with its prefix, and any
// state directory of the slot, belongs to a run that died. A VM manager per
// old state directory cleans it (VMs, namespace mounts) and the host objects
// named with the prefix; with no old directory, one over a scratch
// directory cleans the latter.
func removeLeftovers(ctx context.Context, s *slot, opts vm.Options) error {
	var dirs []string
	// Earlier runs kept state directories directly in the temporary directory.
	for _, parent := range []string{stateDirsParent(), os.TempDir()} {
		found, err := filepath.Glob(filepath.Join(parent, stateDirPrefix(s)+"*"))
		if err != nil {
			return err
		}
		dirs = append(dirs, found...)
	}
	if len(dirs) == 0 {
		scratch, err := os.MkdirTemp("", "localbosh-testdirector-scratch-")
		if err != nil {
			return err
		}
		dirs = []string{scratch}
	}
	var errs []error
	for _, dir := range dirs {
		opts.StateDir = dir
		vms, err := vm.New(opts)
		if err == nil {
			_, err = vms.Clean(ctx)
		}
		if err == nil {
			err = os.RemoveAll(dir)
		}
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("removing leftovers of an earlier test director with prefix %s: %w", opts.Prefix, err)
	}
	return nil
}

// serve builds a VM manager, deployer and API server over the state
// directory, as `localbosh director` does, and serves on listener in the
// background.
func (d *Director) serve(listeners ...net.Listener) error {
	vms, err := vm.New(d.vmOpts)
	if err != nil {
		return err
	}
	backend, err := deployer.New(deployer.Options{StateDir: d.stateDir, VMs: vms, Logger: d.logger, BOSHDNS: true})
	if err != nil {
		return err
	}
	// BOSH DNS on the slot's gateway, which needs the bridge.
	if err := vms.EnsureNetwork(context.Background()); err != nil {
		return err
	}
	dnsServer, err := boshdns.Start(context.Background(), boshdns.Options{
		Addr: net.JoinHostPort(d.vmOpts.Gateway.String(), "53"), Source: backend.DNSRecords, Logger: d.logger})
	if err != nil {
		return err
	}
	server, err := api.New(api.Options{StateDir: d.stateDir, Backend: backend, Username: d.creds.Username,
		Password: d.creds.Password, Certificate: &d.creds.Certificate, Name: "localbosh-test", Logger: d.logger,
		ResurrectInterval: d.opts.ResurrectInterval})
	if err != nil {
		dnsServer.Close()
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	stop := func() { cancel(); dnsServer.Close() }
	stopped := make(chan error, 1)
	go func() { stopped <- server.Serve(ctx, listeners...) }()

	d.mu.Lock()
	defer d.mu.Unlock()
	d.vms, d.stop, d.stopped = vms, stop, stopped
	return nil
}

// shutdown stops serving: running tasks are cancelled and stay unfinished
// on disk, as when a director process is killed.
func (d *Director) shutdown() error {
	d.mu.Lock()
	stop, stopped := d.stop, d.stopped
	d.stop, d.stopped = nil, nil
	d.mu.Unlock()
	if stop == nil {
		return nil
	}
	stop()
	if err := <-stopped; err != nil {
		return fmt.Errorf("test director stopped with: %w", err)
	}
	return nil
}

// Restart stops the director, cancelling tasks in flight, and starts a new
// one (new VM manager, deployer and API server) over the same state
// directory on the same address, as restarting `localbosh director` does.
// The VMs and their monit keep running meanwhile.
func (d *Director) Restart(ctx context.Context) error {
	if err := d.shutdown(); err != nil {
		return err
	}
	d.transport.CloseIdleConnections()
	listener, err := net.Listen("tcp", d.addr)
	if err != nil {
		return fmt.Errorf("listening again on %s: %w", d.addr, err)
	}
	return d.listenAndServe(listener)
}

// listenAndServe serves on listener and, with Options.ServeOnGateway, on
// the gateway too.
func (d *Director) listenAndServe(listener net.Listener) error {
	listeners := []net.Listener{listener}
	if d.gateway != "" {
		gw, err := net.Listen("tcp", d.gateway)
		if err != nil {
			listener.Close()
			return fmt.Errorf("listening on the gateway %s: %w", d.gateway, err)
		}
		listeners = append(listeners, gw)
	}
	if err := d.serve(listeners...); err != nil {
		for _, l := range listeners {
			l.Close()
		}
		return err
	}
	return nil
}

// GatewayURL is where the director's VMs reach its API
// (Options.ServeOnGateway); "" without it.
func (d *Director) GatewayURL() string {
	if d.gateway == "" {
		return ""
	}
	return "https://" + d.gateway
}

// Credentials are the director's user, password and CA.
func (d *Director) Credentials() api.Credentials { return d.creds }

// Client is a Director API client logged in to the director.
func (d *Director) Client() *director.Client { return d.client }

// Network is the director's VM network.
func (d *Director) Network() Network { return d.network }

// StateDir is the director's state directory.
func (d *Director) StateDir() string { return d.stateDir }

// VMs is the VM manager of the director as it runs now.
func (d *Director) VMs() *vm.Manager {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.vms
}

// VMOptions are the options the director's VM manager was made with.
func (d *Director) VMOptions() vm.Options { return d.vmOpts }

// Cleanup deletes every deployment through the API (so jobs see their
// instances go), stops the director, removes every host object of its
// prefix (VMs, namespaces, veths, bridge, iptables rules, mounts), removes
// the state directory and frees the slot. It carries on past failures and
// reports them all.
func (d *Director) Cleanup(ctx context.Context) error {
	var errs []error
	if d.client != nil && d.serving() {
		errs = append(errs, d.deleteAllDeployments(ctx))
	}
	errs = append(errs, d.shutdown())
	if d.vmOpts.StateDir != "" {
		vms, err := vm.New(d.vmOpts)
		if err == nil {
			_, err = vms.Clean(ctx)
		}
		errs = append(errs, err)
	}
	if d.stateDir != "" {
		errs = append(errs, os.RemoveAll(d.stateDir))
	}
	if d.slot != nil {
		errs = append(errs, d.slot.release())
	}
	return errors.Join(errs...)
}

func (d *Director) deleteAllDeployments(ctx context.Context) error {
	deps, err := d.client.Deployments(ctx)
	if err != nil {
		return fmt.Errorf("listing deployments to delete: %w", err)
	}
	var errs []error
	for _, dep := range deps {
		run, err := d.DeleteDeployment(ctx, dep.Name, true)
		if err == nil {
			err = run.Err()
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (d *Director) serving() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stop != nil
}
