package cli_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// fakeBackend is an in-memory api.Backend that records what the director
// hands it. Uploaded tarballs are opened with release.OpenTarball, as a
// director would, so a broken tarball fails the upload task.
type fakeBackend struct {
	mu          sync.Mutex
	manifests   map[string][]byte
	deploys     []api.DeployRequest
	deployErr   error
	jobStates   []api.JobStateRequest
	uploaded    []release.Manifest
	instances   []director.Instance
	errandRuns  []api.ErrandRequest
	errandOut   []director.ErrandResult
	deleted     []string
	scratchRoot string
}

func newFakeBackend(scratchRoot string) *fakeBackend {
	return &fakeBackend{manifests: map[string][]byte{}, scratchRoot: scratchRoot}
}

func (f *fakeBackend) failDeploys(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deployErr = err
}

func (f *fakeBackend) setInstances(instances ...director.Instance) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.instances = instances
}

func (f *fakeBackend) setErrandResults(results ...director.ErrandResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errandOut = results
}

func (f *fakeBackend) lastDeploy() api.DeployRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.deploys) == 0 {
		return api.DeployRequest{}
	}
	return f.deploys[len(f.deploys)-1]
}

func (f *fakeBackend) uploads() []release.Manifest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]release.Manifest(nil), f.uploaded...)
}

func (f *fakeBackend) recordedJobStates() []api.JobStateRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.JobStateRequest(nil), f.jobStates...)
}

func (f *fakeBackend) recordedErrandRuns() []api.ErrandRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]api.ErrandRequest(nil), f.errandRuns...)
}

func (f *fakeBackend) Releases(context.Context) ([]director.Release, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []director.Release
	for _, m := range f.uploaded {
		out = append(out, director.Release{Name: m.Name, ReleaseVersions: []director.ReleaseVersion{
			{Version: m.Version, CommitHash: m.CommitHash, UncommittedChanges: m.UncommittedChanges},
		}})
	}
	return out, nil
}

func (f *fakeBackend) UploadRelease(_ context.Context, log api.TaskLog, path string) (string, error) {
	dest, err := os.MkdirTemp(f.scratchRoot, "release-")
	if err != nil {
		return "", err
	}
	tarball, err := release.OpenTarball(path, filepath.Join(dest, "unpacked"))
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	f.uploaded = append(f.uploaded, tarball.Manifest)
	f.mu.Unlock()
	log.Debugf("imported %s/%s", tarball.Manifest.Name, tarball.Manifest.Version)
	return "Created release '" + tarball.Manifest.Name + "/" + tarball.Manifest.Version + "'", nil
}

func (f *fakeBackend) Stemcells(context.Context) ([]director.Stemcell, error) {
	return []director.Stemcell{{Name: "bosh-warden-boshlite-ubuntu-jammy", OperatingSystem: "ubuntu-jammy", Version: "1.0", CID: "none"}}, nil
}

func (f *fakeBackend) Deployments(context.Context) ([]director.DeploymentSummary, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []director.DeploymentSummary
	for name := range f.manifests {
		out = append(out, director.DeploymentSummary{Name: name, Releases: []director.NameVersion{{Name: "etcd", Version: "1"}}, CloudConfig: "latest"})
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

// Deploy reports a preparing stage and one canary update, then fails with
// the configured error or records the manifest.
func (f *fakeBackend) Deploy(_ context.Context, log api.TaskLog, req api.DeployRequest) error {
	f.mu.Lock()
	f.deploys = append(f.deploys, req)
	deployErr := f.deployErr
	f.mu.Unlock()
	if err := api.NewStage(log, "Preparing deployment", nil, 1).Run("Preparing deployment", func() error { return nil }); err != nil {
		return err
	}
	err := api.NewStage(log, "Updating instance", []string{"etcd"}, 1).Run("etcd/0 (canary)", func() error { return deployErr })
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
	f.deleted = append(f.deleted, name)
	return nil
}

func (f *fakeBackend) Instances(context.Context, api.TaskLog, string) ([]director.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.instances, nil
}

func (f *fakeBackend) RunErrand(_ context.Context, log api.TaskLog, req api.ErrandRequest) ([]director.ErrandResult, error) {
	f.mu.Lock()
	f.errandRuns = append(f.errandRuns, req)
	results := f.errandOut
	f.mu.Unlock()
	if len(results) == 0 {
		return nil, errors.New("errand '" + req.Errand + "' is not a job of any instance group")
	}
	err := api.NewStage(log, "Running errand", nil, len(results)).Run(results[0].Instance.String(), func() error { return nil })
	return results, err
}

func (f *fakeBackend) ChangeJobState(_ context.Context, _ api.TaskLog, req api.JobStateRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobStates = append(f.jobStates, req)
	return nil
}
