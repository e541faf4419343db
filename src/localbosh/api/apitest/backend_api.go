package apitest

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// The api.Backend methods, which the server under test calls.
var _ api.Backend = (*Backend)(nil)

func (b *Backend) Releases(context.Context) ([]director.Release, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []director.Release
	for _, m := range b.releases {
		out = append(out, director.Release{Name: m.Name, ReleaseVersions: []director.ReleaseVersion{
			{Version: m.Version, CommitHash: m.CommitHash, UncommittedChanges: m.UncommittedChanges},
		}})
	}
	return out, nil
}

func (b *Backend) UploadRelease(_ context.Context, log api.TaskLog, path string) (string, error) {
	m, err := b.importRelease(path)
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	b.releases = append(b.releases, m)
	b.mu.Unlock()
	log.Debugf("imported %s/%s", m.Name, m.Version)
	return "Created release '" + m.Name + "/" + m.Version + "'", nil
}

// importRelease opens the tarball at path or, without
// OpenReleaseTarballs, records its content as release etcd/1.
func (b *Backend) importRelease(path string) (release.Manifest, error) {
	if b.tarballScratch == "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return release.Manifest{}, err
		}
		b.mu.Lock()
		b.files = append(b.files, string(data))
		b.mu.Unlock()
		return release.Manifest{Name: "etcd", Version: "1"}, nil
	}
	dest, err := os.MkdirTemp(b.tarballScratch, "release-")
	if err != nil {
		return release.Manifest{}, err
	}
	tarball, err := release.OpenTarball(path, filepath.Join(dest, "unpacked"))
	if err != nil {
		return release.Manifest{}, err
	}
	return tarball.Manifest, nil
}

func (b *Backend) Stemcells(context.Context) ([]director.Stemcell, error) {
	return b.stemcells, nil
}

func (b *Backend) Deployments(context.Context) ([]director.DeploymentSummary, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []director.DeploymentSummary
	for name := range b.manifests {
		out = append(out, director.DeploymentSummary{Name: name, Releases: []director.NameVersion{{Name: "etcd", Version: "1"}}, CloudConfig: "latest"})
	}
	return out, nil
}

func (b *Backend) Manifest(_ context.Context, name string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m, ok := b.manifests[name]
	if !ok {
		return nil, director.DeploymentNotFound(name)
	}
	return m, nil
}

func (b *Backend) Deploy(ctx context.Context, log api.TaskLog, req api.DeployRequest) error {
	if req.Name == "panic" {
		panic("fake backend bug")
	}
	b.mu.Lock()
	b.running[req.Name]++
	b.maxRunning[req.Name] = max(b.maxRunning[req.Name], b.running[req.Name])
	b.deploys = append(b.deploys, req)
	blocking, deployErr := b.blocking[req.Name], b.deployErr
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.running[req.Name]--
		b.mu.Unlock()
	}()

	if err := api.NewStage(log, "Preparing deployment", nil, 1).Run("Preparing deployment", func() error { return nil }); err != nil {
		return err
	}
	err := api.NewStage(log, "Updating instance", []string{"etcd"}, 1).Run("etcd/0 (canary)", func() error {
		if blocking {
			select {
			case <-b.gate(req.Name):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return deployErr
	})
	if err != nil {
		return err
	}
	if err := log.Checkpoint(); err != nil { // a cancel during the canary stops here
		return err
	}
	b.mu.Lock()
	b.manifests[req.Name] = req.Manifest
	b.mu.Unlock()
	return nil
}

func (b *Backend) DeleteDeployment(_ context.Context, _ api.TaskLog, name string, _ bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.manifests, name)
	return nil
}

func (b *Backend) Instances(context.Context, api.TaskLog, string) ([]director.Instance, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.instances, nil
}

// RunErrand warns that it runs the errand and reports one stage item, then
// returns the results set by SetErrandResults.
func (b *Backend) RunErrand(_ context.Context, log api.TaskLog, req api.ErrandRequest) ([]director.ErrandResult, error) {
	b.mu.Lock()
	b.errandRuns = append(b.errandRuns, req)
	results := b.errandOut
	b.mu.Unlock()
	if len(results) == 0 {
		return nil, errors.New("errand '" + req.Errand + "' is not a job of any instance group")
	}
	log.Warning("running " + req.Errand)
	err := api.NewStage(log, "Running errand", nil, len(results)).Run(results[0].Instance.String(), func() error { return nil })
	return results, err
}

func (b *Backend) ChangeJobState(_ context.Context, _ api.TaskLog, req api.JobStateRequest) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.jobStates = append(b.jobStates, req)
	return nil
}

// UploadStemcell records the tarball's content, as UploadRelease does, and
// imports it as stemcell ubuntu-jammy/1.
func (b *Backend) UploadStemcell(_ context.Context, _ api.TaskLog, path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.files = append(b.files, string(data))
	return "/stemcells/ubuntu-jammy/1", nil
}

// Errands reports one errand, "smoke-tests", of every deployment.
func (b *Backend) Errands(context.Context, string) ([]director.Errand, error) {
	return []director.Errand{{Name: "smoke-tests"}}, nil
}

// Variables reports none.
func (b *Backend) Variables(context.Context, string) ([]director.Variable, error) {
	return nil, nil
}

// ScanProblems reports the problems set by SetProblems.
func (b *Backend) ScanProblems(context.Context, api.TaskLog, string) ([]director.Problem, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]director.Problem(nil), b.problems...), nil
}

// ResolveProblems records the resolutions (see Resolutions) and resolves them all.
func (b *Backend) ResolveProblems(_ context.Context, _ api.TaskLog, _ string, res []api.ProblemResolution) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.resolutions = append(b.resolutions, res...)
	return len(res), nil
}

// SetProblems sets what scans find.
func (b *Backend) SetProblems(problems ...director.Problem) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = problems
}

// Resolutions are the resolutions applied so far.
func (b *Backend) Resolutions() []api.ProblemResolution {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]api.ProblemResolution(nil), b.resolutions...)
}

// OrphanedDisks reports none.
func (b *Backend) OrphanedDisks(context.Context) ([]director.OrphanedDisk, error) { return nil, nil }

// DeleteOrphanedDisk finds no such disk.
func (b *Backend) DeleteOrphanedDisk(_ context.Context, _ api.TaskLog, cid string) error {
	return director.NewError(404, 290001, "Disk '%s' is not an orphaned disk", cid)
}

// AttachDisk finds no such disk.
func (b *Backend) AttachDisk(_ context.Context, _ api.TaskLog, _, _, _, cid string) (string, error) {
	return "", director.NewError(404, 290001, "Disk '%s' is not an orphaned disk", cid)
}
