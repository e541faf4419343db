package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// The ssh, logs and clean commands reach the local director's VMs directly:
// localbosh VMs are namespaces on this machine, so the CLI (as root) enters
// them itself, after asking the director which VM an instance has.

// localVMs opens the VM manager of the local director's state directory.
func localVMs(s *Session) (*vm.Manager, error) {
	stateDir := firstNonEmpty(s.Deps.Getenv(StateDirEnv), vm.DefaultStateDir)
	return vm.New(vm.Options{StateDir: stateDir})
}

// instanceVMs finds the VMs of the instances a slug names (all of the
// deployment's when slug is empty), asking the director.
func instanceVMs(ctx context.Context, s *Session, slugText string) ([]director.Instance, []*vm.VM, error) {
	var slug director.InstanceSlug
	if slugText != "" {
		var err error
		if slug, err = parseSlug(slugText, "instance"); err != nil {
			return nil, nil, err
		}
	}
	deployment, err := s.DeploymentName()
	if err != nil {
		return nil, nil, err
	}
	client, err := s.Director()
	if err != nil {
		return nil, nil, err
	}
	instances, err := client.Instances(ctx, deployment)
	if err != nil {
		return nil, nil, err
	}
	vms, err := localVMs(s)
	if err != nil {
		return nil, nil, err
	}
	var matched []director.Instance
	var found []*vm.VM
	for _, inst := range instances {
		if slug.Group != "" && inst.JobName != slug.Group {
			continue
		}
		if slug.ID != "" && slug.ID != inst.ID && slug.ID != strconv.Itoa(inst.Index) {
			continue
		}
		if inst.VMCID == "" {
			continue
		}
		v, err := vms.Get(inst.VMCID)
		if err != nil {
			return nil, nil, fmt.Errorf("instance %s/%s: VM %s is not on this machine (only the local director's VMs can be entered): %w", inst.JobName, inst.ID, inst.VMCID, err)
		}
		matched = append(matched, inst)
		found = append(found, v)
	}
	if len(found) == 0 {
		return nil, nil, fmt.Errorf("no instance with a VM matches '%s' in deployment '%s'; see `localbosh -d %s instances`", slugText, deployment, deployment)
	}
	return matched, found, nil
}
