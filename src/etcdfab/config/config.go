// Package config loads etcdfab's configuration: the JSON file that the etcd
// job renders from manifest properties, the instance's spec and the etcd link.
package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Config is everything etcdfab knows about this node and its cluster.
type Config struct {
	Node Node `json:"node"`
	Etcd Etcd `json:"etcd"`
}

// Node is this instance as BOSH describes it in the job's spec.
type Node struct {
	Name       string `json:"name"` // instance group name
	Index      int    `json:"index"`
	ID         string `json:"id"`
	ExternalIP string `json:"external_ip"`
	Bootstrap  bool   `json:"bootstrap"`
	Deployment string `json:"deployment"`
}

// Instance is one member of the instance group, from the etcd link.
type Instance struct {
	Name    string `json:"name"` // instance group name
	Index   int    `json:"index"`
	Address string `json:"address"`
}

// Etcd holds the etcd job's properties and paths.
type Etcd struct {
	EtcdPath string `json:"etcd_path"`
	DataDir  string `json:"data_dir"`
	RunDir   string `json:"run_dir"`
	LogDir   string `json:"log_dir"`
	CertDir  string `json:"cert_dir"`

	RequireSSL             bool   `json:"require_ssl"`
	PeerRequireSSL         bool   `json:"peer_require_ssl"`
	AdvertiseURLsDNSSuffix string `json:"advertise_urls_dns_suffix"`
	// DNSHealthCheckHost, when TLS is on, must resolve before etcd starts:
	// members find each other by name, so starting before DNS works fails.
	DNSHealthCheckHost string `json:"dns_health_check_host"`
	ClientPort         int    `json:"client_port"`
	PeerPort           int    `json:"peer_port"`

	HeartbeatIntervalMS int  `json:"heartbeat_interval_in_milliseconds"`
	ElectionTimeoutMS   int  `json:"election_timeout_in_milliseconds"`
	EnableDebugLogging  bool `json:"enable_debug_logging"`

	// Cluster lists the instance group's instances (from the etcd link).
	// Machines lists peer addresses directly (etcd.machines) and is used
	// when Cluster is empty.
	Cluster  []Instance `json:"cluster"`
	Machines []string   `json:"machines"`

	// StartTimeoutSeconds bounds how long start may take to reach a healthy
	// member (joining a large cluster takes a while); StopTimeoutSeconds how
	// long a graceful stop may take before etcd is killed.
	StartTimeoutSeconds int `json:"start_timeout_in_seconds"`
	StopTimeoutSeconds  int `json:"stop_timeout_in_seconds"`
}

// Default returns the values a rendered config may leave out.
func Default() Config {
	return Config{Etcd: Etcd{
		EtcdPath:               "/var/vcap/packages/etcd/bin/etcd",
		DataDir:                "/var/vcap/store/etcd",
		RunDir:                 "/var/vcap/sys/run/etcd",
		LogDir:                 "/var/vcap/sys/log/etcd",
		CertDir:                "/var/vcap/jobs/etcd/config/certs",
		AdvertiseURLsDNSSuffix: "etcd.service.cf.internal",
		ClientPort:             2379,
		PeerPort:               2380,
		HeartbeatIntervalMS:    50,
		ElectionTimeoutMS:      1000,
		StartTimeoutSeconds:    600,
		StopTimeoutSeconds:     60,
	}}
}

// Load reads the JSON file at path over the defaults and validates it.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("reading etcdfab config: %w", err)
	}
	cfg := Default()
	if err := json.Unmarshal(data, &cfg); err != nil {
		return Config{}, fmt.Errorf("parsing etcdfab config %s: %w", path, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("etcdfab config %s: %w", path, err)
	}
	return cfg, nil
}

// StartTimeout is the deadline for start to reach a healthy member.
func (c Config) StartTimeout() time.Duration {
	return time.Duration(c.Etcd.StartTimeoutSeconds) * time.Second
}

// StopTimeout is the deadline for a graceful stop.
func (c Config) StopTimeout() time.Duration {
	return time.Duration(c.Etcd.StopTimeoutSeconds) * time.Second
}

// PIDFile is where start writes etcdfab's own pid, for monit and for stop.
func (c Config) PIDFile() string { return filepath.Join(c.Etcd.RunDir, "etcd.pid") }

// MemberDir is the directory etcd keeps its WAL and snapshots in; its
// presence is what "this node has local data" means.
func (c Config) MemberDir() string { return filepath.Join(c.Etcd.DataDir, "member") }
