package vm

import (
	"context"
	"fmt"
	"time"
)

// WaitRunning waits for the job services to run, as the BOSH director
// watches an instance after starting it (update_watch_time /
// canary_watch_time "min-max"): it sleeps minWait, then checks every
// (maxWait-minWait)/9, clamped to 1-15 s, until all job services are running or
// maxWait has passed. It returns a *NotRunningError naming the services that
// are not running. A VM without job services is running.
func (v *VM) WaitRunning(ctx context.Context, minWait, maxWait time.Duration) error {
	if maxWait < minWait {
		return fmt.Errorf("waiting for VM %s: watch time %s-%s: the maximum is below the minimum; fix update_watch_time or canary_watch_time", v.rec.CID, minWait, maxWait)
	}
	clock := v.m.opts.Clock
	step := watchStep(minWait, maxWait)
	waited := minWait
	if err := sleep(ctx, clock, minWait); err != nil {
		return fmt.Errorf("waiting for VM %s to run: %w", v.rec.CID, err)
	}
	for {
		services, err := v.Summary(ctx)
		if err == nil && allHold(services, func(s ServiceStatus) bool { return s.Running }) {
			return nil
		}
		if waited+step > maxWait {
			return &NotRunningError{CID: v.rec.CID, Waited: waited, Services: notRunning(services), Err: err}
		}
		if err := sleep(ctx, clock, step); err != nil {
			return fmt.Errorf("waiting for VM %s to run: %w", v.rec.CID, err)
		}
		waited += step
	}
}

// watchStep is the BOSH director's interval between checks.
func watchStep(minWait, maxWait time.Duration) time.Duration {
	return min(max((maxWait-minWait)/9, time.Second), 15*time.Second)
}

func notRunning(services []ServiceStatus) []ServiceStatus {
	var out []ServiceStatus
	for _, s := range services {
		if !s.Running {
			out = append(out, s)
		}
	}
	return out
}

// NotRunningError is a VM whose job services did not all run within the
// watch time.
type NotRunningError struct {
	CID      string
	Waited   time.Duration
	Services []ServiceStatus // the services not running, with monit's status
	Err      error           // why monit could not be asked, if it could not
}

func (e *NotRunningError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("VM %s: job services not known to run after %s: %v", e.CID, e.Waited, e.Err)
	}
	return fmt.Sprintf("VM %s: job services not running after %s: %s; see /var/vcap/sys/log and /var/vcap/monit/monit.log in the VM",
		e.CID, e.Waited, describeServices(e.Services))
}

func (e *NotRunningError) Unwrap() error { return e.Err }
