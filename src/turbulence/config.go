package turbulence

import (
	"encoding/json"
	"fmt"
	"os"
)

// Config is what the turbulence_agent job renders (config/agent.json).
type Config struct {
	Listen   string `json:"listen"`
	Username string `json:"username"`
	Password string `json:"password"`
	// Monit is the monit command line; empty finds the stemcell's.
	Monit []string `json:"monit"`
}

// LoadConfig reads the rendered configuration.
func LoadConfig(path string) (Config, error) {
	var cfg Config
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &cfg)
	}
	if err != nil {
		return Config{}, fmt.Errorf("reading the agent's configuration %s: %w", path, err)
	}
	if len(cfg.Monit) == 0 {
		cfg.Monit = monitCommand()
	}
	return cfg, nil
}

// monitCommand is a BOSH stemcell's monit, or localbosh's (on the PATH,
// with the VM's monitrc).
func monitCommand() []string {
	if _, err := os.Stat("/var/vcap/bosh/bin/monit"); err == nil {
		return []string{"/var/vcap/bosh/bin/monit"}
	}
	return []string{"monit", "-c", "/var/vcap/monit/monitrc"}
}
