package release

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

var (
	// ErrMissingPackage is returned when a package dependency or a job's package does not exist.
	ErrMissingPackage = errors.New("missing package")
	// ErrDependencyCycle is returned when package dependencies form a cycle.
	ErrDependencyCycle = errors.New("package dependency cycle")
)

// checkPackages verifies that every dependency of a package and every
// package of a job exists, and that package dependencies have no cycle.
// deps maps package name to dependencies; jobPackages maps job name to packages.
func checkPackages(deps, jobPackages map[string][]string) error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(deps)) {
		for _, dep := range deps[name] {
			if _, ok := deps[dep]; !ok {
				errs = append(errs, fmt.Errorf("%w: package '%s' depends on package '%s', which does not exist; add package '%s' or remove the dependency",
					ErrMissingPackage, name, dep, dep))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(jobPackages)) {
		for _, pkg := range jobPackages[name] {
			if _, ok := deps[pkg]; !ok {
				errs = append(errs, fmt.Errorf("%w: job '%s' uses package '%s', which does not exist; add package '%s' or remove it from the job's packages",
					ErrMissingPackage, name, pkg, pkg))
			}
		}
	}
	if cycle := findCycle(deps); cycle != nil {
		errs = append(errs, fmt.Errorf("%w: %s; remove one of these dependencies",
			ErrDependencyCycle, strings.Join(cycle, " -> ")))
	}
	return errors.Join(errs...)
}

// findCycle returns one dependency cycle as a path that starts and ends
// with the same package, or nil.
func findCycle(deps map[string][]string) []string {
	const (
		unvisited = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string) []string
	visit = func(name string) []string {
		state[name] = onPath
		path = append(path, name)
		for _, dep := range deps[name] {
			switch state[dep] {
			case onPath:
				start := slices.Index(path, dep)
				return append(slices.Clone(path[start:]), dep)
			case unvisited:
				if _, known := deps[dep]; known {
					if cycle := visit(dep); cycle != nil {
						return cycle
					}
				}
			}
		}
		path = path[:len(path)-1]
		state[name] = done
		return nil
	}
	for _, name := range slices.Sorted(maps.Keys(deps)) {
		if state[name] == unvisited {
			if cycle := visit(name); cycle != nil {
				return cycle
			}
		}
	}
	return nil
}
