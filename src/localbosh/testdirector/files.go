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
		return run(ctx, v, vm.Cmd{Argv: []string{"cat", "--", clean}})
	}
	return os.ReadFile(filepath.Join(v.Root(), filepath.FromSlash(rel)))
}

// Run runs a command inside an instance's VM (id or "<group>/<index>") to
// its end, as `bosh ssh -c` does, and returns what it printed on stdout. A
// non-zero exit is an error carrying the exit code and stderr.
func (d *Director) Run(ctx context.Context, deployment, which string, cmd vm.Cmd) ([]byte, error) {
	v, err := d.VM(ctx, deployment, which)
	if err != nil {
		return nil, err
	}
	return run(ctx, v, cmd)
}

func run(ctx context.Context, v *vm.VM, cmd vm.Cmd) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code, err := v.Exec(ctx, cmd)
	if err != nil {
		return nil, err
	}
	if code != 0 {
		return nil, fmt.Errorf("running %s in VM %s: exited %d: %s", strings.Join(cmd.Argv, " "), v.CID(), code, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// DiskDir is the host directory holding an instance's persistent disk,
// which its VM sees at /var/vcap/store. Tests read it from the host, or
// change it while the instance's jobs are stopped, as a lost, replaced or
// restored disk would.
func (d *Director) DiskDir(ctx context.Context, deployment, which string) (string, error) {
	inst, err := d.Instance(ctx, deployment, which)
	if err != nil {
		return "", err
	}
	if inst.DiskCID == nil {
		return "", fmt.Errorf("instance %s/%s of deployment %s has no persistent disk", inst.JobName, inst.ID, deployment)
	}
	return d.VMs().DiskDir(*inst.DiskCID)
}

// EmptyDisk removes everything on an instance's persistent disk, so that
// the instance finds it as a new disk that replaced a lost one: an empty
// /var/vcap/store. The instance's jobs must be stopped (`bosh stop`); a
// job process still running is an error and nothing is removed.
func (d *Director) EmptyDisk(ctx context.Context, deployment, which string) error {
	v, err := d.VM(ctx, deployment, which)
	if err != nil {
		return err
	}
	services, err := v.Summary(ctx)
	if err != nil {
		return err
	}
	for _, s := range services {
		if s.Running {
			return fmt.Errorf("emptying the disk of %s in deployment %s: process %s still runs; stop the instance first", which, deployment, s.Name)
		}
	}
	dir, err := d.DiskDir(ctx, deployment, which)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("emptying the disk of %s in deployment %s: %w", which, deployment, err)
		}
	}
	return nil
}
