package testdirector

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// Run runs argv as root inside the VM of a deployment's instance (id or
// "<group>/<index>") and returns its stdout; a non-zero exit is an
// *ExitError carrying stderr.
func (d *Director) Run(ctx context.Context, deployment, which string, argv ...string) (string, error) {
	v, err := d.VM(ctx, deployment, which)
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	code, err := v.Exec(ctx, vm.Cmd{Argv: argv, Stdout: &stdout, Stderr: &stderr})
	if err == nil && code != 0 {
		err = &ExitError{Argv: argv, Code: code, Stderr: stderr.String()}
	}
	return stdout.String(), err
}

// ExitError is a command that ran in a VM and exited non-zero.
type ExitError struct {
	Argv   []string
	Code   int
	Stderr string
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s exited %d: %s", strings.Join(e.Argv, " "), e.Code, strings.TrimSpace(e.Stderr))
}

// Resolve looks name up inside an instance's VM through its resolv.conf,
// as any process there does, and returns the sorted IPv4 addresses.
func (d *Director) Resolve(ctx context.Context, deployment, which, name string) ([]string, error) {
	out, err := d.Run(ctx, deployment, which, "getent", "ahostsv4", name)
	if err != nil {
		return nil, err
	}
	var addrs []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && !slices.Contains(addrs, f[0]) {
			addrs = append(addrs, f[0])
		}
	}
	slices.Sort(addrs)
	return addrs, nil
}
