package deployer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

// deploymentRecord is what the director keeps of a deployment between
// tasks and across restarts: the manifest it last deployed (or is
// deploying), the cloud config that went with it, and its instances.
type deploymentRecord struct {
	Name        string `json:"name"`
	Manifest    string `json:"manifest"`
	CloudConfig string `json:"cloud_config"`
	// RuntimeConfigs are the runtime configs deployed with the manifest
	// (their addons and releases).
	RuntimeConfigs []director.ConfigVersion `json:"runtime_configs,omitempty"`
	Releases       []string                 `json:"releases"` // name/version in use
	State          manifest.DeploymentState `json:"state"`
	// Applied holds, per instance id, the digest of what was applied to it
	// (rendered templates, packages, disk), so unchanged instances are skipped.
	Applied map[string]string `json:"applied"`
	// Specs holds, per instance id, what drain compares the next update
	// with: the configuration hash and package versions last applied.
	Specs map[string]appliedSpec `json:"specs,omitempty"`
	// ErrandRuns holds, per errand, what its last successful run ran on
	// (for when-changed).
	ErrandRuns map[string]string `json:"errand_runs,omitempty"`
}

// appliedSpec is the part of an instance's applied spec that the BOSH
// agent hands drain: whether the job changed (the legacy job.sha1 of the
// director's apply spec: the first job's release tarball), whether the
// configuration did and which packages did.
type appliedSpec struct {
	JobSHA1    string            `json:"job_sha1,omitempty"`
	ConfigHash string            `json:"config_hash"`
	Packages   map[string]string `json:"packages"` // name -> version (compiled key)
}

// recordPath is where a deployment's record lives:
// <state>/deployments/<name>/deployment.json. A name that would lead
// anywhere else is an error.
func (d *Deployer) recordPath(name string) (string, error) {
	if err := boshname.Identifier.Check("deployment name", name); err != nil {
		return "", err
	}
	return d.state.Path("deployments", name, "deployment.json")
}

// loadRecord reads a deployment's record; ok is false if there is none.
func (d *Deployer) loadRecord(name string) (rec deploymentRecord, ok bool, err error) {
	path, err := d.recordPath(name)
	if err != nil {
		return rec, false, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return deploymentRecord{Name: name, Applied: map[string]string{}}, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("reading deployment %s: %w", name, err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, false, fmt.Errorf("parsing %s: %w", path, err)
	}
	if rec.Applied == nil {
		rec.Applied = map[string]string{}
	}
	return rec, true, nil
}

// existingRecord reads a deployment's record, or the director's
// deployment-not-found error when there is none.
func (d *Deployer) existingRecord(deployment string) (deploymentRecord, error) {
	rec, ok, err := d.loadRecord(deployment)
	if err == nil && !ok {
		err = director.DeploymentNotFound(deployment)
	}
	return rec, err
}

// saveRecord writes a deployment's record atomically, so a director that
// stops mid-task finds either the old or the new record, never half of one.
func (d *Deployer) saveRecord(rec deploymentRecord) error {
	path, err := d.recordPath(rec.Name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(path, data); err != nil {
		return fmt.Errorf("saving deployment %s: %w", rec.Name, err)
	}
	return nil
}

// writeFileAtomic writes a file (0600) by renaming a complete temporary one over it.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// deploymentNames lists the deployments that have a record. A directory
// whose name no deployment may have is not one.
func (d *Deployer) deploymentNames() ([]string, error) {
	dir, err := d.state.Path("deployments")
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var found []string
	for _, e := range entries {
		path, err := d.recordPath(e.Name())
		if err != nil {
			continue
		}
		if _, err := os.Stat(path); err == nil {
			found = append(found, e.Name())
		}
	}
	slices.Sort(found)
	return found, nil
}
