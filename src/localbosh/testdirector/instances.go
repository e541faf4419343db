package testdirector

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// InstanceState is an instance as the director reports it (format=full),
// with the PID monit reports for each of its job processes (0: not
// running). The director's process uptimes are in minutes; a PID tells a
// process that started again.
type InstanceState struct {
	director.Instance
	PIDs map[string]int
}

// InstanceStates reports the instances of a deployment, in the director's
// order, with their processes' PIDs.
func (d *Director) InstanceStates(ctx context.Context, deployment string) ([]InstanceState, error) {
	instances, err := d.client.Instances(ctx, deployment)
	if err != nil {
		return nil, err
	}
	states := make([]InstanceState, len(instances))
	for i, inst := range instances {
		states[i] = InstanceState{Instance: inst, PIDs: map[string]int{}}
		if inst.VMCID == "" {
			continue
		}
		v, err := d.VMs().Get(inst.VMCID)
		if err != nil {
			return nil, err
		}
		services, err := v.Summary(ctx)
		if err != nil {
			return nil, err
		}
		for _, s := range services {
			states[i].PIDs[s.Name] = s.PID
		}
	}
	return states, nil
}

// InstanceChanges lists how instances differ from what they were before a
// task that must not touch them: an instance gone, added, or on another VM
// or address, a job not running, a process not running or started again
// (another PID). None means untouched.
func InstanceChanges(before, after []InstanceState) []string {
	var changes []string
	if len(after) != len(before) {
		changes = append(changes, fmt.Sprintf("%d instances before, %d after", len(before), len(after)))
	}
	for i := range min(len(before), len(after)) {
		b, a := before[i], after[i]
		name := fmt.Sprintf("%s/%d", b.JobName, b.Index)
		switch {
		case a.ID != b.ID:
			changes = append(changes, fmt.Sprintf("%s: instance %s, was %s", name, a.ID, b.ID))
			continue
		case a.VMCID != b.VMCID:
			changes = append(changes, fmt.Sprintf("%s: VM %s, was %s", name, a.VMCID, b.VMCID))
		case !slices.Equal(a.IPs, b.IPs):
			changes = append(changes, fmt.Sprintf("%s: addresses %v, were %v", name, a.IPs, b.IPs))
		}
		if a.JobState != "running" {
			changes = append(changes, fmt.Sprintf("%s: job %s", name, a.JobState))
		}
		processes := maps.Clone(b.PIDs)
		maps.Copy(processes, a.PIDs)
		for _, process := range slices.Sorted(maps.Keys(processes)) {
			if was, is := b.PIDs[process], a.PIDs[process]; is != was {
				changes = append(changes, fmt.Sprintf("%s: process %s has pid %d, had %d", name, process, is, was))
			}
		}
	}
	return changes
}
