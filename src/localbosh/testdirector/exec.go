package testdirector

import (
	"context"
	"slices"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// Resolve looks name up inside an instance's VM through its resolv.conf,
// as any process there does, and returns the sorted IPv4 addresses.
func (d *Director) Resolve(ctx context.Context, deployment, which, name string) ([]string, error) {
	out, err := d.Run(ctx, deployment, which, vm.Cmd{Argv: []string{"getent", "ahostsv4", name}})
	if err != nil {
		return nil, err
	}
	var addrs []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(line); len(f) > 0 && !slices.Contains(addrs, f[0]) {
			addrs = append(addrs, f[0])
		}
	}
	slices.Sort(addrs)
	return addrs, nil
}
