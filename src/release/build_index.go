package release

import "path/filepath"

// buildIndex is the index.yml of one job or package in .dev_builds/ or
// .final_builds/: the archives built for each fingerprint.
//
//	builds:
//	  <fingerprint>:
//	    version: <fingerprint>
//	    blobstore_id: <id>        # final builds only
//	    sha1: sha256:<hex>
//	format-version: "2"
type buildIndex struct {
	Builds        map[string]buildEntry `yaml:"builds"`
	FormatVersion string                `yaml:"format-version"`
}

type buildEntry struct {
	Version     string `yaml:"version"`
	BlobstoreID string `yaml:"blobstore_id,omitempty"`
	SHA1        string `yaml:"sha1"`
}

func buildIndexPath(buildsDir string, a *artifact) string {
	return filepath.Join(buildsDir, string(a.kind), a.name, "index.yml")
}

func readBuildIndex(path string) (buildIndex, error) {
	var ix buildIndex
	if _, err := readYAML(path, &ix); err != nil {
		return buildIndex{}, err
	}
	if ix.Builds == nil {
		ix.Builds = map[string]buildEntry{}
	}
	return ix, nil
}

// lookup finds the entry for fingerprint fp. bosh-cli matches on the
// entry's version, which is the fingerprint; the key usually is too.
func (ix buildIndex) lookup(fp string) (buildEntry, bool) {
	if e, ok := ix.Builds[fp]; ok && e.Version == fp {
		return e, true
	}
	for _, e := range ix.Builds {
		if e.Version == fp {
			return e, true
		}
	}
	return buildEntry{}, false
}

func (ix buildIndex) write(path string) error {
	ix.FormatVersion = "2"
	return writeYAML(path, ix)
}
