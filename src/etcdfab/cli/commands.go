package cli

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/process"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/validate"
)

// runStart runs etcd in the foreground as etcdfab's child until etcd exits
// or etcdfab is told to stop (SIGTERM or SIGINT), which it forwards.
func runStart(cfg config.Config, log *slog.Logger, _ IO) error {
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

	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	if err := a.ClearDeletingMarker(); err != nil {
		return err
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer cancel()
	startCtx, cancelStart := context.WithTimeout(ctx, cfg.StartTimeout())
	defer cancelStart()

	etcd, err := a.Start(startCtx)
	if err != nil {
		return err
	}
	select {
	case <-etcd.Done():
		return fmt.Errorf("etcd (pid %d) exited: %v", etcd.Pid(), etcd.Err())
	case <-ctx.Done():
		log.Info("stopping etcd", "pid", etcd.Pid())
		if !etcd.Stop(cfg.StopTimeout()) {
			return fmt.Errorf("etcd (pid %d) did not stop within %s and was killed", etcd.Pid(), cfg.StopTimeout())
		}
		log.Info("etcd stopped", "pid", etcd.Pid())
		return nil
	}
}

func runStop(cfg config.Config, log *slog.Logger, _ IO) error {
	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	return a.Stop()
}

func runPostStart(cfg config.Config, log *slog.Logger, _ IO) error {
	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.StartTimeout())
	defer cancel()
	return a.WaitHealthy(ctx)
}

func runPreStop(cfg config.Config, log *slog.Logger, io IO) error {
	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.StopTimeout())
	defer cancel()
	return a.PreStop(ctx, io.Getenv)
}

func runDrain(cfg config.Config, log *slog.Logger, io IO) error {
	a, err := newApp(cfg, log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.StopTimeout())
	defer cancel()
	wait, err := a.Drain(ctx, io.Getenv)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(io.Stdout, wait)
	return err
}

// runValidate checks the TLS material; the config itself was validated
// when it was loaded.
func runValidate(cfg config.Config, log *slog.Logger, _ IO) error {
	if err := validate.Certificates(cfg, time.Now()); err != nil {
		return err
	}
	log.Info("configuration and certificates are valid", "require_ssl", cfg.Etcd.RequireSSL, "peer_require_ssl", cfg.Etcd.PeerRequireSSL)
	return nil
}
