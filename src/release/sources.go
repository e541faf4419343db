package release

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// readSources reads and fingerprints every package and job of a release
// directory, in name order, and checks that the packages they name exist.
// All problems found are reported together.
func readSources(releaseDir string) (packages, jobs []*artifact, err error) {
	var errs []error
	pkgDirs, err := subdirectories(filepath.Join(releaseDir, "packages"))
	if err != nil {
		return nil, nil, err
	}
	for _, name := range pkgDirs {
		a, err := readPackage(releaseDir, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		packages = append(packages, a)
	}
	jobDirs, err := subdirectories(filepath.Join(releaseDir, "jobs"))
	if err != nil {
		return nil, nil, err
	}
	for _, name := range jobDirs {
		a, err := readJob(releaseDir, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		jobs = append(jobs, a)
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	if err := checkPackages(dependencyMap(packages), dependencyMap(jobs)); err != nil {
		return nil, nil, err
	}
	return packages, jobs, nil
}

func dependencyMap(artifacts []*artifact) map[string][]string {
	m := make(map[string][]string, len(artifacts))
	for _, a := range artifacts {
		m[a.name] = a.dependencies
	}
	return m
}

// subdirectories lists the directories (or symlinks to directories) in dir,
// sorted; a missing dir has none.
func subdirectories(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	var names []string
	for _, e := range entries {
		if info, err := os.Stat(filepath.Join(dir, e.Name())); err == nil && info.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}
