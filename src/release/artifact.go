package release

import "fmt"

// kind tells jobs from packages. Its value names their directory in the
// release directory, in .dev_builds/, .final_builds/ and in the tarball.
type kind string

const (
	jobKind     kind = "jobs"
	packageKind kind = "packages"
)

func (k kind) singular() string {
	if k == jobKind {
		return "job"
	}
	return "package"
}

// artifact is one job or package of the release being built.
type artifact struct {
	kind         kind
	name         string
	fingerprint  string
	entries      []fileEntry // what the archive holds, sorted by name
	prePackaging string      // a package's pre_packaging script, or ""
	dependencies []string    // a package's dependencies, or the packages a job uses

	// Set once the archive is built or found in .dev_builds or .final_builds.
	archivePath string
	sha1        string // BOSH digest string of the archive, "sha256:<hex>"
}

// label names a job or package in messages: "job 'etcd'".
func (k kind) label(name string) string {
	return fmt.Sprintf("%s '%s'", k.singular(), name)
}

// slot names a job's or package's archive inside a release tarball: "jobs/etcd.tgz".
func (k kind) slot(name string) string {
	return string(k) + "/" + name + ".tgz"
}

func (a *artifact) label() string { return a.kind.label(a.name) }

func (a *artifact) slot() string { return a.kind.slot(a.name) }
