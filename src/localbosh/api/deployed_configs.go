package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// deployedConfigs remembers, per deployment, the IDs of the cloud and
// runtime config versions its last successful deploy used, as the director
// records a deployment's configs: the diff's "before", the context a deploy
// may name, and GET /deployments' cloud_config (latest or outdated).
type deployedConfigs struct {
	path string

	mu   sync.Mutex
	byDS map[string]configIDs
}

// configIDs are config version IDs of a deploy, by type.
type configIDs struct {
	Cloud   []string `json:"cloud_config_ids"`
	Runtime []string `json:"runtime_config_ids"`
}

func openDeployedConfigs(path string) (*deployedConfigs, error) {
	d := &deployedConfigs{path: path, byDS: map[string]configIDs{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the deployments' configs: %w", err)
	}
	if err := json.Unmarshal(data, &d.byDS); err != nil {
		return nil, fmt.Errorf("decoding %s: %w (remove it: diffs then compare with the latest configs)", path, err)
	}
	return d, nil
}

func (d *deployedConfigs) get(deployment string) (configIDs, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids, ok := d.byDS[deployment]
	return ids, ok
}

// set records the configs a deployment was deployed with; nil forgets it.
func (d *deployedConfigs) set(deployment string, ids *configIDs) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ids == nil {
		delete(d.byDS, deployment)
	} else {
		d.byDS[deployment] = *ids
	}
	data, err := json.Marshal(d.byDS)
	if err != nil {
		return err
	}
	if err := os.WriteFile(d.path+".tmp", data, 0o600); err != nil {
		return fmt.Errorf("saving the deployments' configs: %w", err)
	}
	return os.Rename(d.path+".tmp", d.path)
}

func idsOf(versions []director.ConfigVersion) []string {
	ids := []string{}
	for _, v := range versions {
		ids = append(ids, v.ID)
	}
	slices.Sort(ids)
	return ids
}
