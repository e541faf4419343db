package deployer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// The BOSH agent's part of the lifecycle, run on one instance's VM. Hooks of
// all jobs on a VM run in parallel; each hook's output is appended to
// /var/vcap/sys/log/<job>/<hook>.{stdout,stderr}.log as the agent does.

// stopEnv is what pre-stop and drain are told about the instance's future.
type stopEnv struct {
	vmNext, instanceNext, deploymentNext string // keep or delete
	diskBefore, diskAfter                int    // persistent disk MB now and next (0: going away)
	jobChange                            string // job_changed, job_shutdown
	hashChange                           string // hash_changed, hash_unchanged, hash_new
	packages                             []string
}

// stopInstance stops an instance's jobs in BOSH's order: pre-stop while
// monit still monitors the jobs (the director runs it before it asks the
// agent to drain), then the agent's drain action, which unmonitors the jobs
// and runs drain; then monit stop and post-stop. A job whose process exits
// during pre-stop is restarted by monit, as on BOSH. skipDrain (the
// director's skip_drain) skips pre-stop and the drain action, unmonitor
// included: monit stop stops the jobs.
func (d *Deployer) stopInstance(ctx context.Context, v *vm.VM, jobs []string, env stopEnv, skipDrain bool) error {
	if !skipDrain {
		hookEnv := []string{
			"BOSH_VM_NEXT_STATE=" + env.vmNext,
			"BOSH_INSTANCE_NEXT_STATE=" + env.instanceNext,
			"BOSH_DEPLOYMENT_NEXT_STATE=" + env.deploymentNext,
		}
		if err := d.runHooks(ctx, v, jobs, "pre-stop", hookEnv); err != nil {
			return err
		}
		if err := v.UnmonitorAll(ctx); err != nil {
			return fmt.Errorf("unmonitoring jobs: %w", err)
		}
		if err := d.drainAll(ctx, v, jobs, env); err != nil {
			return err
		}
	}
	if err := v.StopAll(ctx); err != nil {
		return fmt.Errorf("stopping jobs: %w", err)
	}
	return d.runHooks(ctx, v, jobs, "post-stop", nil)
}

// startInstance starts an instance's jobs and waits for them: pre-start,
// monit start, watch until running, post-start.
func (d *Deployer) startInstance(ctx context.Context, v *vm.VM, jobs []string, watch manifest.WatchWindow) error {
	if err := d.runHooks(ctx, v, jobs, "pre-start", nil); err != nil {
		return err
	}
	if err := v.Reload(ctx); err != nil {
		return fmt.Errorf("reloading monit: %w", err)
	}
	if err := v.StartAll(ctx); err != nil {
		return fmt.Errorf("starting jobs: %w", err)
	}
	if err := v.WaitRunning(ctx, watch.Min, watch.Max); err != nil {
		return err
	}
	return d.runHooks(ctx, v, jobs, "post-start", nil)
}

// applyInstance installs the instance's packages and rendered jobs, and
// its monit files, replacing what was there. It writes through the VM's
// root (vm.VM.OpenRoot): nothing a VM's process left there leads it out.
func (d *Deployer) applyInstance(v *vm.VM, di desiredInstance) error {
	root, err := v.OpenRoot()
	if err != nil {
		return err
	}
	defer root.Close()
	if err := v.RemoveJobMonits(); err != nil {
		return err
	}
	if err := resetDir(root, "jobs"); err != nil {
		return err
	}
	if err := resetDir(root, "packages"); err != nil {
		return err
	}
	installed := map[string]bool{}
	for i, j := range di.jobs {
		for _, p := range j.packages {
			if installed[p.Name] {
				continue
			}
			installed[p.Name] = true
			if err := installPackage(p.Dir, root, path.Join("packages", p.Name)); err != nil {
				return fmt.Errorf("installing package %s: %w", p.Name, err)
			}
		}
		for dest, content := range j.files {
			file := path.Join("jobs", j.name, path.Clean("/" + dest)[1:])
			mode := os.FileMode(0o644)
			if strings.HasPrefix(dest, "bin/") {
				mode = 0o755
			}
			if err := root.MkdirAll(path.Dir(file), 0o755); err != nil {
				return err
			}
			if err := root.WriteFile(file, content, mode); err != nil {
				return fmt.Errorf("installing job %s: %w", j.name, err)
			}
		}
		if len(j.monit) > 0 {
			if err := v.WriteJobMonit(i, j.name, j.monit); err != nil {
				return err
			}
		}
		if err := root.MkdirAll(path.Join("sys", "log", j.name), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// runHooks runs a lifecycle script of every job that has it, in parallel.
func (d *Deployer) runHooks(ctx context.Context, v *vm.VM, jobs []string, hook string, env []string) error {
	var wg sync.WaitGroup
	errs := make([]error, len(jobs))
	for i, job := range jobs {
		script := filepath.Join("jobs", job, "bin", hook)
		if _, err := os.Stat(filepath.Join(v.Root(), script)); err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := d.runScript(ctx, v, job, hook, []string{"/var/vcap/" + script}, env)
			switch {
			case err != nil:
				errs[i] = fmt.Errorf("running %s of job %s: %w", hook, job, err)
			case res.code != 0:
				errs[i] = fmt.Errorf("%s script of job %s failed (exit code %d); the end of its output:\n%s", hook, job, res.code, res.lastOutput())
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// scriptResult is what a job script printed and how it exited.
type scriptResult struct {
	stdout, stderr string
	code           int
}

// lastOutput is the end of each of the script's streams, for a failure
// message. They are shown apart: stdout and stderr come through separate
// pipes, so how their lines interleave is not known, and a tail of both
// mixed could lose the error a script printed last on stderr.
func (r scriptResult) lastOutput() string {
	var parts []string
	for _, stream := range []struct{ name, text string }{{"stderr", r.stderr}, {"stdout", r.stdout}} {
		if strings.TrimSpace(stream.text) != "" {
			parts = append(parts, stream.name+":\n"+tail(stream.text, 10))
		}
	}
	if len(parts) == 0 {
		return "(none)"
	}
	return strings.Join(parts, "\n")
}

// runScript runs a job's script on the VM, appending its output to the
// job's <name>.stdout.log and <name>.stderr.log, opened through the VM's
// root: a log the VM made a symlink out of its directory is refused.
func (d *Deployer) runScript(ctx context.Context, v *vm.VM, job, name string, argv, env []string) (scriptResult, error) {
	root, err := v.OpenRoot()
	if err != nil {
		return scriptResult{}, err
	}
	defer root.Close()
	logDir := path.Join("sys", "log", job)
	if err := root.MkdirAll(logDir, 0o755); err != nil {
		return scriptResult{}, fmt.Errorf("%s of job %s: the job's log directory: %w", name, job, err)
	}
	openLog := func(stream string) (*os.File, error) {
		f, err := root.OpenFile(path.Join(logDir, name+"."+stream+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("%s of job %s: its %s log (a symlink in /var/vcap must stay inside it): %w", name, job, stream, err)
		}
		return f, nil
	}
	stdoutLog, err := openLog("stdout")
	if err != nil {
		return scriptResult{}, err
	}
	defer stdoutLog.Close()
	stderrLog, err := openLog("stderr")
	if err != nil {
		return scriptResult{}, err
	}
	defer stderrLog.Close()
	var stdout, stderr bytes.Buffer
	code, err := v.Exec(ctx, vm.Cmd{Argv: argv, Env: env,
		Stdout: io.MultiWriter(stdoutLog, &stdout), Stderr: io.MultiWriter(stderrLog, &stderr)})
	return scriptResult{stdout: stdout.String(), stderr: stderr.String(), code: code}, err
}

// lockedBuffer collects a program's stdout and stderr, which are copied
// from two goroutines, in the order they arrive.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// drainAll runs every job's drain script by the drain protocol.
func (d *Deployer) drainAll(ctx context.Context, v *vm.VM, jobs []string, env stopEnv) error {
	var wg sync.WaitGroup
	errs := make([]error, len(jobs))
	for i, job := range jobs {
		if _, err := os.Stat(filepath.Join(v.Root(), "jobs", job, "bin", "drain")); err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.drainJob(ctx, v, job, env)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// drainJob runs one drain script as the BOSH agent does: with the drain
// arguments (the change, the hash change, the updated packages),
// BOSH_JOB_STATE and BOSH_JOB_NEXT_STATE; its stdout must be exactly one
// signed integer (surrounding white space aside), anything else fails the
// drain, as the agent's strconv.Atoi does; its exit code is not looked at,
// as the agent's is not. n >= 0 means wait n seconds and be done, n < 0
// means wait |n| seconds and ask again with job_check_status, which keeps
// BOSH_JOB_STATE and drops BOSH_JOB_NEXT_STATE (dynamic drain).
func (d *Deployer) drainJob(ctx context.Context, v *vm.VM, job string, env stopEnv) error {
	script := "/var/vcap/jobs/" + job + "/bin/drain"
	args := append([]string{script, env.jobChange, env.hashChange}, env.packages...)
	state := fmt.Sprintf(`BOSH_JOB_STATE={"persistent_disk":%d}`, env.diskBefore)
	vars := []string{state, fmt.Sprintf(`BOSH_JOB_NEXT_STATE={"persistent_disk":%d}`, env.diskAfter)}
	for {
		res, err := d.runScript(ctx, v, job, "drain", args, vars)
		if err != nil {
			return fmt.Errorf("running drain of job %s: %w", job, err)
		}
		n, perr := strconv.Atoi(strings.TrimSpace(res.stdout))
		if perr != nil {
			return fmt.Errorf("drain script of job %s did not return a signed integer (it printed %q and exited %d; print nothing but the integer on stdout); the end of its output:\n%s",
				job, tail(res.stdout, 3), res.code, res.lastOutput())
		}
		wait := time.Duration(max(n, -n)) * time.Second
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		if n >= 0 {
			return nil
		}
		args = []string{script, "job_check_status", "hash_unchanged"}
		vars = []string{state}
	}
}
