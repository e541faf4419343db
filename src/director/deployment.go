package director

// DeploymentSummary is one entry of GET /deployments.
type DeploymentSummary struct {
	Name      string        `json:"name"`
	Releases  []NameVersion `json:"releases"`
	Stemcells []NameVersion `json:"stemcells"`
	// CloudConfig is "none", "outdated" or "latest".
	CloudConfig string   `json:"cloud_config"`
	Teams       []string `json:"teams"`
	// Locked reports whether a task holds the deployment's lock.
	Locked bool `json:"locked"`
}

// NameVersion names a release or stemcell version.
type NameVersion struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// DeploymentManifest is the body of GET /deployments/:name.
type DeploymentManifest struct {
	Manifest string `json:"manifest"`
}

// DeployOptions are the query parameters of POST /deployments.
type DeployOptions struct {
	Recreate bool
	// SkipDrain lists instance groups whose drain scripts are skipped; "*" means all.
	SkipDrain []string
	Fix       bool
	// Canaries and MaxInFlight override the manifest's update block: an
	// integer or a percentage such as "50%". Empty keeps the manifest's value.
	Canaries    string
	MaxInFlight string
	DryRun      bool
}

// Job states accepted by PUT /deployments/:d/jobs/:group[/:id]?state=.
const (
	JobStarted  = "started"
	JobStopped  = "stopped"
	JobDetached = "detached"
	JobRestart  = "restart"
	JobRecreate = "recreate"
)

// JobStateOptions are the query parameters and body of PUT /deployments/:d/jobs/:group[/:id].
type JobStateOptions struct {
	// State is JobStarted, JobStopped, JobRestart or JobRecreate.
	State     string
	SkipDrain bool
	Fix       bool
	// Manifest, when set, is deployed along with the state change; nil keeps
	// the deployed manifest (the bosh CLI's start/stop/restart/recreate send none).
	Manifest []byte
}

// Errand is one errand of GET /deployments/:d/errands.
type Errand struct {
	Name string `json:"name"`
}

// Variable is one variable of GET /deployments/:d/variables: the ID of the
// value the deployment uses and the variable's name.
type Variable struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Problem is one problem a cloud check scan found (GET /deployments/:d/problems).
type Problem struct {
	ID            int                 `json:"id"`
	Type          string              `json:"type"`
	Data          map[string]any      `json:"data"`
	Description   string              `json:"description"`
	Resolutions   []ProblemResolution `json:"resolutions"`
	InstanceGroup string              `json:"instance_group"`
}

// ProblemResolution is a way to resolve a problem: its name (the plan's
// key, "recreate_vm") and what it does ("Recreate VM and wait for processes to start").
type ProblemResolution struct {
	Name string `json:"name"`
	Plan string `json:"plan"`
}

// Cloud check problem types and resolutions localbosh reports.
const (
	ProblemMissingVM         = "missing_vm"
	ProblemUnresponsiveAgent = "unresponsive_agent"
	ProblemMissingDisk       = "missing_disk"

	ResolutionIgnore                = "ignore"
	ResolutionRecreateVM            = "recreate_vm"
	ResolutionRecreateVMWithoutWait = "recreate_vm_without_wait"
	ResolutionRebootVM              = "reboot_vm"
	ResolutionDeleteVM              = "delete_vm"
	ResolutionDeleteVMReference     = "delete_vm_reference"
	ResolutionDeleteDiskReference   = "delete_disk_reference"
)

// OrphanedDisk is one disk of GET /disks: a persistent disk BOSH kept when
// its instance or deployment went, or when it was replaced.
type OrphanedDisk struct {
	CID             string         `json:"disk_cid"`
	Size            int            `json:"size"`
	AZ              string         `json:"az"`
	DeploymentName  string         `json:"deployment_name"`
	InstanceName    string         `json:"instance_name"`
	CloudProperties map[string]any `json:"cloud_properties"`
	// OrphanedAt is as the director prints it: "2016-01-09 06:23:25 +0000".
	OrphanedAt string `json:"orphaned_at"`
}
