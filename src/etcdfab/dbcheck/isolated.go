package dbcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Exit codes of the check-db command.
const (
	ExitGood    = 0
	ExitCannot  = 1 // the data could not be checked; try again
	ExitProblem = 3 // the data is bad
)

// report is what the check-db command prints on stdout, one JSON object.
type report struct {
	Result  *Result  `json:"result,omitempty"`
	Problem *Problem `json:"problem,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// MarshalJSON and UnmarshalJSON carry a Problem through the report.
func (p *Problem) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"file": p.File, "problem": p.What})
}

func (p *Problem) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	p.File, p.What = m["file"], m["problem"]
	return nil
}

// Serve runs Check for the check-db command: it prints a report on stdout
// and returns the exit code.
func Serve(dataDir string, lockTimeout time.Duration, stdout io.Writer) int {
	res, err := Check(dataDir, lockTimeout)
	var r report
	code := ExitGood
	var p *Problem
	switch {
	case errors.As(err, &p):
		r.Problem, code = p, ExitProblem
	case err != nil:
		r.Error, code = err.Error(), ExitCannot
	default:
		r.Result = &res
	}
	if err := json.NewEncoder(stdout).Encode(r); err != nil {
		return ExitCannot
	}
	return code
}

// Isolated returns a check that runs `exe check-db` in a child process, so
// that a database whose pages point outside the file (which faults the
// process reading its memory map) or that makes bbolt crash is reported as
// a Problem instead of taking etcdfab down. lockTimeout is how long the
// child waits for a lock on the file.
func Isolated(exe string, lockTimeout time.Duration) func(ctx context.Context, dataDir string) (Result, error) {
	return func(ctx context.Context, dataDir string) (Result, error) {
		var stdout, stderr bytes.Buffer
		cmd := exec.CommandContext(ctx, exe, "check-db", "-data-dir", dataDir, "-lock-timeout", lockTimeout.String())
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runErr := cmd.Run()
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("checking %s: the check did not finish: %w", DBPath(dataDir), ctx.Err())
		}
		var r report
		decodeErr := json.Unmarshal(stdout.Bytes(), &r)
		switch {
		case decodeErr == nil && r.Problem != nil:
			return Result{}, r.Problem
		case decodeErr == nil && r.Error != "":
			return Result{}, errors.New(r.Error)
		case decodeErr == nil && r.Result != nil && runErr == nil:
			return *r.Result, nil
		case crashed(runErr, stderr.String()):
			return Result{}, &Problem{DBPath(dataDir), "reading it crashed the check (" + firstLine(stderr.String()) + "): its pages point outside the file or hold garbage"}
		default:
			return Result{}, fmt.Errorf("running %s check-db on %s: %v: %s", exe, dataDir, runErr, strings.TrimSpace(stderr.String()))
		}
	}
}

// crashed tells a fault or panic of the child, which reading the
// database caused, from it failing to run at all.
func crashed(err error, stderr string) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		switch ws.Signal() {
		case syscall.SIGSEGV, syscall.SIGBUS:
			return true
		}
	}
	for _, s := range []string{"unexpected fault address", "fatal error:", "panic:", "SIGSEGV", "SIGBUS"} {
		if strings.Contains(stderr, s) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
