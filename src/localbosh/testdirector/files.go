package testdirector

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// Instance finds one instance of a deployment by id, or by "<group>/<index>".
func (d *Director) Instance(ctx context.Context, deployment, which string) (director.Instance, error) {
	instances, err := d.client.Instances(ctx, deployment)
	if err != nil {
		return director.Instance{}, err
	}
	for _, inst := range instances {
		if inst.ID == which || fmt.Sprintf("%s/%d", inst.JobName, inst.Index) == which {
			return inst, nil
		}
	}
	return director.Instance{}, fmt.Errorf("deployment %s has no instance %q (give an id or <group>/<index>)", deployment, which)
}

// VM is the VM of a deployment's instance (id or "<group>/<index>").
func (d *Director) VM(ctx context.Context, deployment, which string) (*vm.VM, error) {
	inst, err := d.Instance(ctx, deployment, which)
	if err != nil {
		return nil, err
	}
	if inst.VMCID == "" {
		return nil, fmt.Errorf("instance %s/%s of deployment %s has no VM", inst.JobName, inst.ID, deployment)
	}
	return d.VMs().Get(inst.VMCID)
}

// ReadFile reads a file of an instance's VM, given by its path inside the
// VM under /var/vcap. Files under /var/vcap/store (the persistent disk,
// mounted inside the VM only) are read inside the VM; the rest from the
// VM's directory on the host.
func (d *Director) ReadFile(ctx context.Context, deployment, which, file string) ([]byte, error) {
	v, err := d.VM(ctx, deployment, which)
	if err != nil {
		return nil, err
	}
	clean := path.Clean(file)
	rel, ok := strings.CutPrefix(clean, "/var/vcap/")
	if !ok {
		return nil, fmt.Errorf("reading %s of instance %s: only files under /var/vcap are the VM's own", file, which)
	}
	if rel == "store" || strings.HasPrefix(rel, "store/") {
		var stdout, stderr bytes.Buffer
		code, err := v.Exec(ctx, vm.Cmd{Argv: []string{"cat", "--", clean}, Stdout: &stdout, Stderr: &stderr})
		if err != nil {
			return nil, err
		}
		if code != 0 {
			return nil, fmt.Errorf("reading %s in VM %s: cat exited %d: %s", clean, v.CID(), code, strings.TrimSpace(stderr.String()))
		}
		return stdout.Bytes(), nil
	}
	return os.ReadFile(filepath.Join(v.Root(), filepath.FromSlash(rel)))
}
