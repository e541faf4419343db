package release

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
)

// CreateOptions are create-release's flags.
type CreateOptions struct {
	// Final also makes the next final version (1, 2, ...): archives go to the
	// blobstore of config/final.yml and are recorded in .final_builds/, the
	// manifest in releases/<name>/. As with bosh-cli, a dev release is
	// recorded first.
	Final bool
	// Force builds even though the git working copy has uncommitted changes;
	// the manifest then records uncommitted_changes: true.
	Force bool
	// Tarball, when set, is where to write the release tarball as well.
	Tarball string
	// Version, when set, is the version of the dev release instead of the
	// next one (bosh create-release --version); it must not be recorded yet.
	Version string
	// ScriptOutput receives the `bash -x` output of pre_packaging scripts;
	// nil discards it (a failing script's output is in the error anyway).
	ScriptOutput io.Writer
}

// Created is what Create made.
type Created struct {
	Manifest     Manifest
	ManifestPath string   // the dev or, with Final, the final release manifest written
	TarballPath  string   // absolute path of the tarball; "" unless CreateOptions.Tarball was set
	Built        []string // archives built this time, as "packages/etcd"; the rest were reused
}

// Create builds a release from the release directory at releaseDir, as
// `bosh create-release` does. Every run records a new dev version
// (<latest dev or final>+dev.N, 0+dev.1 first) even when nothing changed,
// as bosh-cli does; unchanged jobs and packages reuse their archives.
func Create(ctx context.Context, releaseDir string, opts CreateOptions) (Created, error) {
	dir, err := filepath.Abs(releaseDir)
	if err != nil {
		return Created{}, err
	}
	cfg, err := loadFinalConfig(dir)
	if err != nil {
		return Created{}, err
	}
	store, err := cfg.blobstore(dir)
	if err != nil {
		return Created{}, err
	}
	if opts.Final && store == nil {
		return Created{}, fmt.Errorf("a final release needs a blobstore for its archives; set blobstore.provider: local and blobstore.options.blobstore_path in %s",
			filepath.Join(dir, "config", "final.yml"))
	}
	git, err := readGitState(ctx, dir)
	if err != nil {
		return Created{}, err
	}
	if git.dirty && !opts.Force {
		return Created{}, fmt.Errorf("%w in %s:\n%s\ncommit them, or pass --force to build anyway", ErrUncommittedChanges, dir, git.changes)
	}
	if err := syncBlobs(dir, store); err != nil {
		return Created{}, err
	}
	packages, jobs, err := readSources(dir)
	if err != nil {
		return Created{}, fmt.Errorf("reading release directory %s: %w", dir, err)
	}

	finals := finalBuilds{dir: finalBuildsDir(dir), blobstore: store}
	built, err := obtainArchives(ctx, dir, slices.Concat(packages, jobs), finals, opts.ScriptOutput)
	if err != nil {
		return Created{}, err
	}

	devIndex := releaseIndex{dir: filepath.Join(dir, "dev_releases")}
	finalIndex := releaseIndex{dir: filepath.Join(dir, "releases")}
	devVersion, err := nextDevVersion(devIndex, finalIndex, cfg.Name)
	if err != nil {
		return Created{}, err
	}
	if opts.Version != "" {
		if devVersion, err = parseVersion(opts.Version); err != nil {
			return Created{}, err
		}
	}
	manifest := newManifest(cfg.Name, devVersion, git, packages, jobs)
	manifestPath, err := devIndex.add(manifest)
	if err != nil {
		return Created{}, err
	}

	if opts.Final {
		manifest, manifestPath, err = finalize(finalIndex, finals, cfg.Name, git, packages, jobs)
		if err != nil {
			return Created{}, err
		}
	}

	result := Created{Manifest: manifest, ManifestPath: manifestPath, Built: built}
	if opts.Tarball != "" {
		if result.TarballPath, err = filepath.Abs(opts.Tarball); err != nil {
			return Created{}, err
		}
		if err := writeReleaseTarball(result.TarballPath, manifest, packages, jobs); err != nil {
			return Created{}, err
		}
	}
	return result, nil
}

// obtainArchives attaches an archive to every artifact: from .dev_builds,
// else from .final_builds, else newly built into .dev_builds. It returns
// the archives it built, as "packages/etcd".
func obtainArchives(ctx context.Context, dir string, artifacts []*artifact, finals finalBuilds, scriptOutput io.Writer) ([]string, error) {
	devs := devBuilds{dir: filepath.Join(dir, ".dev_builds")}
	var built []string
	for _, a := range artifacts {
		found, err := devs.find(a)
		if err == nil && !found {
			found, err = finals.find(a)
		}
		if err != nil {
			return nil, err
		}
		if found {
			continue
		}
		err = devs.build(a, func(w io.Writer) error {
			return writeArchive(ctx, a, dir, w, scriptOutput)
		})
		if err != nil {
			return nil, err
		}
		built = append(built, string(a.kind)+"/"+a.name)
	}
	return built, nil
}

// finalize records the next final version: every archive not yet in
// .final_builds is uploaded to the blobstore and recorded there.
func finalize(finalIndex releaseIndex, finals finalBuilds, name string, git gitState, packages, jobs []*artifact) (Manifest, string, error) {
	v, err := nextFinalVersion(finalIndex, name)
	if err != nil {
		return Manifest{}, "", err
	}
	for _, list := range [][]*artifact{packages, jobs} {
		for _, a := range list {
			found, err := finals.find(a)
			if err != nil {
				return Manifest{}, "", err
			}
			if !found {
				if err := finals.add(a); err != nil {
					return Manifest{}, "", err
				}
			}
		}
	}
	m := newManifest(name, v, git, packages, jobs)
	path, err := finalIndex.add(m)
	return m, path, err
}
