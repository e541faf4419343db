package deployer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

// deploymentRecord is what the director keeps of a deployment between
// tasks and across restarts: the manifest it last deployed (or is
// deploying), the cloud config that went with it, and its instances.
type deploymentRecord struct {
	Name        string                   `json:"name"`
	Manifest    string                   `json:"manifest"`
	CloudConfig string                   `json:"cloud_config"`
	Releases    []string                 `json:"releases"` // name/version in use
	State       manifest.DeploymentState `json:"state"`
	// Applied holds, per instance id, the digest of what was applied to it
	// (rendered templates, packages, disk), so unchanged instances are skipped.
	Applied map[string]string `json:"applied"`
}

func (d *Deployer) deploymentsDir() string { return filepath.Join(d.stateDir, "deployments") }

func (d *Deployer) recordPath(name string) string {
	return filepath.Join(d.deploymentsDir(), name, "deployment.json")
}

// loadRecord reads a deployment's record; ok is false if there is none.
func (d *Deployer) loadRecord(name string) (rec deploymentRecord, ok bool, err error) {
	data, err := os.ReadFile(d.recordPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return deploymentRecord{Name: name, Applied: map[string]string{}}, false, nil
	}
	if err != nil {
		return rec, false, fmt.Errorf("reading deployment %s: %w", name, err)
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return rec, false, fmt.Errorf("parsing %s: %w", d.recordPath(name), err)
	}
	if rec.Applied == nil {
		rec.Applied = map[string]string{}
	}
	return rec, true, nil
}

// saveRecord writes a deployment's record atomically, so a director that
// stops mid-task finds either the old or the new record, never half of one.
func (d *Deployer) saveRecord(rec deploymentRecord) error {
	path := d.recordPath(rec.Name)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("saving deployment %s: %w", rec.Name, err)
	}
	return os.Rename(tmp, path)
}

// deploymentNames lists the deployments that have a record.
func (d *Deployer) deploymentNames() ([]string, error) {
	entries, err := os.ReadDir(d.deploymentsDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(d.recordPath(e.Name())); err == nil {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}
