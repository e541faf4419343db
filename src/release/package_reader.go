package release

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// ErrNoFilesMatch is returned when a package's files pattern matches nothing.
var ErrNoFilesMatch = errors.New("files pattern matches no file")

// packageSpec is packages/<name>/spec.
type packageSpec struct {
	Name          string   `yaml:"name"`
	Dependencies  []string `yaml:"dependencies"`
	Files         []string `yaml:"files"`
	ExcludedFiles []string `yaml:"excluded_files"`
}

// readPackage reads packages/<dirName>: its spec, its packaging and
// pre_packaging scripts and the files its patterns select, and fingerprints them.
func readPackage(releaseDir, dirName string) (*artifact, error) {
	dir := filepath.Join(releaseDir, "packages", dirName)
	spec, err := loadPackageSpec(dir)
	if err != nil {
		return nil, err
	}
	if spec.Name != dirName {
		return nil, fmt.Errorf("%s: package name %q does not match its directory %q; rename one of them",
			filepath.Join(dir, "spec"), spec.Name, dirName)
	}

	packaging := filepath.Join(dir, "packaging")
	if _, err := os.Stat(packaging); err != nil {
		return nil, fmt.Errorf("package '%s' has no packaging script: create %s: %w", spec.Name, packaging, err)
	}
	// Both scripts are fingerprinted without their mode, as bosh-cli does.
	files := []sourceFile{{path: packaging, rel: "packaging", excludeMode: true}}
	var prePackaging string
	if candidate := filepath.Join(dir, "pre_packaging"); exists(candidate) {
		prePackaging = candidate
		files = append(files, sourceFile{path: candidate, rel: "pre_packaging", excludeMode: true})
	}

	selected, err := selectPackageFiles(releaseDir, spec)
	if err != nil {
		return nil, err
	}
	fp, entries, err := fingerprint(append(files, selected...), spec.Dependencies, false)
	if err != nil {
		return nil, fmt.Errorf("package '%s': %w", spec.Name, err)
	}
	return &artifact{
		kind:         packageKind,
		name:         spec.Name,
		fingerprint:  fp,
		entries:      entries,
		prePackaging: prePackaging,
		dependencies: spec.Dependencies,
	}, nil
}

func loadPackageSpec(dir string) (packageSpec, error) {
	path := filepath.Join(dir, "spec")
	data, err := os.ReadFile(path)
	if err != nil {
		return packageSpec{}, fmt.Errorf("reading package spec: %w", err)
	}
	var spec packageSpec
	if err := yaml.Unmarshal(data, &spec); err != nil {
		return packageSpec{}, fmt.Errorf("%s: parsing package spec YAML: %w", path, err)
	}
	if spec.Name == "" {
		return packageSpec{}, fmt.Errorf("%s: package spec has no 'name'", path)
	}
	return spec, nil
}

// selectPackageFiles applies a package spec's files and excluded_files
// patterns as bosh-cli does: each pattern is matched in src/ and then in
// blobs/, and the first file found for a relative path is kept, so within a
// pattern a file in src/ wins over the same path in blobs/. Directories are
// skipped (a matched directory contributes nothing, its files must be
// matched themselves). A pattern that selects no file is an error.
func selectPackageFiles(releaseDir string, spec packageSpec) ([]sourceFile, error) {
	bases := []string{filepath.Join(releaseDir, "src"), filepath.Join(releaseDir, "blobs")}
	selected := map[string]sourceFile{}
	var order []string
	for _, pattern := range spec.Files {
		found := false
		for _, base := range bases {
			rels, err := globRel(base, pattern)
			if err != nil {
				return nil, fmt.Errorf("package '%s': %w", spec.Name, err)
			}
			for _, rel := range rels {
				path := filepath.Join(base, filepath.FromSlash(rel))
				ok, err := packageable(path)
				if err != nil {
					return nil, fmt.Errorf("package '%s': %w", spec.Name, err)
				}
				if !ok {
					continue
				}
				found = true
				if _, seen := selected[rel]; !seen {
					selected[rel] = sourceFile{path: path, rel: rel}
					order = append(order, rel)
				}
			}
		}
		if !found {
			return nil, fmt.Errorf("package '%s': %w: '%s' in %s or %s (directories reached through symlinks are not searched); "+
				"add the files, fetch the blobs config/blobs.yml lists, or fix the pattern in packages/%s/spec",
				spec.Name, ErrNoFilesMatch, pattern, bases[0], bases[1], spec.Name)
		}
	}

	for _, pattern := range spec.ExcludedFiles {
		for _, base := range bases {
			rels, err := globRel(base, pattern)
			if err != nil {
				return nil, fmt.Errorf("package '%s' excluded_files: %w", spec.Name, err)
			}
			for _, rel := range rels {
				delete(selected, rel)
			}
		}
	}

	var files []sourceFile
	for _, rel := range order {
		f, kept := selected[rel]
		if !kept {
			continue
		}
		if rel == "packaging" || rel == "pre_packaging" {
			return nil, fmt.Errorf("package '%s': its files patterns select %s, which would clash with the package's own %s script; exclude it in packages/%s/spec",
				spec.Name, f.path, rel, spec.Name)
		}
		files = append(files, f)
	}
	return files, nil
}

// packageable reports whether a matched path goes into a package: files and
// symlinks do, directories do not.
func packageable(path string) (bool, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return false, err
	}
	switch {
	case info.IsDir():
		return false, nil
	case info.Mode().IsRegular(), info.Mode()&os.ModeSymlink != 0:
		return true, nil
	}
	return false, fmt.Errorf("%s is a %s; packages may hold only files and symlinks", path, kindOf(info.Mode()))
}

// exists follows symlinks, as bosh-cli's FileExists does.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
