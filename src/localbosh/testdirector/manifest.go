package testdirector

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

// Manifest reads a deployment manifest as `deploy path -o ops --vars-store
// store` would send it: ops (the text of an ops file, or "") applied, then
// its ((variables)) resolved from the vars store at store, generating the
// declared ones it lacks. With store "" the manifest must have no variables.
func Manifest(path, ops, store string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parsing manifest %s: %w", path, err)
	}
	if ops != "" {
		parsed, err := opsfile.Parse("test-ops.yml", []byte(ops))
		if err != nil {
			return nil, err
		}
		if doc, err = parsed.Apply(doc); err != nil {
			return nil, err
		}
	}
	src, err := vars.Flags{VarsStore: store}.Load()
	if err != nil {
		return nil, err
	}
	if doc, err = vars.Interpolate(doc, src, vars.Options{ExpectAll: true}); err != nil {
		return nil, fmt.Errorf("interpolating manifest %s: %w", path, err)
	}
	return yaml.Marshal(doc)
}
