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
	// StatusPort is where etcdfab answers its peers, before and while etcd
	// runs, whether this node holds data and of which cluster.
	StatusPort int `json:"status_port"`

	HeartbeatIntervalMS int  `json:"heartbeat_interval_in_milliseconds"`
	ElectionTimeoutMS   int  `json:"election_timeout_in_milliseconds"`
	EnableDebugLogging  bool `json:"enable_debug_logging"`

	// Keeping a long-lived cluster from filling up: etcd's history is
	// compacted automatically (mode periodic or revision, with its
	// retention), the backend is capped at QuotaBackendBytes, and etcd
	// snapshots its log every SnapshotCount entries.
	AutoCompactionMode      string `json:"auto_compaction_mode"`
	AutoCompactionRetention string `json:"auto_compaction_retention"`
	QuotaBackendBytes       int64  `json:"quota_backend_bytes"`
	SnapshotCount           int    `json:"snapshot_count"`
	MaxRequestBytes         int    `json:"max_request_bytes"`

	// RemoveStaleMembersAfterSeconds: a member that no instance of the
	// group runs any more (deleted without drain) and that has been down
	// this long is removed, when that keeps quorum.
	RemoveStaleMembersAfterSeconds int `json:"remove_stale_members_after_seconds"`
	// ConsistencyCheckIntervalSeconds paces the split-brain checker.
	ConsistencyCheckIntervalSeconds int `json:"consistency_check_interval_in_seconds"`

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

	// Defrag schedules defragmentation, Metrics etcd's metrics listener
	// (see day2.go).
	Defrag  Defrag  `json:"defrag"`
	Metrics Metrics `json:"metrics"`
	// Snapshots: periodic snapshots and the automatic restore from them.
	Snapshots Snapshots `json:"snapshots"`
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
		StatusPort:             2382,
		HeartbeatIntervalMS:    50,
		ElectionTimeoutMS:      1000,

		AutoCompactionMode:      "periodic",
		AutoCompactionRetention: "1h",
		QuotaBackendBytes:       2 << 30,
		SnapshotCount:           10000,
		MaxRequestBytes:         1572864,

		RemoveStaleMembersAfterSeconds:  300,
		ConsistencyCheckIntervalSeconds: 5,
		StartTimeoutSeconds:             600,
		StopTimeoutSeconds:              60,

		Defrag:    Defrag{MinFreeRatio: 0.25},
		Snapshots: Snapshots{Interval: "1h", Retention: 24, S3: S3{Region: "us-east-1"}},
	}}
}

// Load reads the JSON file at path over the defaults and validates it.
func Load(path string) (Config, error) {
	cfg, err := parse(path)
	if err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("etcdfab config %s: %w", path, err)
	}
	return cfg, nil
}

// LoadForStop is Load for the commands that stop etcd (stop, pre-stop,
// drain): they must work whatever a failed deploy left in the file, so a
// config that does not validate, or does not parse, still gives one, with
// the defaults where the file fails, and the error for the log.
func LoadForStop(path string) (Config, error) {
	cfg, err := parse(path)
	if err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("etcdfab config %s: %w", path, err)
	}
	return cfg, nil
}

func parse(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Default(), fmt.Errorf("reading etcdfab config: %w", err)
	}
	// A value of the wrong type leaves the rest of the file parsed over
	// the defaults, which is what LoadForStop works with.
	cfg := Default()
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("parsing etcdfab config %s: %w", path, err)
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

// CheckerPIDFile is where the consistency checker writes its pid for monit.
func (c Config) CheckerPIDFile() string {
	return filepath.Join(c.Etcd.RunDir, "etcd_consistency_checker.pid")
}

// StaleMemberGrace is how long a member nobody runs must be down before
// it is removed.
func (c Config) StaleMemberGrace() time.Duration {
	return time.Duration(c.Etcd.RemoveStaleMembersAfterSeconds) * time.Second
}

// ConsistencyCheckInterval paces the split-brain checker.
func (c Config) ConsistencyCheckInterval() time.Duration {
	return time.Duration(c.Etcd.ConsistencyCheckIntervalSeconds) * time.Second
}
