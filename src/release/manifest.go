package release

// Manifest is a release manifest: release.MF inside a release tarball, and
// dev_releases/<name>/<name>-<version>.yml or releases/<name>/<name>-<version>.yml
// in a release directory. Field names and order are bosh-cli's.
type Manifest struct {
	Name               string       `yaml:"name"`
	Version            string       `yaml:"version"`
	CommitHash         string       `yaml:"commit_hash"`
	UncommittedChanges bool         `yaml:"uncommitted_changes"`
	Jobs               []JobRef     `yaml:"jobs,omitempty"`
	Packages           []PackageRef `yaml:"packages,omitempty"`
}

// JobRef is a job in a release manifest. Version equals Fingerprint; SHA1 is
// the archive's digest, "sha256:<hex>" (or a 40-hex SHA-1 from old releases).
type JobRef struct {
	Name        string   `yaml:"name"`
	Version     string   `yaml:"version"`
	Fingerprint string   `yaml:"fingerprint"`
	SHA1        string   `yaml:"sha1"`
	Packages    []string `yaml:"packages"`
}

// PackageRef is a package in a release manifest; see JobRef.
type PackageRef struct {
	Name         string   `yaml:"name"`
	Version      string   `yaml:"version"`
	Fingerprint  string   `yaml:"fingerprint"`
	SHA1         string   `yaml:"sha1"`
	Dependencies []string `yaml:"dependencies"`
}

func newManifest(name string, v version, git gitState, packages, jobs []*artifact) Manifest {
	m := Manifest{
		Name:               name,
		Version:            v.String(),
		CommitHash:         git.commit,
		UncommittedChanges: git.dirty,
	}
	for _, p := range packages {
		m.Packages = append(m.Packages, PackageRef{
			Name: p.name, Version: p.fingerprint, Fingerprint: p.fingerprint, SHA1: p.sha1,
			Dependencies: nonNil(p.dependencies),
		})
	}
	for _, j := range jobs {
		m.Jobs = append(m.Jobs, JobRef{
			Name: j.name, Version: j.fingerprint, Fingerprint: j.fingerprint, SHA1: j.sha1,
			Packages: nonNil(j.dependencies),
		})
	}
	return m
}

// nonNil makes an absent list encode as [] as bosh-cli writes it.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
