package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Command is one program run on the host.
type Command struct {
	Argv   []string
	Env    []string  // nil inherits the director's environment
	Stdin  io.Reader // nil reads from /dev/null
	Stdout io.Writer // nil discards
	Stderr io.Writer // nil discards
}

// Runner runs host programs: ip, iptables, mount, nsenter, monit. Tests
// substitute a fake to check what would run without root.
type Runner interface {
	// Run runs cmd to completion. A program that ran reports its exit status
	// as exitCode with a nil error; err is for a program that could not be
	// started or was stopped because ctx ended.
	Run(ctx context.Context, cmd Command) (exitCode int, err error)
}

// ExecRunner runs programs with os/exec, each in its own process group so
// that cancelling ctx stops the program and everything it started.
type ExecRunner struct{}

// outputGrace is how long Run waits for output after the program exits:
// a daemon started by a script may keep the script's stdout open forever.
const outputGrace = 2 * time.Second

// Run implements Runner.
func (ExecRunner) Run(ctx context.Context, c Command) (int, error) {
	if len(c.Argv) == 0 {
		return -1, errors.New("running a command: empty argv")
	}
	cmd := exec.CommandContext(ctx, c.Argv[0], c.Argv[1:]...)
	cmd.Env = c.Env
	cmd.Stdin = c.Stdin
	cmd.Stdout = c.Stdout
	cmd.Stderr = c.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = outputGrace
	err := cmd.Run()
	if err != nil && ctx.Err() != nil {
		return -1, fmt.Errorf("running %s: %w", c.Argv[0], ctx.Err())
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil, errors.Is(err, exec.ErrWaitDelay):
		return cmd.ProcessState.ExitCode(), nil
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), nil
	default:
		return -1, fmt.Errorf("running %s: %w", c.Argv[0], err)
	}
}

// run runs a host program that must succeed and returns its stdout. The error
// carries the command line and what the program printed on stderr.
func run(ctx context.Context, r Runner, argv ...string) (string, error) {
	out, code, err := runStatus(ctx, r, argv...)
	if err != nil {
		return "", err
	}
	if code != 0 {
		return "", &CommandError{Argv: argv, ExitCode: code, Output: out.stderr}
	}
	return out.stdout, nil
}

type output struct{ stdout, stderr string }

// runStatus runs a host program whose exit status is an answer (iptables -C).
func runStatus(ctx context.Context, r Runner, argv ...string) (output, int, error) {
	var stdout, stderr bytes.Buffer
	code, err := r.Run(ctx, Command{Argv: argv, Stdout: &stdout, Stderr: &stderr})
	return output{stdout.String(), stderr.String()}, code, err
}

// CommandError is a host program that exited non-zero.
type CommandError struct {
	Argv     []string
	ExitCode int
	Output   string // what the program printed on stderr
}

func (e *CommandError) Error() string {
	return fmt.Sprintf("`%s` exited %d: %s", strings.Join(e.Argv, " "), e.ExitCode, strings.TrimSpace(e.Output))
}
