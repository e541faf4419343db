package vm

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// basePath is the PATH the BOSH agent gives the scripts it runs.
const basePath = "PATH=/var/vcap/bosh/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Cmd is a program to run inside a VM.
type Cmd struct {
	Argv   []string  // program and arguments; the program is looked up in PATH
	Env    []string  // "NAME=value" entries added to the base environment (a PATH entry replaces the base PATH)
	Dir    string    // working directory inside the VM; "" means /
	User   string    // "" or "root" runs as root; otherwise a user name such as "vcap"
	Stdin  io.Reader // nil reads from /dev/null
	Stdout io.Writer // nil discards
	Stderr io.Writer // nil discards
}

// Exec runs c inside the VM's network, mount, PID and UTS namespaces,
// without the capabilities a VM's processes lack (droppedCaps), with a
// clean environment: only PATH (as the BOSH agent sets it) and c.Env. It returns
// the program's exit status; err is for a program that could not be run
// (a missing program exits 127), or ctx ending, which kills the program
// and everything it started.
func (v *VM) Exec(ctx context.Context, c Cmd) (exitCode int, err error) {
	argv, err := v.execArgv(c)
	if err != nil {
		return -1, err
	}
	code, err := v.m.opts.Runner.Run(ctx, Command{
		Argv: argv, Env: []string{basePath}, Stdin: c.Stdin, Stdout: c.Stdout, Stderr: c.Stderr,
	})
	if err != nil {
		return -1, fmt.Errorf("running %s in VM %s: %w", c.Argv[0], v.rec.CID, err)
	}
	// nsenter exits 1 when it cannot enter; tell that apart from the program.
	if code != 0 && !v.namespacesExist() {
		return -1, fmt.Errorf("running %s in VM %s: %w; delete the VM and create it again", c.Argv[0], v.rec.CID, ErrNamespacesGone)
	}
	return code, nil
}

// execArgv builds the host command line: nsenter enters the namespaces
// (forking into the PID namespace), setpriv drops the capabilities and, for
// another user, drops to it (with the user's groups), env empties the
// environment and changes into the directory inside the VM's mounts.
func (v *VM) execArgv(c Cmd) ([]string, error) {
	if len(c.Argv) == 0 || c.Argv[0] == "" {
		return nil, fmt.Errorf("running a command in VM %s: no program given", v.rec.CID)
	}
	// env(1) would take a program name with '=' for a variable.
	if strings.Contains(c.Argv[0], "=") {
		return nil, fmt.Errorf("running a command in VM %s: program %q contains '='; run it through a shell", v.rec.CID, c.Argv[0])
	}
	for _, e := range c.Env {
		if name, _, ok := strings.Cut(e, "="); !ok || name == "" {
			return nil, fmt.Errorf("running %s in VM %s: environment entry %q is not NAME=value", c.Argv[0], v.rec.CID, e)
		}
	}
	if strings.ContainsAny(c.User, ":/ \t") {
		return nil, fmt.Errorf("running %s in VM %s: %q is not a user name", c.Argv[0], v.rec.CID, c.User)
	}
	dir := c.Dir
	if dir == "" {
		dir = "/"
	}
	argv := []string{"nsenter", "--net=" + v.netnsPath(), "--mount=" + v.mountNSPath(),
		"--pid=" + v.pidNSPath(), "--uts=" + v.utsNSPath(), "--"}
	argv = append(argv, dropCaps()...)
	if c.User != "" && c.User != "root" {
		argv = append(argv, "--reuid="+c.User, "--regid="+c.User, "--init-groups")
	}
	argv = append(argv, "--", "env", "--ignore-environment", "--chdir="+dir, "--", basePath)
	return slices.Concat(argv, c.Env, c.Argv), nil
}
