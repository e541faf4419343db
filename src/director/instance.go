package director

// Instance is one JSON line of the result of GET
// /deployments/:d/instances?format=full or /vms?format=full.
type Instance struct {
	VMCID string `json:"vm_cid"`
	// Active is whether the VM is the instance's active one; null without a VM.
	Active *bool `json:"active"`
	// VMCreatedAt is RFC 3339, or "" without a VM.
	VMCreatedAt     string         `json:"vm_created_at"`
	CloudProperties map[string]any `json:"cloud_properties"`
	// DiskCID is null without a persistent disk.
	DiskCID  *string  `json:"disk_cid"`
	DiskCIDs []string `json:"disk_cids"`
	IPs      []string `json:"ips"`
	AgentID  string   `json:"agent_id"`
	// JobName is the instance group.
	JobName string `json:"job_name"`
	Index   int    `json:"index"`
	// JobState is "running" when all processes run; other values mean unhealthy.
	JobState string `json:"job_state"`
	// State is the desired state: started, stopped or detached.
	State     string    `json:"state"`
	VMType    string    `json:"vm_type"`
	Vitals    *Vitals   `json:"vitals"`
	Processes []Process `json:"processes"`
	// AZ is null when the instance group has no AZs.
	AZ        *string          `json:"az"`
	ID        string           `json:"id"`
	Bootstrap bool             `json:"bootstrap"`
	Ignore    bool             `json:"ignore"`
	Stemcell  InstanceStemcell `json:"stemcell"`
}

// Vitals are VM usage figures; the director sends the numbers as strings.
type Vitals struct {
	CPU  VitalsCPU    `json:"cpu"`
	Mem  VitalsMemory `json:"mem"`
	Swap VitalsMemory `json:"swap"`
	Load []string     `json:"load"`
	Disk VitalsDisks  `json:"disk"`
}

// VitalsCPU is CPU use in percent.
type VitalsCPU struct {
	Sys  string `json:"sys"`
	User string `json:"user"`
	Wait string `json:"wait"`
}

// VitalsMemory is memory or swap use.
type VitalsMemory struct {
	KB      string `json:"kb"`
	Percent string `json:"percent"`
}

// VitalsDisks are the VM's disks' use.
type VitalsDisks struct {
	System     VitalsDisk  `json:"system"`
	Ephemeral  *VitalsDisk `json:"ephemeral,omitempty"`
	Persistent *VitalsDisk `json:"persistent,omitempty"`
}

// VitalsDisk is one disk's use in percent.
type VitalsDisk struct {
	Percent      string `json:"percent"`
	InodePercent string `json:"inode_percent"`
}

// Process is one monit-supervised process of an instance.
type Process struct {
	Name   string        `json:"name"`
	State  string        `json:"state"`
	Uptime ProcessUptime `json:"uptime"`
	Mem    ProcessMemory `json:"mem"`
	CPU    ProcessCPU    `json:"cpu"`
}

// ProcessUptime is how long a process has run.
type ProcessUptime struct {
	Secs int64 `json:"secs"`
}

// ProcessMemory is a process's memory use (numbers, unlike Vitals).
type ProcessMemory struct {
	KB      int64   `json:"kb"`
	Percent float64 `json:"percent"`
}

// ProcessCPU is a process's CPU use in percent.
type ProcessCPU struct {
	Total float64 `json:"total"`
}

// InstanceStemcell names the stemcell of an instance's VM.
type InstanceStemcell struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	APIVersion int    `json:"api_version"`
}

// InstanceSummary is one entry of GET /deployments/:d/instances (without
// format=full); VM listings (/vms) leave ExpectsVM out.
type InstanceSummary struct {
	AgentID   *string `json:"agent_id"`
	CID       *string `json:"cid"`
	Job       string  `json:"job"`
	Index     int     `json:"index"`
	ID        string  `json:"id"`
	ExpectsVM *bool   `json:"expects_vm,omitempty"`
}
