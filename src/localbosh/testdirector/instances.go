package testdirector

import (
	"fmt"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// InstanceChanges lists how instances (format=full, as Instances reports
// them) differ from what they were before a task that must not touch them:
// an instance gone, added or on another VM or address, a job not running,
// a process that started again since (its uptime went down). None means
// untouched. Both lists are in the director's order.
func InstanceChanges(before, after []director.Instance) []string {
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
		uptime := map[string]int64{}
		for _, p := range b.Processes {
			uptime[p.Name] = p.Uptime.Secs
		}
		for _, p := range a.Processes {
			if was, ok := uptime[p.Name]; ok && p.Uptime.Secs < was {
				changes = append(changes, fmt.Sprintf("%s: process %s started again (up %d s, was up %d s)", name, p.Name, p.Uptime.Secs, was))
			}
		}
	}
	return changes
}
