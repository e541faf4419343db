package vm

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// fakeRunner records the commands it is asked to run and answers them with
// respond (exit 0 and no output when respond is nil).
type fakeRunner struct {
	mu      sync.Mutex
	calls   [][]string
	respond func(argv []string) (stdout string, exitCode int)
}

func (f *fakeRunner) Run(_ context.Context, c Command) (int, error) {
	f.mu.Lock()
	f.calls = append(f.calls, c.Argv)
	respond := f.respond
	f.mu.Unlock()
	if respond == nil {
		return 0, nil
	}
	out, code := respond(c.Argv)
	if c.Stdout != nil {
		_, _ = io.WriteString(c.Stdout, out)
	}
	return code, nil
}

// commandLines are the recorded commands, each joined with spaces.
func (f *fakeRunner) commandLines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	lines := make([]string, len(f.calls))
	for i, c := range f.calls {
		lines[i] = strings.Join(c, " ")
	}
	return lines
}

// fakeClock never blocks: After fires at once and moves the clock on, and
// the waits are recorded.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	onSleep func(n int) // called with the number of waits so far, if set
}

func newFakeClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	n, now, onSleep := len(c.sleeps), c.now, c.onSleep
	c.mu.Unlock()
	if onSleep != nil {
		onSleep(n)
	}
	ch := make(chan time.Time, 1)
	ch <- now
	return ch
}

func (c *fakeClock) recordedSleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// monitCommand returns the monit arguments of a command the VM runs
// through nsenter/env, or nil for other commands.
func monitCommand(argv []string) []string {
	for i, a := range argv {
		if a == "monit" && i+2 < len(argv) && argv[i+1] == "-c" {
			return argv[i+3:]
		}
	}
	return nil
}

// newTestVM is a VM of a Manager whose commands go to runner. Plain files
// under stateDir stand in for its namespace files, so nothing on the host
// outside stateDir is touched.
func newTestVM(stateDir string, runner Runner, clock Clock) *VM {
	m, err := New(Options{StateDir: stateDir, Prefix: "lbunit", Bridge: "lbunit0", Runner: runner, Clock: clock})
	if err != nil {
		panic(err)
	}
	m.paths.netnsDir = filepath.Join(stateDir, "netns")
	n := namesFor("lbunit", "vm-1")
	v := &VM{m: m, rec: record{CID: "vm-1", NetNS: n.NetNS, Veth: n.Veth}}
	for _, p := range v.namespacePaths() {
		mustWrite(p, "")
	}
	if err := os.MkdirAll(v.jobMonitDir(), 0o700); err != nil {
		panic(err)
	}
	return v
}

func mustWrite(path, content string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		panic(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		panic(err)
	}
}
