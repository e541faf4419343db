package testconsumer

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"os"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
)

// Config is what the etcd_testconsumer job renders (config/testconsumer.json).
type Config struct {
	Listen string `json:"listen"`
	// Endpoints are the members' client URLs (by IP; https under TLS, with
	// ServerName checked against their certificates).
	Endpoints  []string `json:"endpoints"`
	ServerName string   `json:"server_name"`
	CAFile     string   `json:"ca_file"`
	CertFile   string   `json:"cert_file"`
	KeyFile    string   `json:"key_file"`
}

// LoadConfig reads the rendered configuration.
func LoadConfig(path string) (Config, error) {
	var cfg Config
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &cfg)
	}
	if err != nil {
		return Config{}, fmt.Errorf("reading the test consumer's configuration %s: %w", path, err)
	}
	return cfg, nil
}

// TLS is the client TLS configuration, nil for a plain cluster.
func (c Config) TLS() (*tls.Config, error) {
	if c.CAFile == "" {
		return nil, nil
	}
	tlsConfig, err := etcdclient.TLSConfig(c.CAFile, c.CertFile, c.KeyFile)
	if err != nil {
		return nil, err
	}
	tlsConfig.ServerName = c.ServerName
	return tlsConfig, nil
}
