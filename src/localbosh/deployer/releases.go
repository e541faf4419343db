package deployer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// Uploaded releases live unpacked under <state>/releases/<name>/<version>,
// as release.OpenTarball lays them out.

// releaseDir is <state>/releases/<name>/<version>, or without a version the
// release's directory. A name or version that would lead anywhere else is
// an error.
func (d *Deployer) releaseDir(name string, version ...string) (string, error) {
	if err := boshname.Identifier.Check("release name", name); err != nil {
		return "", err
	}
	for _, v := range version {
		if err := boshname.Identifier.Check("release version", v); err != nil {
			return "", err
		}
	}
	return d.state.Path(append([]string{"releases", name}, version...)...)
}

// UploadRelease verifies and unpacks a release tarball. A version that is
// already uploaded is kept as it is, as BOSH does.
func (d *Deployer) UploadRelease(ctx context.Context, log api.TaskLog, path string) (string, error) {
	incoming, err := os.MkdirTemp(d.stateDir, "incoming-release-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(incoming)
	var tb release.Tarball
	if err := api.NewStage(log, "Extracting release", nil, 1).Run("Extracting release", func() (err error) {
		tb, err = release.OpenTarball(path, filepath.Join(incoming, "release"))
		return err
	}); err != nil {
		return "", err
	}
	name, version := tb.Manifest.Name, tb.Manifest.Version
	dest, err := d.releaseDir(name, version)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(dest); err == nil {
		log.Warning(fmt.Sprintf("Release '%s/%s' has already been uploaded; keeping the uploaded one", name, version))
		return fmt.Sprintf("Created release '%s/%s'", name, version), nil
	}
	if err := api.NewStage(log, "Creating new packages and jobs", nil, 1).Run(name+"/"+version, func() error {
		if err := os.MkdirAll(filepath.Dir(dest), 0o700); err != nil {
			return err
		}
		return os.Rename(tb.Dir, dest)
	}); err != nil {
		return "", err
	}
	return fmt.Sprintf("Created release '%s/%s'", name, version), nil
}

// Releases lists uploaded releases with their versions, newest last.
func (d *Deployer) Releases(ctx context.Context) ([]director.Release, error) {
	dir, err := d.state.Path("releases")
	if err != nil {
		return nil, err
	}
	releaseNames, err := readDirNames(dir)
	if err != nil {
		return nil, err
	}
	inUse, err := d.releasesInUse()
	if err != nil {
		return nil, err
	}
	var out []director.Release
	for _, name := range releaseNames {
		versions, err := d.releaseVersions(name)
		if err != nil {
			return nil, err
		}
		r := director.Release{Name: name}
		for _, v := range versions {
			tb, err := d.openRelease(name, v)
			if err != nil {
				return nil, err
			}
			rv := director.ReleaseVersion{Version: v, CommitHash: tb.Manifest.CommitHash,
				UncommittedChanges: tb.Manifest.UncommittedChanges, CurrentlyDeployed: inUse[name+"/"+v], JobNames: []string{}}
			for _, j := range tb.Manifest.Jobs {
				rv.JobNames = append(rv.JobNames, j.Name)
			}
			r.ReleaseVersions = append(r.ReleaseVersions, rv)
		}
		out = append(out, r)
	}
	return out, nil
}

// releaseVersions lists a release's uploaded versions in bosh order.
func (d *Deployer) releaseVersions(name string) ([]string, error) {
	dir, err := d.releaseDir(name)
	if err != nil {
		return nil, err
	}
	versions, err := readDirNames(dir)
	if err != nil {
		return nil, err
	}
	var sortErr error
	slices.SortFunc(versions, func(a, b string) int {
		c, err := release.CompareVersions(a, b)
		if err != nil {
			sortErr = err
		}
		return c
	})
	return versions, sortErr
}

// resolveRelease finds an uploaded release version; "latest" is the newest.
func (d *Deployer) resolveRelease(name, version string) (release.Tarball, error) {
	versions, err := d.releaseVersions(name)
	if err != nil {
		return release.Tarball{}, err
	}
	if version == "latest" && len(versions) > 0 {
		version = versions[len(versions)-1]
	}
	if !slices.Contains(versions, version) {
		return release.Tarball{}, director.NewError(404, 30005,
			"Release '%s' version '%s' doesn't exist; upload it first (localbosh upload-release)", name, version)
	}
	return d.openRelease(name, version)
}

// openRelease reads an uploaded release's manifest.
func (d *Deployer) openRelease(name, version string) (release.Tarball, error) {
	dir, err := d.releaseDir(name, version)
	if err != nil {
		return release.Tarball{}, err
	}
	return release.ReadUnpacked(dir)
}

// catalog gives the job specs of the releases a manifest uses, for link
// resolution and rendering.
type catalog map[string]release.Tarball // by release name

func (c catalog) JobSpec(releaseName, job string) (jobspec.Spec, error) {
	tb, ok := c[releaseName]
	if !ok {
		return jobspec.Spec{}, fmt.Errorf("release '%s' is not among the deployment's releases; add it to 'releases'", releaseName)
	}
	if !slices.ContainsFunc(tb.Manifest.Jobs, func(j release.JobRef) bool { return j.Name == job }) {
		return jobspec.Spec{}, fmt.Errorf("job '%s' is not in release '%s/%s'", job, releaseName, tb.Manifest.Version)
	}
	return tb.JobSpec(job)
}

func readDirNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}
