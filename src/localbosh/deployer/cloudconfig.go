package deployer

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

// mergeCloudConfigs combines the named cloud configs into one, as the BOSH
// director does: their lists are concatenated, compilation comes from the
// config that has it.
func mergeCloudConfigs(configs []director.ConfigVersion) (string, error) {
	if len(configs) == 0 {
		return "", fmt.Errorf("no cloud config: upload one first (localbosh update-cloud-config manifests/bosh-lite/cloud-config.yml)")
	}
	if len(configs) == 1 {
		return configs[0].Content, nil
	}
	merged := map[string]any{}
	for _, c := range configs {
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(c.Content), &doc); err != nil {
			return "", fmt.Errorf("cloud config '%s': %w", c.Name, err)
		}
		for key, value := range doc {
			if list, ok := value.([]any); ok {
				prev, _ := merged[key].([]any)
				merged[key] = append(prev, list...)
			} else if _, taken := merged[key]; !taken {
				merged[key] = value
			}
		}
	}
	out, err := yaml.Marshal(merged)
	return string(out), err
}

// parseCloudConfig merges and parses the cloud configs of a deploy.
func parseCloudConfig(configs []director.ConfigVersion) (string, manifest.CloudConfig, error) {
	content, err := mergeCloudConfigs(configs)
	if err != nil {
		return "", manifest.CloudConfig{}, err
	}
	cc, err := manifest.ParseCloudConfig([]byte(content))
	return content, cc, err
}
