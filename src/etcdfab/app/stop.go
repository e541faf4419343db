package app

import (
	"fmt"
	"os"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/process"
)

// Stop stops the etcdfab process whose pid pidFile holds gracefully: for
// `etcdfab start`, that stops its etcd, keeping the data (etcd hands
// leadership over on SIGTERM before it exits). A process that outlives the
// stop timeout is killed.
func (a *App) Stop(pidFile string) error {
	pid, ok, err := process.ReadPIDFile(pidFile)
	if err != nil {
		return err
	}
	if !ok {
		a.log.Info("no pid file; nothing to stop", "pid_file", pidFile)
		return nil
	}
	graceful, err := process.StopPID(pid, a.cfg.StopTimeout())
	if err != nil {
		return fmt.Errorf("stopping etcdfab (pid %d from %s): %w", pid, pidFile, err)
	}
	if !graceful {
		a.log.Warn("the process did not stop within the stop timeout and was killed", "pid", pid, "timeout", a.cfg.StopTimeout().String())
	} else {
		a.log.Info("stopped", "pid", pid, "pid_file", pidFile)
	}
	if err := os.Remove(pidFile); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("removing pid file: %w", err)
	}
	return nil
}
