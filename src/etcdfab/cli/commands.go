package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/app"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/process"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/validate"
)

// stopSignals ends a long-running command: monit's stop program and
// etcdfab stop send SIGTERM.
func stopSignals() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
}

// runStart runs etcd in the foreground as etcdfab's child until etcd exits
// or etcdfab is told to stop, which it forwards.
func runStart(cfg config.Config, _ error, log *slog.Logger, _ IO) error {
	if err := ensureDirs(cfg); err != nil {
		return fmt.Errorf("creating directories: %w", err)
	}
	// Lead a process group so that stop can kill etcdfab and etcd together
	// should a graceful stop time out.
	_ = syscall.Setpgid(0, 0)
	if err := process.WritePIDFile(cfg.PIDFile(), os.Getpid()); err != nil {
		return err
	}
	defer os.Remove(cfg.PIDFile())

	a := newApp(cfg, log, loadTLS(cfg))
	if err := a.ClearMarks(); err != nil {
		return err
	}
	ctx, cancel := stopSignals()
	defer cancel()
	return a.Run(ctx)
}

func runStop(cfg config.Config, _ error, log *slog.Logger, _ IO) error {
	return newApp(cfg, log, tlsSet{}).Stop(cfg.PIDFile())
}

func runPostStart(cfg config.Config, _ error, log *slog.Logger, _ IO) error {
	ctx, cancel := stopSignals()
	defer cancel()
	return newApp(cfg, log, loadTLS(cfg)).PostStart(ctx)
}

// errSkipMembership: pre-stop and drain cannot talk to the cluster safely
// with what the failed deploy rendered, so they stop without membership
// changes; the running members remove a member nobody runs later.
var errSkipMembership = errors.New("skipping membership changes")

// membershipApp wires the app for pre-stop and drain, or says why they
// must do without.
func membershipApp(cfg config.Config, loadErr error, log *slog.Logger) (*app.App, error) {
	if loadErr != nil {
		return nil, fmt.Errorf("%w: %v", errSkipMembership, loadErr)
	}
	t := loadTLS(cfg)
	if t.err != nil {
		return nil, fmt.Errorf("%w: the TLS files do not load: %v", errSkipMembership, t.err)
	}
	return newApp(cfg, log, t), nil
}

func runPreStop(cfg config.Config, loadErr error, log *slog.Logger, io IO) error {
	a, err := membershipApp(cfg, loadErr, log)
	if err != nil {
		log.Warn("pre-stop does nothing", "reason", err.Error())
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.StopTimeout())
	defer cancel()
	return a.PreStop(ctx, io.Getenv)
}

func runDrain(cfg config.Config, loadErr error, log *slog.Logger, io IO) error {
	wait := 0
	if a, err := membershipApp(cfg, loadErr, log); err != nil {
		log.Warn("drain does not leave the cluster", "reason", err.Error())
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.StopTimeout())
		defer cancel()
		if wait, err = a.Drain(ctx, io.Getenv); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(io.Stdout, wait)
	return err
}

// runValidate checks the TLS material and the disk; the config itself was
// validated when it was loaded.
func runValidate(cfg config.Config, _ error, log *slog.Logger, _ IO) error {
	if err := validate.Certificates(cfg, time.Now()); err != nil {
		return err
	}
	if warning := validate.PersistentDisk(cfg.Etcd.DataDir); warning != "" {
		log.Warn(warning)
	}
	log.Info("configuration and certificates are valid", "require_ssl", cfg.Etcd.RequireSSL, "peer_require_ssl", cfg.Etcd.PeerRequireSSL)
	return nil
}

// runConsistencyChecker runs until stopped, or fails on a split brain; its
// pid file appears only once the group is consistent, so monit shows the
// checker failing while a split lasts.
func runConsistencyChecker(cfg config.Config, _ error, log *slog.Logger, _ IO) error {
	if err := ensureDirs(cfg); err != nil {
		return fmt.Errorf("creating directories: %w", err)
	}
	defer os.Remove(cfg.CheckerPIDFile())
	ctx, cancel := stopSignals()
	defer cancel()
	return newApp(cfg, log, loadTLS(cfg)).CheckConsistency(ctx, func() error {
		return process.WritePIDFile(cfg.CheckerPIDFile(), os.Getpid())
	})
}

func runStopConsistencyChecker(cfg config.Config, _ error, log *slog.Logger, _ IO) error {
	return newApp(cfg, log, tlsSet{}).Stop(cfg.CheckerPIDFile())
}

// runDNSHealthCheck is quick: consul runs it every few seconds.
func runDNSHealthCheck(cfg config.Config, _ error, log *slog.Logger, _ IO) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	a := newApp(cfg, log, loadTLS(cfg))
	a.CallTimeout = time.Second
	return a.DNSHealthCheck(ctx)
}

// runEtcdctlEnv prints shell exports for etcdctl, each keeping a value the
// caller already set (etcdctl refuses a flag that an environment variable
// also sets, so ETCDCTL_ENDPOINTS=... is how to name other endpoints).
func runEtcdctlEnv(cfg config.Config, _ error, _ *slog.Logger, io IO) error {
	for _, kv := range cfg.EtcdctlEnv() {
		k, v, _ := strings.Cut(kv, "=")
		if _, err := fmt.Fprintf(io.Stdout, "export %s=\"${%s:-%s}\"\n", k, k, v); err != nil {
			return err
		}
	}
	return nil
}
