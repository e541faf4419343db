package api

import (
	"context"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// Backend does the work behind the API: it stores releases and deploys. The
// server owns everything BOSH clients can observe of the protocol (routes,
// auth, tasks, their queueing and output files, configs); the Backend only
// answers questions and performs task bodies.
//
// Methods that run inside a task receive the task's TaskLog, for event and
// debug output; their ctx is cancelled when the server stops. A returned
// *director.Error keeps its code: synchronously it becomes the HTTP error
// response, inside a task the task's failure event. Any other error is a
// generic director error (code 100). Methods may be called concurrently,
// except that the server never runs two tasks of one deployment at a time.
type Backend interface {
	// Releases lists the uploaded releases.
	Releases(ctx context.Context) ([]director.Release, error)
	// UploadRelease imports the release tarball at path (removed after the
	// call returns) and returns the task result, "Created release '<n>/<v>'".
	UploadRelease(ctx context.Context, log TaskLog, path string) (string, error)
	// Stemcells lists the stemcells instances run on (localbosh may report
	// none, or one that stands for its VMs).
	Stemcells(ctx context.Context) ([]director.Stemcell, error)

	// Deployments lists the deployments.
	Deployments(ctx context.Context) ([]director.DeploymentSummary, error)
	// Manifest returns a deployment's last deployed manifest, or
	// director.DeploymentNotFound(name) when there is no such deployment.
	// The server uses it to answer 404 before starting tasks on a deployment.
	Manifest(ctx context.Context, deployment string) ([]byte, error)
	// Deploy creates or updates a deployment.
	Deploy(ctx context.Context, log TaskLog, req DeployRequest) error
	// DeleteDeployment deletes a deployment and all its instances; force
	// carries on past errors.
	DeleteDeployment(ctx context.Context, log TaskLog, deployment string, force bool) error
	// Instances reports every instance of a deployment, with a VM or not
	// (VMCID empty); the server filters for /vms. It may be called while a
	// deploy of that deployment runs, its first one included: it then reports
	// what exists so far.
	Instances(ctx context.Context, log TaskLog, deployment string) ([]director.Instance, error)
	// RunErrand runs an errand and returns one result per instance it ran on,
	// also when it fails part way.
	RunErrand(ctx context.Context, log TaskLog, req ErrandRequest) ([]director.ErrandResult, error)
	// ChangeJobState starts, stops, restarts or recreates instances.
	ChangeJobState(ctx context.Context, log TaskLog, req JobStateRequest) error

	// UploadStemcell imports the stemcell tarball at path (a light
	// stemcell's included; removed after the call returns) and returns the
	// task result, "/stemcells/<name>/<version>".
	UploadStemcell(ctx context.Context, log TaskLog, path string) (string, error)
	// Errands lists a deployment's errands: its errand instance groups and
	// its jobs that have a bin/run.
	Errands(ctx context.Context, deployment string) ([]director.Errand, error)
	// Variables lists the variables a deployment's manifest declares.
	Variables(ctx context.Context, deployment string) ([]director.Variable, error)
	// ScanProblems looks for the problems of a deployment's instances that
	// a cloud check reports (IDs are the server's to give).
	ScanProblems(ctx context.Context, log TaskLog, deployment string) ([]director.Problem, error)
	// ResolveProblems applies a resolution to each problem, then runs
	// post-deploy if any VM was recreated; it returns how many it resolved.
	ResolveProblems(ctx context.Context, log TaskLog, deployment string, resolutions []ProblemResolution) (int, error)

	// OrphanedDisks lists the persistent disks kept when their instance or
	// deployment went (bosh disks --orphaned).
	OrphanedDisks(ctx context.Context) ([]director.OrphanedDisk, error)
	// DeleteOrphanedDisk deletes an orphaned disk (bosh delete-disk).
	DeleteOrphanedDisk(ctx context.Context, log TaskLog, cid string) error
	// AttachDisk gives an orphaned disk to a stopped or detached instance
	// (bosh attach-disk) and returns the task result.
	AttachDisk(ctx context.Context, log TaskLog, deployment, group, instanceID, cid string) (string, error)
}

// ProblemResolution is a problem and the resolution an operator chose.
type ProblemResolution struct {
	Problem    director.Problem
	Resolution string
}

// TaskLog is the output of the running task that a Backend writes to.
// Writes never fail the task: a write error is logged by the server.
type TaskLog interface {
	// Event appends one line to the event output; a zero Time is set to now.
	// Stage helps report the usual started/finished/failed sequence.
	Event(e director.TaskEvent)
	// Warning appends a {"type":"warning"} line to the event output.
	Warning(message string)
	// Debugf appends a line of free text to the debug output.
	Debugf(format string, args ...any)
	// Checkpoint returns an error (ErrTaskCancelled) once the task was
	// asked to cancel: a task body calls it where it can stop cleanly, as
	// the director's tasks check between instances. Stage.Run calls it
	// before each item.
	Checkpoint() error
}

// DeployRequest is one POST /deployments.
type DeployRequest struct {
	// Name is the manifest's name (checked present by the server).
	Name     string
	Manifest []byte
	// CloudConfigs are the versions of every named cloud config the deploy
	// uses (the latest, or those of the deploy's context), oldest name first.
	CloudConfigs []director.ConfigVersion
	// RuntimeConfigs likewise: their releases and addons are deployed with
	// the manifest.
	RuntimeConfigs []director.ConfigVersion
	Options        director.DeployOptions
}

// ErrandRequest is one POST /deployments/:d/errands/:e/runs.
type ErrandRequest struct {
	Deployment string
	Errand     string
	director.ErrandRequest
}

// JobStateRequest is one PUT /deployments/:d/jobs/:group[/:id].
type JobStateRequest struct {
	Deployment    string
	InstanceGroup string
	// Instance is an instance ID or index; empty means every instance of the group.
	Instance string
	// State is director.JobStarted, JobStopped, JobDetached (stop --hard),
	// JobRestart or JobRecreate.
	State     string
	SkipDrain bool
	Fix       bool
	// Canaries and MaxInFlight override the update block, as on a deploy.
	Canaries, MaxInFlight string
	// NoConverge is an instance action (bosh start/stop/restart/recreate
	// --no-converge): that one instance changes, nothing else is deployed.
	NoConverge bool
	// Manifest, when set, is deployed with the change, against CloudConfigs;
	// nil keeps the deployed manifest and the cloud configs it was deployed with.
	Manifest     []byte
	CloudConfigs []director.ConfigVersion
}
