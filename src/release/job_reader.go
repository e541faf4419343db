package release

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
)

// readJob reads jobs/<dirName> and fingerprints what its archive holds, as
// bosh-cli does: the spec (as job.MF), monit and properties_schema.json when
// present, and the templates the spec lists (other files under templates/
// are ignored). Symlinks are followed.
func readJob(releaseDir, dirName string) (*artifact, error) {
	dir := filepath.Join(releaseDir, "jobs", dirName)
	spec, err := jobspec.Load(dir)
	if err != nil {
		return nil, err
	}

	files := []sourceFile{{path: filepath.Join(dir, "spec"), rel: "job.MF"}}
	for _, optional := range []string{"monit", "properties_schema.json"} {
		if p := filepath.Join(dir, optional); exists(p) {
			files = append(files, sourceFile{path: p, rel: optional})
		}
	}
	for _, src := range slices.Sorted(maps.Keys(spec.Templates)) {
		rel := path.Join("templates", src)
		if !strings.HasPrefix(rel, "templates/") {
			return nil, fmt.Errorf("job '%s': template %q leaves the templates directory; fix jobs/%s/spec", spec.Name, src, dirName)
		}
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if !exists(p) {
			return nil, fmt.Errorf("job '%s': its spec lists template %q but %s does not exist; add it or remove it from jobs/%s/spec",
				spec.Name, src, p, dirName)
		}
		files = append(files, sourceFile{path: p, rel: rel})
	}

	fp, entries, err := fingerprint(files, nil, true)
	if err != nil {
		return nil, fmt.Errorf("job '%s': %w", spec.Name, err)
	}
	return &artifact{
		kind:         jobKind,
		name:         spec.Name,
		fingerprint:  fp,
		entries:      entries,
		dependencies: spec.Packages,
	}, nil
}
