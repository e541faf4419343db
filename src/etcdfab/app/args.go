package app

import (
	"strconv"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

// bootstrapPlan and friends say how etcd should find its cluster: a new one
// of its own, an existing one whose members are listed, or (empty) the one
// recorded in its data directory.
type plan struct {
	state          string // "new", "existing" or "" (restart on data)
	initialCluster string
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
		"--logger", "zap",
		"--log-outputs", "stderr",
		"--log-level", logLevel(e.EnableDebugLogging),
	}
	if p.state != "" {
		args = append(args,
			"--initial-cluster", p.initialCluster,
			"--initial-cluster-state", p.state,
			"--initial-cluster-token", "etcd-cluster-"+cfg.Node.Deployment+"-"+cfg.Node.Name)
	}
	if e.RequireSSL {
		t := cfg.ServerTLS()
		args = append(args, "--client-cert-auth", "--trusted-ca-file", t.CA, "--cert-file", t.Cert, "--key-file", t.Key)
	}
	if e.PeerRequireSSL {
		t := cfg.PeerTLS()
		args = append(args, "--peer-client-cert-auth", "--peer-trusted-ca-file", t.CA, "--peer-cert-file", t.Cert, "--peer-key-file", t.Key)
	}
	return args
}

func logLevel(debug bool) string {
	if debug {
		return "debug"
	}
	return "info"
}
