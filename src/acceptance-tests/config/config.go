// Package config reads the acceptance suite's configuration: the JSON file
// EATS_CONFIG names, as the original etcd-release's suite read it.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Config is the EATS_CONFIG file.
type Config struct {
	BOSH BOSH `json:"bosh"`
	// AWS and Registry are the original suite's settings for AWS
	// deployments; they are accepted and not used (the suite deploys the
	// bosh-lite manifests on the director's cloud config).
	AWS      map[string]any `json:"aws,omitempty"`
	Registry map[string]any `json:"registry,omitempty"`

	// EtcdReleaseVersion is the version of the etcd release under test;
	// "latest" (the default) is the newest uploaded.
	EtcdReleaseVersion string `json:"etcd_release_version,omitempty"`
	// LatestEtcdReleaseVersion is the earlier version the rolling upgrade
	// starts from, uploaded beforehand; "latest" is the newest version
	// below EtcdReleaseVersion.
	LatestEtcdReleaseVersion string `json:"latest_etcd_release_version,omitempty"`
	// EnableTurbulenceTests runs the fault scenarios (processes killed and
	// paused, traffic dropped, disks lost), which colocate the release's
	// turbulence_agent job with etcd.
	EnableTurbulenceTests bool `json:"enable_turbulence_tests,omitempty"`
	// Manifests is the directory holding etcd.yml and ops/ (the
	// repository's manifests/bosh-lite, which the errand's package
	// carries); default the repository's, relative to the suite.
	Manifests string `json:"manifests,omitempty"`
	// DeploymentPrefix starts the name of every deployment the suite
	// makes (default "eats"); the precheck refuses to run while any
	// deployment so named exists.
	DeploymentPrefix string `json:"deployment_prefix,omitempty"`
}

// BOSH says how to reach the director.
type BOSH struct {
	// Target is the director's address: "https://host:port", "host:port" or "host".
	Target   string `json:"target"`
	Username string `json:"username"`
	Password string `json:"password"`
	// DirectorCACert is the PEM of the director's CA (empty: system roots).
	DirectorCACert string `json:"director_ca_cert,omitempty"`
}

// Load reads the file the EATS_CONFIG value names; it must be an absolute path.
func Load(path string) (Config, error) {
	if path == "" {
		return Config{}, errors.New("EATS_CONFIG is not set: export it as the absolute path of the suite's JSON configuration (bosh.target, bosh.username, bosh.password)")
	}
	if !filepath.IsAbs(path) {
		return Config{}, fmt.Errorf("EATS_CONFIG %q is not an absolute path", path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading EATS_CONFIG: %w", err)
	}
	var cfg Config
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("parsing EATS_CONFIG %s: %w", path, err)
	}
	return cfg.withDefaults(), cfg.validate(path)
}

func (c Config) withDefaults() Config {
	if c.EtcdReleaseVersion == "" {
		c.EtcdReleaseVersion = "latest"
	}
	if c.LatestEtcdReleaseVersion == "" {
		c.LatestEtcdReleaseVersion = "latest"
	}
	if c.DeploymentPrefix == "" {
		c.DeploymentPrefix = "eats"
	}
	return c
}

func (c Config) validate(path string) error {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"bosh.target", c.BOSH.Target}, {"bosh.username", c.BOSH.Username}, {"bosh.password", c.BOSH.Password},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("EATS_CONFIG %s lacks %s", path, strings.Join(missing, ", "))
	}
	if c.BOSH.DirectorCACert != "" && !strings.Contains(c.BOSH.DirectorCACert, "-----BEGIN CERTIFICATE-----") {
		return fmt.Errorf("EATS_CONFIG %s: bosh.director_ca_cert holds no PEM certificate", path)
	}
	return nil
}
