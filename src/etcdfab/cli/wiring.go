package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/app"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/dbcheck"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/process"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/status"
)

// statusTimeout bounds one status request; long enough for a host that is
// gone to show as unreachable (ARP gives up after about 3 s) rather than
// silent.
const statusTimeout = 4 * time.Second

// dbLockTimeout bounds how long the database check waits for another
// process's lock on the database (an etcd that has not exited yet).
const dbLockTimeout = 10 * time.Second

// tlsSet is the TLS material etcdfab uses, loaded once: etcdfab's client
// identity towards etcd, and the peer identity its status endpoint serves
// and dials with. err says what failed to load; the commands that stop etcd
// must work regardless, so loading never fails a command by itself.
type tlsSet struct {
	client, peerClient, peerServer *tls.Config
	err                            error
}

func loadTLS(cfg config.Config) tlsSet {
	var s tlsSet
	var errs []error
	// load reads one identity; members are dialled by address and checked
	// against the DNS suffix their certificates name.
	load := func(t config.TLSFiles) *tls.Config {
		c, err := etcdclient.TLSConfig(t.CA, t.Cert, t.Key)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		c.ServerName = cfg.TLSServerName()
		return c
	}
	if cfg.Etcd.RequireSSL {
		s.client = load(cfg.ClientTLS())
	}
	if cfg.Etcd.PeerRequireSSL {
		if s.peerClient = load(cfg.PeerTLS()); s.peerClient != nil {
			s.peerServer = &tls.Config{Certificates: s.peerClient.Certificates, ClientCAs: s.peerClient.RootCAs,
				ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12}
		}
	}
	s.err = errors.Join(errs...)
	return s
}

// newApp wires the app to real etcd clients, real etcd processes and the
// real status endpoint.
func newApp(cfg config.Config, log *slog.Logger, t tlsSet) *app.App {
	dial := func(endpoints []string) (app.Cluster, error) {
		if cfg.Etcd.RequireSSL && t.client == nil {
			return nil, t.err
		}
		return etcdclient.Dial(endpoints, t.client)
	}
	launch := func(args []string) (app.Etcd, error) {
		out, err := process.OpenLog(filepath.Join(cfg.Etcd.LogDir, "etcd.log"))
		if err != nil {
			return nil, err
		}
		child, err := process.Start(cfg.Etcd.EtcdPath, args, out)
		if err != nil {
			out.Close()
			return nil, err
		}
		go func() { <-child.Done(); out.Close() }()
		return child, nil
	}
	var peers app.StatusClient = status.NewClient(t.peerClient, statusTimeout)
	if cfg.Etcd.PeerRequireSSL && t.peerClient == nil {
		peers = failingStatus{t.err}
	}
	a := app.New(cfg, log, dial, launch, peers)
	a.Defrag = scheduledDefrag(cfg, log)
	a.Snapshots = newDestination(cfg, t)
	if exe, err := os.Executable(); err == nil {
		a.CheckData = app.DataCheck(dbcheck.Isolated(exe, dbLockTimeout))
	} else {
		a.CheckData = func(context.Context, string) (dbcheck.Result, error) {
			return dbcheck.Result{}, fmt.Errorf("finding etcdfab's own binary to run check-db: %w", err)
		}
	}
	a.ServeStatus = func(src status.Source) (io.Closer, error) {
		if cfg.Etcd.PeerRequireSSL && t.peerServer == nil {
			return nil, t.err
		}
		return status.Listen(cfg.ListenStatusAddr(), t.peerServer, src)
	}
	return a
}

// failingStatus stands in for the status client when the peer certificate
// does not load: every instance is unknown, so nothing is decided on it.
type failingStatus struct{ err error }

func (f failingStatus) Fetch(ctx context.Context, url string) (status.Report, cluster.Reach, error) {
	return status.Report{}, cluster.Unknown, f.err
}

// ensureDirs creates the directories etcdfab and etcd write to.
func ensureDirs(cfg config.Config) error {
	for _, dir := range []string{cfg.Etcd.RunDir, cfg.Etcd.LogDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return os.MkdirAll(cfg.Etcd.DataDir, 0o700)
}
