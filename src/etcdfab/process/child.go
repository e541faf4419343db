// Package process runs etcd as etcdfab's child and manages the pid file that
// monit and `etcdfab stop` find etcdfab by.
package process

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// Child is a running etcd process.
type Child struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start runs path with args, its output appended to out. The child gets
// SIGTERM if etcdfab dies, so etcd is never orphaned behind a stale pid.
func Start(path string, args []string, out io.Writer) (*Child, error) {
	cmd := exec.Command(path, args...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	c := &Child{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		// Linux sends Pdeathsig when the thread that started the child
		// exits, not the process, and Go ends threads that a goroutine left
		// locked (as network-namespace code in the same process does). This
		// goroutine keeps its thread until the child has exited.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		c.err = cmd.Wait()
		close(c.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("starting %s: %w", path, err)
	}
	return c, nil
}

// Pid is the child's process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Done is closed when the child has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Err is the child's exit error once Done is closed (nil for exit status 0).
func (c *Child) Err() error {
	<-c.done
	return c.err
}

// Stop asks the child to stop with SIGTERM (etcd then hands leadership over
// and syncs its data) and kills it if it has not exited within timeout. It
// reports whether the child stopped gracefully.
func (c *Child) Stop(timeout time.Duration) (graceful bool) {
	select {
	case <-c.done:
		return true
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return true
	case <-time.After(timeout):
		_ = c.cmd.Process.Kill()
		<-c.done
		return false
	}
}

// OpenLog opens path for appending, creating it if needed.
func OpenLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening log file: %w", err)
	}
	return f, nil
}
