package api_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
)

// fakeBackend keeps deployments in memory. Deploys of a deployment listed in
// blocking wait, after their first events, until the test calls release.
type fakeBackend struct {
	mu        sync.Mutex
	manifests map[string][]byte
	blocking  map[string]bool
	gates     map[string]chan struct{}
	deployErr error

	running    map[string]int // Deploy calls in progress per deployment
	maxRunning map[string]int
	deploys    []api.DeployRequest // in the order they started
	jobStates  []api.JobStateRequest
	uploads    []string // content of uploaded tarballs
	instances  []director.Instance
	errandRuns []director.ErrandResult
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		manifests: map[string][]byte{}, blocking: map[string]bool{}, gates: map[string]chan struct{}{},
		running: map[string]int{}, maxRunning: map[string]int{},
	}
}

func (f *fakeBackend) gate(name string) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gates[name] == nil {
		f.gates[name] = make(chan struct{})
	}
	return f.gates[name]
}

// release lets one blocked deploy of name finish; it returns once one took it.
func (f *fakeBackend) release(name string) { f.gate(name) <- struct{}{} }

func (f *fakeBackend) block(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocking[name] = true
}

func (f *fakeBackend) failDeploysWith(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deployErr = err
}

func (f *fakeBackend) mostConcurrentDeploys(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxRunning[name]
}

func (f *fakeBackend) runningDeploys(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running[name]
}

func (f *fakeBackend) startedDeploys() []api.DeployRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.DeployRequest(nil), f.deploys...)
}

func (f *fakeBackend) Releases(context.Context) ([]director.Release, error) {
	return []director.Release{{Name: "etcd", ReleaseVersions: []director.ReleaseVersion{{Version: "1", JobNames: []string{"etcd"}}}}}, nil
}

func (f *fakeBackend) UploadRelease(_ context.Context, log api.TaskLog, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	f.uploads = append(f.uploads, string(data))
	f.mu.Unlock()
	log.Debugf("imported %d bytes", len(data))
	return "Created release 'etcd/1'", nil
}

func (f *fakeBackend) Stemcells(context.Context) ([]director.Stemcell, error) { return nil, nil }

func (f *fakeBackend) Deployments(context.Context) ([]director.DeploymentSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []director.DeploymentSummary
	for name := range f.manifests {
		out = append(out, director.DeploymentSummary{Name: name, CloudConfig: "latest"})
	}
	return out, nil
}

func (f *fakeBackend) Manifest(_ context.Context, name string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.manifests[name]
	if !ok {
		return nil, director.DeploymentNotFound(name)
	}
	return m, nil
}

func (f *fakeBackend) Deploy(ctx context.Context, log api.TaskLog, req api.DeployRequest) error {
	if req.Name == "panic" {
		panic("fake backend bug")
	}
	f.mu.Lock()
	f.running[req.Name]++
	f.maxRunning[req.Name] = max(f.maxRunning[req.Name], f.running[req.Name])
	f.deploys = append(f.deploys, req)
	blocking, deployErr := f.blocking[req.Name], f.deployErr
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running[req.Name]--
		f.mu.Unlock()
	}()

	if err := api.NewStage(log, "Preparing deployment", nil, 1).Run("Preparing deployment", func() error { return nil }); err != nil {
		return err
	}
	stage := api.NewStage(log, "Updating instance", []string{"etcd"}, 1)
	err := stage.Run("etcd/0 (canary)", func() error {
		if blocking {
			select {
			case <-f.gate(req.Name):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return deployErr
	})
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.manifests[req.Name] = req.Manifest
	f.mu.Unlock()
	return nil
}

func (f *fakeBackend) DeleteDeployment(_ context.Context, _ api.TaskLog, name string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.manifests, name)
	return nil
}

func (f *fakeBackend) Instances(context.Context, api.TaskLog, string) ([]director.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.instances, nil
}

func (f *fakeBackend) RunErrand(_ context.Context, log api.TaskLog, req api.ErrandRequest) ([]director.ErrandResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if req.Errand == "missing" {
		return nil, errors.New("errand 'missing' is not a job of any instance group")
	}
	log.Warning(fmt.Sprintf("running %s", req.Errand))
	return f.errandRuns, nil
}

func (f *fakeBackend) ChangeJobState(_ context.Context, _ api.TaskLog, req api.JobStateRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobStates = append(f.jobStates, req)
	return nil
}
