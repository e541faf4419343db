package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// startMonit checks the monitrc, starts monit inside the VM and waits until
// it answers. monit runs in the foreground under tini, detached from the
// director so it outlives it: tini is a child subreaper, so job processes
// that daemonize (a ctl script starting its program in the background) are
// reaped when they exit, as a VM's init would, instead of lingering as
// zombies that monit mistakes for running processes.
func (v *VM) startMonit(ctx context.Context) error {
	if _, err := v.monit(ctx, "-t"); err != nil {
		return fmt.Errorf("checking the monitrc of VM %s: %w", v.rec.CID, err)
	}
	code, err := v.Exec(ctx, Cmd{Argv: []string{"setsid", "--fork", "tini", "-s", "--", "monit", "-I", "-c", monitrcInVM}})
	if err != nil {
		return err
	}
	logPath := filepath.Join(v.Root(), "monit", "monit.log")
	if code != 0 {
		return fmt.Errorf("starting monit in VM %s exited %d; see %s", v.rec.CID, code, logPath)
	}
	deadline := v.m.opts.Clock.Now().Add(monitStartTimeout)
	for {
		_, err := v.monit(ctx, "status", "-B")
		if err == nil {
			return nil
		}
		if v.m.opts.Clock.Now().After(deadline) {
			return fmt.Errorf("monit in VM %s does not answer %s after starting (see %s): %w", v.rec.CID, monitStartTimeout, logPath, err)
		}
		if err := sleep(ctx, v.m.opts.Clock, pollInterval); err != nil {
			return fmt.Errorf("waiting for monit to start in VM %s: %w", v.rec.CID, err)
		}
	}
}

// monitStartTimeout bounds how long a freshly started monit may take to
// open its HTTP interface.
const monitStartTimeout = 10 * time.Second

func fileSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// logHasSince reports whether the file, from offset on, contains text.
func logHasSince(path string, offset int64, text string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		return false, err
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return false, err
	}
	return bytes.Contains(buf.Bytes(), []byte(text)), nil
}

// Reload makes monit re-read its configuration and waits until it has.
// Services a reload adds are not monitored until Start. monit reloads
// between two checks, so a reload waits for a start or stop program in
// progress (up to monit's 30 s program timeout).
func (v *VM) Reload(ctx context.Context) error {
	logPath := filepath.Join(v.Root(), "monit", "monit.log")
	offset, err := fileSize(logPath)
	if err != nil {
		return fmt.Errorf("reloading monit in VM %s: %w", v.rec.CID, err)
	}
	if _, err := v.monit(ctx, "reload"); err != nil {
		return err
	}
	// The monit CLI does not show the incarnation the BOSH agent watches;
	// the daemon logs this line once it has re-read its configuration.
	deadline := v.m.opts.Clock.Now().Add(reloadTimeout)
	for {
		done, err := logHasSince(logPath, offset, "Monit reloaded")
		if err != nil {
			return fmt.Errorf("reloading monit in VM %s: %w", v.rec.CID, err)
		}
		if done {
			if _, err := v.Summary(ctx); err == nil {
				return nil
			}
		}
		if v.m.opts.Clock.Now().After(deadline) {
			return fmt.Errorf("monit in VM %s has not reloaded after %s; see %s", v.rec.CID, reloadTimeout, logPath)
		}
		if err := sleep(ctx, v.m.opts.Clock, pollInterval); err != nil {
			return fmt.Errorf("waiting for monit to reload in VM %s (see %s): %w", v.rec.CID, logPath, err)
		}
	}
}

// reloadTimeout bounds a reload: monit reloads between checks, and a check
// may wait 30 s for each start or stop program that hangs.
const reloadTimeout = 3 * time.Minute
