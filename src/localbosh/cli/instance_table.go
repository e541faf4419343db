package cli

import (
	"strconv"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// instanceColumns chooses the columns of the instances and vms tables.
type instanceColumns struct {
	processes bool // a row per process under each instance (--ps)
	details   bool // state, VM, disks, agent, index, bootstrap, ignore (--details)
	vm        bool // VM CID, VM type, active (vms)
}

func (c instanceColumns) header() []string {
	h := []string{"Instance"}
	if c.processes {
		h = append(h, "Process")
	}
	h = append(h, "Process State", "AZ", "IPs")
	switch {
	case c.details:
		h = append(h, "State", "VM CID", "VM Type", "Disk CIDs", "Agent ID", "Index", "Bootstrap", "Ignore")
	case c.vm:
		h = append(h, "VM CID", "VM Type", "Active")
	}
	return h
}

// instanceTable is one deployment's instances, sorted by name, each
// followed by its processes with --ps.
func (c instanceColumns) table(deployment, content string, instances []director.Instance, failingOnly bool) Table {
	t := Table{Title: "Deployment '" + deployment + "'", Content: content, Header: c.header()}
	var rows [][]string
	for _, inst := range instances {
		if failingOnly && inst.JobState == "running" {
			continue
		}
		t.Count++
		rows = append(rows, c.instanceRow(inst))
		if !c.processes {
			continue
		}
		for _, p := range inst.Processes {
			if failingOnly && p.State == "running" {
				continue
			}
			rows = append(rows, c.processRow(instanceName(inst), p))
		}
	}
	// By instance, then process: the instance's own row (no process) first.
	orders := []rowOrder{byColumn(0)}
	if c.processes {
		orders = append(orders, byColumn(1))
	}
	sortRows(rows, orders...)
	t.Rows = rows
	return t
}

func (c instanceColumns) instanceRow(inst director.Instance) []string {
	row := []string{instanceName(inst)}
	if c.processes {
		row = append(row, "")
	}
	row = append(row, inst.JobState, deref(inst.AZ), strings.Join(inst.IPs, "\n"))
	switch {
	case c.details:
		row = append(row, inst.State, inst.VMCID, inst.VMType, strings.Join(inst.DiskCIDs, "\n"), inst.AgentID,
			strconv.Itoa(inst.Index), strconv.FormatBool(inst.Bootstrap), strconv.FormatBool(inst.Ignore))
	case c.vm:
		active := ""
		if inst.Active != nil {
			active = strconv.FormatBool(*inst.Active)
		}
		row = append(row, inst.VMCID, inst.VMType, active)
	}
	return row
}

// processRow repeats the instance name so rows sort and --json rows stand
// alone; the text table prints it as "~".
func (c instanceColumns) processRow(instance string, p director.Process) []string {
	row := make([]string, len(c.header()))
	row[0], row[1], row[2] = instance, p.Name, p.State
	return row
}

// instanceName is "group/id", as the bosh CLI names instances.
func instanceName(inst director.Instance) string {
	name := inst.JobName
	if name == "" {
		name = "?"
	}
	if inst.ID != "" {
		name += "/" + inst.ID
	}
	return name
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
