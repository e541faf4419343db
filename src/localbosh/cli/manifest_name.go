package cli

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// checkManifestName makes sure a manifest deploys the deployment -d names,
// as the bosh CLI does, so that -d cannot silently point elsewhere.
func checkManifestName(manifest []byte, deployment string) error {
	var doc struct {
		Name string `yaml:"name"`
	}
	if err := yaml.Unmarshal(manifest, &doc); err != nil {
		return fmt.Errorf("Parsing manifest: the manifest must be a YAML map with a 'name': %w", err)
	}
	if doc.Name != deployment {
		return fmt.Errorf("Expected manifest to specify deployment name '%s' but was '%s'", deployment, doc.Name)
	}
	return nil
}
