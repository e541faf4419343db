package app

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

// plan says how etcd should find its cluster: a new one of its own, an
// existing one whose members are listed, or (empty state) the one recorded
// in its data directory.
type plan struct {
	state          string // "new", "existing" or "" (restart on data)
	initialCluster string
	token          string // a new cluster's unique token
}

// newClusterToken is unique to one bootstrap: etcd derives the cluster and
// member IDs of a new cluster from its token and peer URLs, so a cluster
// formed again on the same URLs must never get the old one's IDs (its old
// members' raft traffic would be taken for its own).
func newClusterToken(cfg config.Config) string {
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	return "etcd-" + cfg.Node.Deployment + "-" + cfg.Node.Name + "-" + hex.EncodeToString(nonce)
}

// etcdArgs renders etcd's command line from the config and the plan.
func etcdArgs(cfg config.Config, p plan) []string {
	e := cfg.Etcd
	args := []string{
		"--name", cfg.MemberName(),
		"--data-dir", e.DataDir,
		"--heartbeat-interval", strconv.Itoa(e.HeartbeatIntervalMS),
		"--election-timeout", strconv.Itoa(e.ElectionTimeoutMS),
		"--listen-peer-urls", cfg.ListenPeerURL(),
		"--listen-client-urls", cfg.ListenClientURL(),
		"--initial-advertise-peer-urls", cfg.PeerURL(cfg.Self()),
		"--advertise-client-urls", cfg.ClientURL(cfg.Self()),
		"--strict-reconfig-check=true",
		"--auto-compaction-mode", e.AutoCompactionMode,
		"--auto-compaction-retention", e.AutoCompactionRetention,
		"--quota-backend-bytes", strconv.FormatInt(e.QuotaBackendBytes, 10),
		"--snapshot-count", strconv.Itoa(e.SnapshotCount),
		"--max-request-bytes", strconv.Itoa(e.MaxRequestBytes),
		// Check the data against the other members' before serving, and
		// compare hashes of compacted revisions while running: a member whose
		// data diverged stops instead of serving it.
		"--feature-gates", "InitialCorruptCheck=true,CompactHashCheck=true",
		"--logger", "zap",
		"--log-outputs", "stderr",
		"--log-level", logLevel(e.EnableDebugLogging),
	}
	args = append(args, metricsArgs(cfg)...)
	if p.state != "" {
		args = append(args,
			"--initial-cluster", p.initialCluster,
			"--initial-cluster-state", p.state)
		if p.token != "" {
			args = append(args, "--initial-cluster-token", p.token)
		}
	}
	if e.RequireSSL {
		t := cfg.ServerTLS()
		args = append(args, "--client-cert-auth", "--trusted-ca-file", t.CA, "--cert-file", t.Cert, "--key-file", t.Key)
	}
	if e.PeerRequireSSL {
		t := cfg.PeerTLS()
		// A peer is who the peer CA signed a certificate for the DNS suffix,
		// checked in the certificate itself rather than by resolving its
		// names against the peer's address: consul DNS answers only for
		// healthy members, and a member cut off from its peers must be able
		// to reconnect while it is out of DNS.
		args = append(args, "--peer-client-cert-auth", "--peer-trusted-ca-file", t.CA, "--peer-cert-file", t.Cert, "--peer-key-file", t.Key,
			"--peer-cert-allowed-hostname", e.AdvertiseURLsDNSSuffix, "--peer-skip-client-san-verification")
	}
	return args
}

func logLevel(debug bool) string {
	if debug {
		return "debug"
	}
	return "info"
}
