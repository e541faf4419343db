package deployer

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// Instances reports every instance of a deployment in BOSH's format=full
// shape, with its processes as the VM's monit reports them.
func (d *Deployer) Instances(ctx context.Context, log api.TaskLog, deployment string) ([]director.Instance, error) {
	rec, err := d.existingRecord(deployment)
	if err != nil {
		return nil, err
	}
	m, _ := manifest.ParseManifest([]byte(rec.Manifest))
	order := map[string]int{}
	for i, g := range m.InstanceGroups {
		order[g.Name] = i
	}
	states := slices.Clone(rec.State.Instances)
	slices.SortFunc(states, func(a, b manifest.InstanceState) int {
		return cmp.Or(cmp.Compare(order[a.Group], order[b.Group]), cmp.Compare(a.Index, b.Index))
	})
	out := make([]director.Instance, 0, len(states))
	for _, st := range states {
		g, _ := m.InstanceGroup(st.Group)
		out = append(out, d.describeInstance(ctx, st, g))
	}
	return out, nil
}

func (d *Deployer) describeInstance(ctx context.Context, st manifest.InstanceState, g manifest.InstanceGroup) director.Instance {
	inst := director.Instance{
		JobName: st.Group, Index: st.Index, ID: st.ID, Bootstrap: st.Bootstrap, State: cmp.Or(st.State, stateStarted),
		VMType: g.VMType, CloudProperties: map[string]any{}, DiskCIDs: []string{}, IPs: []string{}, Processes: []director.Process{},
		Stemcell: director.InstanceStemcell{Name: Stemcell.Name, Version: Stemcell.Version, APIVersion: Stemcell.APIVersion},
	}
	if st.AZ != "" {
		inst.AZ = &st.AZ
	}
	for _, ip := range st.Networks {
		inst.IPs = append(inst.IPs, ip.String())
	}
	slices.Sort(inst.IPs)
	if st.DiskCID != "" {
		inst.DiskCID = &st.DiskCID
		inst.DiskCIDs = []string{st.DiskCID}
	}
	v, err := d.vms.Get(st.VMCID)
	if st.VMCID == "" || err != nil {
		return inst
	}
	active := true
	inst.VMCID, inst.AgentID, inst.Active = v.CID(), v.CID(), &active
	inst.VMCreatedAt = v.CreatedAt().UTC().Format(time.RFC3339)
	services, err := v.Summary(ctx)
	if err != nil {
		inst.JobState = "unresponsive agent"
		return inst
	}
	inst.JobState = jobState(services, inst.State)
	inst.Vitals = d.vitals(v, services, st.DiskCID)
	for _, s := range services {
		inst.Processes = append(inst.Processes, director.Process{
			Name: s.Name, State: processState(s),
			Uptime: director.ProcessUptime{Secs: int64(s.Uptime.Seconds())},
			Mem:    director.ProcessMemory{KB: int64(s.MemoryKB), Percent: s.MemoryPercent},
			CPU:    director.ProcessCPU{Total: s.CPUPercent},
		})
	}
	return inst
}

// jobState summarises an instance's processes as the BOSH agent does.
func jobState(services []vm.ServiceStatus, desired string) string {
	running := 0
	for _, s := range services {
		if s.Running {
			running++
		}
	}
	switch {
	case running == len(services):
		return "running"
	case running == 0 && desired == stateStopped:
		return "stopped"
	default:
		return "failing"
	}
}

func processState(s vm.ServiceStatus) string {
	if s.Running {
		return "running"
	}
	if s.Monitoring == "Not monitored" {
		return "unknown"
	}
	return "failing"
}
