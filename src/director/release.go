package director

// Release is one entry of GET /releases.
type Release struct {
	Name            string           `json:"name"`
	ReleaseVersions []ReleaseVersion `json:"release_versions"`
}

// ReleaseVersion is one uploaded version of a release.
type ReleaseVersion struct {
	Version            string   `json:"version"`
	CommitHash         string   `json:"commit_hash"`
	UncommittedChanges bool     `json:"uncommitted_changes"`
	CurrentlyDeployed  bool     `json:"currently_deployed"`
	JobNames           []string `json:"job_names"`
}

// ReleaseLocation is the JSON body of POST /releases for a release the
// director fetches itself: an http:// or https:// URL.
type ReleaseLocation struct {
	Location string `json:"location"`
	// SHA1 is "sha256:<hex>" or a 40-hex SHA-1 of the tarball; empty skips the check.
	SHA1 string `json:"sha1,omitempty"`
}

// Stemcell is one entry of GET /stemcells.
type Stemcell struct {
	Name            string               `json:"name"`
	OperatingSystem string               `json:"operating_system"`
	Version         string               `json:"version"`
	APIVersion      int                  `json:"api_version,omitempty"`
	CID             string               `json:"cid"`
	CPI             string               `json:"cpi,omitempty"`
	Deployments     []StemcellDeployment `json:"deployments"`
}

// StemcellDeployment names a deployment that uses a stemcell.
type StemcellDeployment struct {
	Name string `json:"name"`
}
