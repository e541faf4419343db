package release

import (
	"errors"
	"fmt"
	"path/filepath"
)

// ErrVersionExists is returned when a release version is already recorded.
var ErrVersionExists = errors.New("release version already exists")

// releaseIndex is dev_releases/ or releases/: per release name an index.yml
//
//	builds:
//	  <uuid>: {version: "<version>"}
//	format-version: "2"
//
// and one manifest per version, <name>-<version>.yml.
type releaseIndex struct {
	dir string
}

type releaseIndexFile struct {
	Builds        map[string]releaseIndexEntry `yaml:"builds"`
	FormatVersion string                       `yaml:"format-version"`
}

type releaseIndexEntry struct {
	Version string `yaml:"version"`
}

func (r releaseIndex) indexPath(name string) string {
	return filepath.Join(r.dir, name, "index.yml")
}

func (r releaseIndex) manifestPath(name, v string) string {
	return filepath.Join(r.dir, name, name+"-"+v+".yml")
}

func (r releaseIndex) read(name string) (releaseIndexFile, error) {
	var ix releaseIndexFile
	if _, err := readYAML(r.indexPath(name), &ix); err != nil {
		return releaseIndexFile{}, err
	}
	if ix.Builds == nil {
		ix.Builds = map[string]releaseIndexEntry{}
	}
	return ix, nil
}

// readManifest reads the manifest of version v of release name.
func (r releaseIndex) readManifest(name, v string) (Manifest, error) {
	path := r.manifestPath(name, v)
	var m Manifest
	found, err := readYAML(path, &m)
	if err != nil {
		return Manifest{}, err
	}
	if !found {
		return Manifest{}, fmt.Errorf("release '%s' has no version '%s': %s does not exist; see %s for the versions there are", name, v, path, r.indexPath(name))
	}
	return m, nil
}

// latest returns the highest recorded version of release name, or nil.
func (r releaseIndex) latest(name string) (*version, error) {
	ix, err := r.read(name)
	if err != nil {
		return nil, err
	}
	var best *version
	for _, e := range ix.Builds {
		v, err := parseVersion(e.Version)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.indexPath(name), err)
		}
		if best == nil || v.compare(*best) > 0 {
			best = &v
		}
	}
	return best, nil
}

// add writes m's manifest file and records its version; it returns the manifest's path.
func (r releaseIndex) add(m Manifest) (string, error) {
	ix, err := r.read(m.Name)
	if err != nil {
		return "", err
	}
	for _, e := range ix.Builds {
		if e.Version == m.Version {
			return "", fmt.Errorf("%w: release '%s' version '%s' is already in %s", ErrVersionExists, m.Name, m.Version, r.indexPath(m.Name))
		}
	}
	key, err := newUUID() // bosh-cli keys entries by a random UUID too
	if err != nil {
		return "", err
	}
	path := r.manifestPath(m.Name, m.Version)
	if err := writeYAML(path, m); err != nil {
		return "", err
	}
	ix.Builds[key] = releaseIndexEntry{Version: m.Version}
	ix.FormatVersion = "2"
	if err := writeYAML(r.indexPath(m.Name), ix); err != nil {
		return "", err
	}
	return path, nil
}

// nextDevVersion is the version bosh-cli gives the next dev release: the
// latest dev or final version with its dev number incremented (0+dev.1 first).
func nextDevVersion(dev, final releaseIndex, name string) (version, error) {
	last := version{release: []int{0}}
	for _, ix := range []releaseIndex{dev, final} {
		v, err := ix.latest(name)
		if err != nil {
			return version{}, err
		}
		if v != nil && v.compare(last) > 0 {
			last = *v
		}
	}
	return last.nextDev(), nil
}

// nextFinalVersion is the latest final version plus one (1 first).
func nextFinalVersion(final releaseIndex, name string) (version, error) {
	v, err := final.latest(name)
	if err != nil {
		return version{}, err
	}
	if v == nil {
		return version{release: []int{1}}, nil
	}
	return v.nextFinal(), nil
}
