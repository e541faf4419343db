package release

import (
	"errors"
	"fmt"
	"strings"
)

// manifestSlot is a job or package a release manifest lists, and the
// archive a tarball must hold for it.
type manifestSlot struct {
	name  string // "jobs/etcd.tgz"
	label string // "job 'etcd'"
	sha1  string
}

func manifestSlots(m Manifest) []manifestSlot {
	var slots []manifestSlot
	for _, j := range m.Jobs {
		slots = append(slots, manifestSlot{name: jobKind.slot(j.Name), label: jobKind.label(j.Name), sha1: j.SHA1})
	}
	for _, p := range m.Packages {
		slots = append(slots, manifestSlot{name: packageKind.slot(p.Name), label: packageKind.label(p.Name), sha1: p.SHA1})
	}
	return slots
}

// validateManifest checks what a director relies on: a name and version,
// job and package names usable as file names, each once, and resolvable
// package references.
func validateManifest(m Manifest) error {
	if m.Name == "" || m.Version == "" {
		return fmt.Errorf("name and version are required (name %q, version %q)", m.Name, m.Version)
	}
	deps, jobPkgs := map[string][]string{}, map[string][]string{}
	var errs []error
	for _, p := range m.Packages {
		if err := checkRefName(deps, "package", p.Name); err != nil {
			errs = append(errs, err)
		}
		deps[p.Name] = p.Dependencies
	}
	for _, j := range m.Jobs {
		if err := checkRefName(jobPkgs, "job", j.Name); err != nil {
			errs = append(errs, err)
		}
		jobPkgs[j.Name] = j.Packages
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return checkPackages(deps, jobPkgs)
}

func checkRefName(seen map[string][]string, what, name string) error {
	if !validName(name) {
		return fmt.Errorf("%s name %q is not a plain file name", what, name)
	}
	if _, dup := seen[name]; dup {
		return fmt.Errorf("%s '%s' is listed twice", what, name)
	}
	return nil
}

func validName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`)
}
