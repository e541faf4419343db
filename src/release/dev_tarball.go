package release

import (
	"fmt"
	"path/filepath"
)

// WriteDevReleaseTarball writes a tarball of a dev release that Create
// recorded in the release directory at releaseDir (the latest one when
// version is ""), as `bosh upload-release` without arguments uploads it. The
// archives are those Create cached in .dev_builds/ for the manifest's
// fingerprints, each checked against the digest the manifest records.
func WriteDevReleaseTarball(releaseDir, version, tarballPath string) (Manifest, error) {
	dir, err := filepath.Abs(releaseDir)
	if err != nil {
		return Manifest{}, fmt.Errorf("resolving release directory %s: %w", releaseDir, err)
	}
	cfg, err := loadFinalConfig(dir)
	if err != nil {
		return Manifest{}, err
	}
	devIndex := releaseIndex{dir: filepath.Join(dir, "dev_releases")}
	if version == "" {
		latest, err := devIndex.latest(cfg.Name)
		if err != nil {
			return Manifest{}, err
		}
		if latest == nil {
			return Manifest{}, fmt.Errorf("release directory %s has no dev release of '%s' yet: run create-release first", dir, cfg.Name)
		}
		version = latest.String()
	}
	m, err := devIndex.readManifest(cfg.Name, version)
	if err != nil {
		return Manifest{}, err
	}
	devs := devBuilds{dir: filepath.Join(dir, ".dev_builds")}
	packages, jobs, err := devs.cachedArchives(m)
	if err != nil {
		return Manifest{}, fmt.Errorf("collecting the archives of dev release '%s/%s': %w", m.Name, m.Version, err)
	}
	if err := writeReleaseTarball(tarballPath, m, packages, jobs); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// cachedArchives attaches to every job and package of m its archive cached
// under its fingerprint, checked against the digest m records.
func (d devBuilds) cachedArchives(m Manifest) (packages, jobs []*artifact, err error) {
	for _, p := range m.Packages {
		a := &artifact{kind: packageKind, name: p.Name, fingerprint: p.Fingerprint}
		if err := d.attachCached(a, p.SHA1); err != nil {
			return nil, nil, err
		}
		packages = append(packages, a)
	}
	for _, j := range m.Jobs {
		a := &artifact{kind: jobKind, name: j.Name, fingerprint: j.Fingerprint}
		if err := d.attachCached(a, j.SHA1); err != nil {
			return nil, nil, err
		}
		jobs = append(jobs, a)
	}
	return packages, jobs, nil
}
