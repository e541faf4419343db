package cli

import (
	"crypto/tls"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/app"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/process"
)

// newApp wires the app to real etcd clients and real etcd processes.
func newApp(cfg config.Config, log *slog.Logger) (*app.App, error) {
	var tlsConfig *tls.Config
	if cfg.Etcd.RequireSSL {
		t := cfg.ClientTLS()
		var err error
		if tlsConfig, err = etcdclient.TLSConfig(t.CA, t.Cert, t.Key); err != nil {
			return nil, err
		}
	}
	dial := func(endpoints []string) (app.Cluster, error) { return etcdclient.Dial(endpoints, tlsConfig) }
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
	return app.New(cfg, log, dial, launch), nil
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
