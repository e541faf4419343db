// Command etcd-testconsumer serves the etcd_testconsumer job's API (package
// testconsumer) over an etcd v3 client of the deployment's members.
package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/testconsumer"
)

// config is what the job renders (config/testconsumer.json).
type config struct {
	Listen string `json:"listen"`
	// Endpoints are the members' client URLs (by IP; https under TLS, with
	// ServerName checked against the certificate).
	Endpoints  []string `json:"endpoints"`
	ServerName string   `json:"server_name"`
	CAFile     string   `json:"ca_file"`
	CertFile   string   `json:"cert_file"`
	KeyFile    string   `json:"key_file"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "etcd-testconsumer:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 3 || os.Args[1] != "-config" {
		return fmt.Errorf("usage: etcd-testconsumer -config FILE")
	}
	data, err := os.ReadFile(os.Args[2])
	if err != nil {
		return err
	}
	var cfg config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("reading %s: %w", os.Args[2], err)
	}
	var tlsConfig *tls.Config
	if cfg.CAFile != "" {
		if tlsConfig, err = etcdclient.TLSConfig(cfg.CAFile, cfg.CertFile, cfg.KeyFile); err != nil {
			return err
		}
		tlsConfig.ServerName = cfg.ServerName
	}
	client, err := etcdclient.NewV3(cfg.Endpoints, tlsConfig)
	if err != nil {
		return err
	}
	defer client.Close()
	server := &http.Server{Addr: cfg.Listen, Handler: testconsumer.New(client, 5*time.Second), ReadHeaderTimeout: 10 * time.Second}
	return server.ListenAndServe()
}
