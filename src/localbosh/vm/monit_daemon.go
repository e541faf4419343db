package vm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// startInit starts the VM's init (initScript) in a new PID and UTS
// namespace, bound to the VM's files so that commands can enter them
// (Exec), inside its network and mount namespaces, and waits until monit
// answers. It is detached from the director (setsid) so that it outlives
// it; what it prints goes to init.log in the VM's directory on the host.
func (v *VM) startInit(ctx context.Context) error {
	logPath := v.m.paths.initLog(v.rec.CID)
	initLog, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("starting the init of VM %s: %w", v.rec.CID, err)
	}
	defer initLog.Close()
	argv := slices.Concat(
		[]string{"setsid", "--fork", "unshare", "--pid=" + v.pidNSPath(), "--uts=" + v.utsNSPath(), "--fork", "--",
			"nsenter", "--net=" + v.netnsPath(), "--mount=" + v.mountNSPath(), "--",
			"env", "--ignore-environment", basePath, "sh", "-c", initScript, "init", v.rec.Hostname},
		dropCaps())
	// The log file itself, not a pipe: the init keeps it open, and a pipe
	// would make Run wait for it.
	code, err := v.m.opts.Runner.Run(ctx, Command{Argv: argv, Env: []string{basePath}, Stdout: initLog, Stderr: initLog})
	if err != nil {
		return fmt.Errorf("starting monit in VM %s: %w", v.rec.CID, err)
	}
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
			return fmt.Errorf("monit in VM %s does not answer %s after starting (see %s and %s): %w%s",
				v.rec.CID, monitStartTimeout, logPath, filepath.Join(v.Root(), monitLog), err, logTail(logPath))
		}
		if err := sleep(ctx, v.m.opts.Clock, pollInterval); err != nil {
			return fmt.Errorf("waiting for monit to start in VM %s: %w", v.rec.CID, err)
		}
	}
}

// logTail is the end of a log, to quote in an error; "" if it is empty.
func logTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil || len(bytes.TrimSpace(data)) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	return "; the log ends:\n" + strings.Join(lines[max(0, len(lines)-10):], "\n")
}

// monitStartTimeout bounds how long a freshly started monit may take to
// open its HTTP interface.
const monitStartTimeout = 10 * time.Second

// monitLog is monit's log in a VM's root.
const monitLog = "monit/monit.log"

// maxLogRead bounds what logHasSince reads of a log a VM's processes can fill.
const maxLogRead = 64 << 20

func fileSize(root *os.Root, name string) (int64, error) {
	st, err := root.Stat(name)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// logHasSince reports whether the file, from offset on, contains text.
func logHasSince(root *os.Root, name string, offset int64, text string) (bool, error) {
	f, err := root.Open(name)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, 0); err != nil {
		return false, err
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxLogRead)); err != nil {
		return false, err
	}
	return bytes.Contains(buf.Bytes(), []byte(text)), nil
}

// Reload makes monit re-read its configuration and waits until it has.
// Services a reload adds are not monitored until Start. monit reloads
// between two checks, so a reload waits for a start or stop program in
// progress (up to monit's 30 s program timeout).
func (v *VM) Reload(ctx context.Context) error {
	logPath := filepath.Join(v.Root(), monitLog)
	root, err := v.OpenRoot()
	if err != nil {
		return err
	}
	defer root.Close()
	offset, err := fileSize(root, monitLog)
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
		done, err := logHasSince(root, monitLog, offset, "Monit reloaded")
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
