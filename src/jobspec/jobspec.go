// Package jobspec reads a BOSH job's spec file: its templates, packages,
// properties with their defaults, and the links it consumes and provides.
package jobspec

import (
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// Spec is a job's spec file (jobs/<name>/spec).
type Spec struct {
	Name        string              `yaml:"name"`
	Description string              `yaml:"description,omitempty"`
	Templates   map[string]string   `yaml:"templates"` // source under templates/ -> destination under /var/vcap/jobs/<name>/
	Packages    []string            `yaml:"packages"`
	Properties  map[string]Property `yaml:"properties"` // dotted name -> definition
	Consumes    []Link              `yaml:"consumes"`
	Provides    []Link              `yaml:"provides"`
}

// Property is one declared property. Default is nil when the spec gives none,
// which makes the property required by any template that reads it with p().
type Property struct {
	Description string `yaml:"description"`
	Default     any    `yaml:"default"`
	Example     any    `yaml:"example,omitempty"`
}

// Link is one consumed or provided link. Properties lists, for a provided
// link, the job properties it publishes to consumers.
type Link struct {
	Name       string   `yaml:"name"`
	Type       string   `yaml:"type"`
	Optional   bool     `yaml:"optional,omitempty"`
	Properties []string `yaml:"properties,omitempty"`
}

// Load reads <jobDir>/spec and checks that the spec names the directory it
// lives in, as BOSH requires.
func Load(jobDir string) (Spec, error) {
	path := filepath.Join(jobDir, "spec")
	data, err := os.ReadFile(path)
	if err != nil {
		return Spec{}, fmt.Errorf("reading job spec: %w", err)
	}
	spec, err := Parse(data)
	if err != nil {
		return Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	if dir := filepath.Base(jobDir); spec.Name != dir {
		return Spec{}, fmt.Errorf("%s: job name %q does not match its directory %q; rename one of them", path, spec.Name, dir)
	}
	return spec, nil
}

// Parse decodes a spec file's content.
func Parse(data []byte) (Spec, error) {
	var spec Spec
	if err := yaml.Unmarshal(data, &spec); err != nil {
		return Spec{}, fmt.Errorf("parsing job spec YAML: %w", err)
	}
	if spec.Name == "" {
		return Spec{}, fmt.Errorf("job spec has no 'name'")
	}
	return spec, nil
}
