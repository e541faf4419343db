package testdirector

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// Spawned is a program a test started inside a VM and left running, as an
// operator leaves a process running in a `bosh ssh` session; monit does
// not know it.
type Spawned struct {
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	output bytes.Buffer // the end of stdout and stderr, as they arrive
	code   int
	err    error
	killed bool // by Stop
}

// Spawn starts a program inside an instance's VM (id or
// "<group>/<index>") and returns at once. It runs until it exits, Stop is
// called or ctx ends; then it is killed with everything it started.
func (d *Director) Spawn(ctx context.Context, deployment, which string, cmd vm.Cmd) (*Spawned, error) {
	v, err := d.VM(ctx, deployment, which)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Spawned{cancel: cancel, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = lockedWriter{s}, lockedWriter{s}
	go func() {
		defer close(s.done)
		code, err := v.Exec(ctx, cmd)
		s.mu.Lock()
		s.code, s.err = code, err
		s.mu.Unlock()
	}()
	return s, nil
}

// Exited is closed once the program has ended.
func (s *Spawned) Exited() <-chan struct{} { return s.done }

// Output is the end of what the program printed so far, stdout and
// stderr together.
func (s *Spawned) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.output.String()
}

// Stop kills the program (and what it started) if it still runs, and waits
// for it; stopping it again does nothing. It returns nil for a program it
// killed or that exited 0, else how the program ended, with the end of its
// output.
func (s *Spawned) Stop() error {
	s.mu.Lock()
	select {
	case <-s.done:
	default:
		s.killed = true
	}
	s.mu.Unlock()
	s.cancel()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.killed:
		return nil
	case s.err != nil:
		return s.err
	case s.code != 0:
		return fmt.Errorf("exited %d: %s", s.code, strings.TrimSpace(s.output.String()))
	}
	return nil
}

// keptOutput bounds what a long-running program's output keeps: its end.
const keptOutput = 64 << 10

type lockedWriter struct{ s *Spawned }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	w.s.output.Write(p)
	if extra := w.s.output.Len() - keptOutput; extra > 0 {
		w.s.output.Next(extra)
	}
	return len(p), nil
}
