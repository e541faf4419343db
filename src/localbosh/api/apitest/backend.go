// Package apitest serves a real api.Server in tests of the Director API and
// of its clients: Backend is an in-memory api.Backend recording what the
// server hands it, and Start serves one over HTTPS on 127.0.0.1.
package apitest

import (
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// Backend is an in-memory api.Backend. Deploys report a preparing stage and
// one canary update, then fail with the error set by FailDeploys or record
// the manifest; a deploy of a deployment named "panic" panics, and a deploy
// of a blocked deployment waits in its canary update until Unblock. Every
// method is safe for concurrent use.
type Backend struct {
	tarballScratch string // set by OpenReleaseTarballs
	stemcells      []director.Stemcell

	mu          sync.Mutex
	manifests   map[string][]byte
	blocking    map[string]bool
	gates       map[string]chan struct{}
	deployErr   error
	running     map[string]int // Deploy calls in progress per deployment
	maxRunning  map[string]int
	deploys     []api.DeployRequest // in the order they started
	jobStates   []api.JobStateRequest
	files       []string           // content of uploaded tarballs, unless opened
	releases    []release.Manifest // what each upload imported
	instances   []director.Instance
	errandRuns  []api.ErrandRequest
	errandOut   []director.ErrandResult
	problems    []director.Problem
	resolutions []api.ProblemResolution
}

// BackendOption configures a Backend.
type BackendOption func(*Backend)

// OpenReleaseTarballs makes uploads real: each tarball is opened with
// release.OpenTarball into a new directory under scratchDir, as a director
// would, so a broken tarball fails the upload task, and its release is
// recorded. Without it every upload succeeds as release etcd/1 and its
// content is recorded (see UploadedFiles).
func OpenReleaseTarballs(scratchDir string) BackendOption {
	return func(b *Backend) { b.tarballScratch = scratchDir }
}

// WithStemcells makes Stemcells report stemcells; by default there are none.
func WithStemcells(stemcells ...director.Stemcell) BackendOption {
	return func(b *Backend) { b.stemcells = stemcells }
}

// NewBackend returns a Backend with no deployments and no releases.
func NewBackend(opts ...BackendOption) *Backend {
	b := &Backend{
		manifests: map[string][]byte{}, blocking: map[string]bool{}, gates: map[string]chan struct{}{},
		running: map[string]int{}, maxRunning: map[string]int{},
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Block makes deploys of deployment name wait, after their first events,
// until Unblock.
func (b *Backend) Block(name string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.blocking[name] = true
}

// Unblock lets one blocked deploy of name finish; it returns once one took it.
func (b *Backend) Unblock(name string) { b.gate(name) <- struct{}{} }

func (b *Backend) gate(name string) chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.gates[name] == nil {
		b.gates[name] = make(chan struct{})
	}
	return b.gates[name]
}

// FailDeploys makes every later deploy fail with err in its canary update.
func (b *Backend) FailDeploys(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.deployErr = err
}

// SetInstances sets what Instances reports for every deployment.
func (b *Backend) SetInstances(instances ...director.Instance) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.instances = instances
}

// SetErrandResults sets what RunErrand returns; with none, RunErrand fails
// as for an errand that is no job of the deployment.
func (b *Backend) SetErrandResults(results ...director.ErrandResult) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errandOut = results
}

// RunningDeploys is how many deploys of name are in progress.
func (b *Backend) RunningDeploys(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.running[name]
}

// MostConcurrentDeploys is the most deploys of name that ran at one time.
func (b *Backend) MostConcurrentDeploys(name string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.maxRunning[name]
}

// Deploys are the deploy requests, in the order they started.
func (b *Backend) Deploys() []api.DeployRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]api.DeployRequest(nil), b.deploys...)
}

// LastDeploy is the latest deploy request, or a zero one.
func (b *Backend) LastDeploy() api.DeployRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.deploys) == 0 {
		return api.DeployRequest{}
	}
	return b.deploys[len(b.deploys)-1]
}

// JobStates are the job state changes requested, in order.
func (b *Backend) JobStates() []api.JobStateRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]api.JobStateRequest(nil), b.jobStates...)
}

// ErrandRuns are the errand runs requested, in order.
func (b *Backend) ErrandRuns() []api.ErrandRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]api.ErrandRequest(nil), b.errandRuns...)
}

// UploadedReleases are the releases uploads imported, in order.
func (b *Backend) UploadedReleases() []release.Manifest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]release.Manifest(nil), b.releases...)
}

// UploadedFiles are the contents of the uploaded files, in order; empty
// with OpenReleaseTarballs.
func (b *Backend) UploadedFiles() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.files...)
}
