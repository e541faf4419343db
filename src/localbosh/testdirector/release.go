package testdirector

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// UploadReleaseDir builds a dev release from a release directory, as
// `create-release --force --tarball` does, and uploads it. The directory is
// copied first, so the build leaves it untouched (no dev_releases/ or
// .dev_builds/ appear in it).
func (d *Director) UploadReleaseDir(ctx context.Context, dir string) (release.Manifest, error) {
	work, err := os.MkdirTemp(d.stateDir, "release-build-")
	if err != nil {
		return release.Manifest{}, err
	}
	defer os.RemoveAll(work)
	copied, err := CopyReleaseDir(ctx, dir, work)
	if err != nil {
		return release.Manifest{}, err
	}
	return d.CreateAndUpload(ctx, copied)
}

// CopyReleaseDir copies a release directory into parent and returns the
// copy's path.
func CopyReleaseDir(ctx context.Context, dir, parent string) (string, error) {
	copied := filepath.Join(parent, filepath.Base(dir))
	if out, err := exec.CommandContext(ctx, "cp", "-a", "--", dir, copied).CombinedOutput(); err != nil {
		return "", fmt.Errorf("copying release directory %s: %v: %s", dir, err, out)
	}
	return copied, nil
}

// CreateAndUpload builds a dev release in dir itself, reusing the archives
// an earlier build cached in its .dev_builds/, and uploads it.
func (d *Director) CreateAndUpload(ctx context.Context, dir string) (release.Manifest, error) {
	created, err := release.Create(ctx, dir, release.CreateOptions{Force: true, Tarball: filepath.Join(dir, "dev_releases", "release.tgz")})
	if err != nil {
		return release.Manifest{}, fmt.Errorf("creating a release from %s: %w", dir, err)
	}
	task, err := d.client.UploadReleaseFile(ctx, created.TarballPath)
	if err != nil {
		return release.Manifest{}, err
	}
	run, err := d.Wait(ctx, task)
	if err == nil {
		err = run.Err()
	}
	if err != nil {
		return release.Manifest{}, fmt.Errorf("uploading release %s/%s: %w", created.Manifest.Name, created.Manifest.Version, err)
	}
	return created.Manifest, nil
}
