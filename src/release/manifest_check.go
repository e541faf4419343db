package release

import (
	"errors"
	"fmt"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
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
// job and package names and versions by the director's rules (they name
// files and directories), each job and package once, and resolvable
// package references.
func validateManifest(m Manifest) error {
	if m.Name == "" || m.Version == "" {
		return fmt.Errorf("name and version are required (name %q, version %q)", m.Name, m.Version)
	}
	errs := []error{
		boshname.Identifier.Check("release name", m.Name),
		boshname.Identifier.Check("release version", m.Version),
	}
	deps, jobPkgs := map[string][]string{}, map[string][]string{}
	for _, p := range m.Packages {
		errs = append(errs, checkRef(deps, "package", p.Name, p.Version))
		deps[p.Name] = p.Dependencies
	}
	for _, j := range m.Jobs {
		errs = append(errs, checkRef(jobPkgs, "job", j.Name, j.Version))
		jobPkgs[j.Name] = j.Packages
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return checkPackages(deps, jobPkgs)
}

// checkRef checks a job or package of the manifest (what: "job").
func checkRef(seen map[string][]string, what, name, version string) error {
	if err := boshname.Identifier.Check(what+" name", name); err != nil {
		return err
	}
	if _, dup := seen[name]; dup {
		return fmt.Errorf("%s '%s' is listed twice", what, name)
	}
	if version != "" {
		return boshname.Identifier.Check(fmt.Sprintf("%s '%s' version", what, name), version)
	}
	return nil
}

func validName(name string) bool { return boshname.Identifier.Valid(name) }
