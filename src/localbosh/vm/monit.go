package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
)

// AllServices names, in Start, Stop and Unmonitor, every service of the
// vcap group: the job processes, as the BOSH agent sees them.
const AllServices = "all"

// jobGroup is the monit group BOSH job processes belong to.
const jobGroup = "vcap"

// Start asks monit to start a service, or with AllServices every job
// service. It returns once monit has the request; WaitRunning waits for
// the processes.
func (v *VM) Start(ctx context.Context, service string) error {
	return v.action(ctx, "start", service)
}

// StartAll is Start(ctx, AllServices).
func (v *VM) StartAll(ctx context.Context) error { return v.Start(ctx, AllServices) }

// Stop asks monit to stop a service (or with AllServices every job service)
// and waits until monit has run the stop program and no longer monitors
// it. A service unmonitored earlier (Unmonitor) whose process still runs is
// stopped too, as the BOSH agent's monit does; one whose process is gone
// stays stopped. As with monit itself, a stop program that fails leaves
// its process running, unmonitored; Delete kills it.
func (v *VM) Stop(ctx context.Context, service string) error {
	if err := v.checkService("stop", service); err != nil {
		return err
	}
	if err := v.remonitorLiveServices(ctx, service); err != nil {
		return err
	}
	if err := v.action(ctx, "stop", service); err != nil {
		return err
	}
	return v.waitServices(ctx, service, ServiceStatus.stopped)
}

// StopAll is Stop(ctx, AllServices).
func (v *VM) StopAll(ctx context.Context) error { return v.Stop(ctx, AllServices) }

// Unmonitor tells monit to stop watching a service (or with AllServices
// every job service) without stopping it, so that drain scripts can stop
// processes without monit restarting them; it waits until monit has.
func (v *VM) Unmonitor(ctx context.Context, service string) error {
	if err := v.action(ctx, "unmonitor", service); err != nil {
		return err
	}
	return v.waitServices(ctx, service, ServiceStatus.stopped)
}

// UnmonitorAll is Unmonitor(ctx, AllServices).
func (v *VM) UnmonitorAll(ctx context.Context) error { return v.Unmonitor(ctx, AllServices) }

// Summary reports the job services: those in monit group vcap, as the BOSH
// agent reports them.
func (v *VM) Summary(ctx context.Context) ([]ServiceStatus, error) {
	out, err := v.monit(ctx, "-g", jobGroup, "status", "-B")
	if err != nil {
		if isUnknownGroup(err) {
			return nil, nil
		}
		return nil, err
	}
	services, err := parseMonitStatus(out)
	if err != nil {
		return nil, fmt.Errorf("VM %s: %w", v.rec.CID, err)
	}
	return services, nil
}

// action runs a monit action on one service or on the vcap group.
func (v *VM) action(ctx context.Context, verb, service string) error {
	if err := v.checkService(verb, service); err != nil {
		return err
	}
	args := []string{verb, service}
	if service == AllServices {
		args = []string{"-g", jobGroup, verb}
	}
	_, err := v.monit(ctx, args...)
	if service == AllServices && isUnknownGroup(err) {
		return nil // no job services: nothing to do
	}
	return err
}

// checkService rejects names monit's command line would misread.
func (v *VM) checkService(verb, service string) error {
	if service == "" || strings.ContainsAny(service, " \t\n") {
		return fmt.Errorf("monit %s in VM %s: %q is not a service name", verb, v.rec.CID, service)
	}
	return nil
}

// waitServices polls until done holds for the named service, or for every
// job service (AllServices), or for every service at all ("").
func (v *VM) waitServices(ctx context.Context, service string, done func(ServiceStatus) bool) error {
	var last []ServiceStatus
	for {
		services, err := v.statusOf(ctx, service)
		if err != nil {
			return err
		}
		last = services
		if allHold(services, done) {
			return nil
		}
		if err := sleep(ctx, v.m.opts.Clock, pollInterval); err != nil {
			return fmt.Errorf("waiting for monit in VM %s: %w; services: %s", v.rec.CID, err, describeServices(last))
		}
	}
}

// statusOf reads the status of one service, the job services (AllServices)
// or all services ("").
func (v *VM) statusOf(ctx context.Context, service string) ([]ServiceStatus, error) {
	switch service {
	case AllServices:
		return v.Summary(ctx)
	case "":
		out, err := v.monit(ctx, "status", "-B")
		if err != nil {
			return nil, err
		}
		return parseMonitStatus(out)
	default:
		out, err := v.monit(ctx, "status", service, "-B")
		if err != nil {
			return nil, err
		}
		return parseMonitStatus(out)
	}
}

func allHold(services []ServiceStatus, cond func(ServiceStatus) bool) bool {
	for _, s := range services {
		if !cond(s) {
			return false
		}
	}
	return true
}

// describeServices is "etcd (Execution failed), consul (OK)".
func describeServices(services []ServiceStatus) string {
	parts := make([]string, len(services))
	for i, s := range services {
		parts[i] = fmt.Sprintf("%s (%s)", s.Name, s.Status)
	}
	return strings.Join(parts, ", ")
}

// monit runs the monit CLI inside the VM, which talks to the VM's monit
// daemon on the VM's 127.0.0.1:2822, and returns what it printed.
func (v *VM) monit(ctx context.Context, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	argv := append([]string{"monit", "-c", monitrcInVM}, args...)
	code, err := v.Exec(ctx, Cmd{Argv: argv, Stdout: &stdout, Stderr: &stderr})
	if err != nil {
		return "", err
	}
	if code != 0 {
		return "", &MonitError{CID: v.rec.CID, Args: args, ExitCode: code,
			Output: strings.TrimSpace(stderr.String() + " " + stdout.String())}
	}
	return stdout.String(), nil
}

// MonitError is a monit CLI command that failed inside a VM.
type MonitError struct {
	CID      string
	Args     []string
	ExitCode int
	Output   string
}

func (e *MonitError) Error() string {
	return fmt.Sprintf("`monit %s` in VM %s exited %d: %s (monit's log is /var/vcap/monit/monit.log in the VM)",
		strings.Join(e.Args, " "), e.CID, e.ExitCode, e.Output)
}

// isUnknownGroup recognises monit refusing a group no service belongs to:
// "Group 'vcap' not found" (actions) or "Service group 'vcap' not found"
// (status).
func isUnknownGroup(err error) bool {
	var me *MonitError
	return errors.As(err, &me) && strings.Contains(strings.ToLower(me.Output), "group '"+jobGroup+"' not found")
}
