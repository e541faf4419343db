package vm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// What a VM sees of the host, set up in its mount namespace by
// isolateMountNS before its init starts (startInit):
//
//   - its own /var/vcap and /etc/resolv.conf (bound by createMountNS);
//   - the host's file system read-only, except /tmp and /var/tmp, which stay
//     the host's and writable (tests hand files to jobs through them);
//   - an empty read-only directory over the state directory (credentials,
//     other VMs' directories, disks), over DefaultStateDir and Options.Hide;
//   - a /root, /run and /dev of its own: /dev holds null, zero, full,
//     random, urandom, tty, a pts instance of its own, and shm;
//   - a /proc of its own PID namespace (mounted by its init), with sys,
//     sysrq-trigger, irq, bus and fs read-only.
//
// Its processes run without the capabilities that would undo this (mount,
// ptrace, raw devices, modules, ...; see droppedCaps), so root in a VM cannot
// unmount, remount or reach past any of it.

// writableHostDirs stay the host's, and writable, in VMs.
var writableHostDirs = []string{"/tmp", "/var/tmp"}

// droppedCaps are dropped from the bounding set of every process of a VM:
// what would let root in a VM mount, unmount or pivot (sys_admin), reach
// other processes' memory (sys_ptrace), devices and kernel memory
// (sys_rawio, mknod), files past mounts by handle (dac_read_search), load
// modules, reboot or change the clock of the host, or read its kernel log.
// What jobs need stays: root's file access, setuid/setgid for dropping to
// vcap, kill within the VM, and net_admin and net_raw for the VM's own
// network namespace (firewall rules, as on a BOSH VM).
const droppedCaps = "-sys_admin,-sys_module,-sys_rawio,-sys_ptrace,-sys_boot,-sys_time,-mknod," +
	"-dac_read_search,-syslog,-mac_admin,-mac_override,-audit_control,-audit_read,-bpf,-perfmon," +
	"-sys_pacct,-wake_alarm,-block_suspend,-linux_immutable,-checkpoint_restore,-sys_tty_config"

// dropCaps starts a command line that runs what follows without droppedCaps.
func dropCaps() []string {
	return []string{"setpriv", "--bounding-set=" + droppedCaps, "--inh-caps=-all"}
}

// hiddenMountOptions make an empty, read-only directory.
const hiddenMountOptions = "ro,nosuid,nodev,noexec,size=4k,mode=0755"

// isolateMountNS hides the host behind the VM's mounts (see above). It runs
// every mount in one shell inside the namespace, as the director, which
// keeps its capabilities.
func (m *Manager) isolateMountNS(ctx context.Context, nsFile string) error {
	var steps [][]string
	for _, d := range writableHostDirs {
		if isDir(d) {
			steps = append(steps, []string{"mount", "--bind", d, d})
		}
	}
	info, err := run(ctx, m.opts.Runner, "nsenter", "--mount="+nsFile, "--", "cat", "/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("listing mounts: %w", err)
	}
	entries, err := parseMountinfo(strings.NewReader(info))
	if err != nil {
		return err
	}
	steps = append(steps, readOnlySteps(entries)...)
	for _, d := range m.hiddenDirs() {
		steps = append(steps, []string{"mount", "-t", "tmpfs", "-o", hiddenMountOptions, "localbosh-hidden", d})
	}
	steps = append(steps,
		[]string{"mount", "-t", "tmpfs", "-o", "nosuid,nodev,mode=0700,size=64m", "localbosh-root", "/root"},
		[]string{"mount", "-t", "tmpfs", "-o", "nosuid,nodev,mode=0755,size=64m", "localbosh-run", "/run"},
	)
	steps = append(steps, devSteps()...)
	script, err := shellScript(steps)
	if err != nil {
		return err
	}
	if _, err := run(ctx, m.opts.Runner, "nsenter", "--mount="+nsFile, "--", "sh", "-c", script); err != nil {
		return err
	}
	return nil
}

// readOnlySteps remount read-only every mount the VM got from the host but
// its own and the writable ones, keeping each mount's other flags (a
// remount that left out nosuid would clear it). Only the uppermost mount at
// a point is reachable, and only it is remounted.
func readOnlySteps(entries []mountEntry) [][]string {
	top := map[string]mountEntry{}
	var points []string
	for _, e := range entries {
		if _, seen := top[e.Point]; !seen {
			points = append(points, e.Point)
		}
		top[e.Point] = e
	}
	keep := append([]string{vcapDir, resolvConf}, writableHostDirs...)
	var steps [][]string
	for _, p := range points {
		e := top[p]
		flags := strings.Split(e.Options, ",")
		if slices.Contains(flags, "ro") || slices.ContainsFunc(keep, func(k string) bool { return isUnder(p, k) }) {
			continue
		}
		opts := []string{"remount", "bind", "ro"}
		for _, f := range flags {
			switch f {
			case "nosuid", "nodev", "noexec", "noatime", "nodiratime", "relatime", "strictatime":
				opts = append(opts, f)
			}
		}
		steps = append(steps, []string{"mount", "-o", strings.Join(opts, ","), p})
	}
	return steps
}

// hiddenDirs are the existing host directories VMs must not see.
func (m *Manager) hiddenDirs() []string {
	var dirs []string
	for _, d := range append([]string{m.opts.StateDir, DefaultStateDir}, m.opts.Hide...) {
		d = filepath.Clean(d)
		if isDir(d) && !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// devSteps make the VM's /dev: the devices a program expects and nothing
// of the host's (no disks, no memory).
func devSteps() [][]string {
	steps := [][]string{{"mount", "-t", "tmpfs", "-o", "nosuid,noexec,mode=0755,size=64k", "localbosh-dev", "/dev"}}
	for _, d := range []struct{ name, major, minor string }{
		{"null", "1", "3"}, {"zero", "1", "5"}, {"full", "1", "7"},
		{"random", "1", "8"}, {"urandom", "1", "9"}, {"tty", "5", "0"},
	} {
		steps = append(steps, []string{"mknod", "-m", "0666", "/dev/" + d.name, "c", d.major, d.minor})
	}
	steps = append(steps,
		[]string{"mkdir", "/dev/pts", "/dev/shm"},
		[]string{"mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=0620,nosuid,noexec", "localbosh-pts", "/dev/pts"},
		[]string{"ln", "-s", "pts/ptmx", "/dev/ptmx"},
		[]string{"mount", "-t", "tmpfs", "-o", "nosuid,nodev,mode=1777,size=64m", "localbosh-shm", "/dev/shm"},
		[]string{"ln", "-s", "/proc/self/fd", "/dev/fd"},
		[]string{"ln", "-s", "/proc/self/fd/0", "/dev/stdin"},
		[]string{"ln", "-s", "/proc/self/fd/1", "/dev/stdout"},
		[]string{"ln", "-s", "/proc/self/fd/2", "/dev/stderr"},
	)
	return steps
}

// shellScript runs the commands one after another, stopping at the first
// that fails with a line naming it. Every word is quoted.
func shellScript(steps [][]string) (string, error) {
	var b strings.Builder
	for _, argv := range steps {
		var words []string
		for _, w := range argv {
			if strings.ContainsRune(w, 0) {
				return "", fmt.Errorf("%q cannot be passed to a shell", w)
			}
			words = append(words, shellQuote(w))
		}
		line := strings.Join(words, " ")
		fmt.Fprintf(&b, "%s || { echo %s >&2; exit 1; }\n", line, shellQuote("failed: "+strings.Join(argv, " ")))
	}
	return b.String(), nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// initScript is the VM's init, pid 1 of its PID namespace, in its mount,
// network and UTS namespaces: it names the VM, mounts the VM's /proc,
// checks the monitrc, and becomes tini running monit in the foreground
// without droppedCaps. tini, as pid 1, reaps the job processes that
// daemonize (a ctl script starting its program in the background), as a
// VM's init would, instead of leaving zombies that monit mistakes for
// running processes. $1 is the host name; $@ after it is the command line
// that drops the capabilities.
const initScript = `set -e
hostname=$1
shift
mount -t proc -o nosuid,nodev,noexec localbosh-proc /proc
echo "$hostname" > /proc/sys/kernel/hostname
for p in sys sysrq-trigger irq bus fs; do
  if [ -e "/proc/$p" ]; then
    mount --bind "/proc/$p" "/proc/$p"
    mount -o remount,bind,ro,nosuid,nodev,noexec "/proc/$p"
  fi
done
monit -t -c ` + monitrcInVM + `
exec "$@" -- tini -- monit -I -c ` + monitrcInVM + `
`
