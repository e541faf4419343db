package app

import "github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"

// BootstrapArgs is etcd's command line as etcdfab renders it when cfg's
// node forms a new cluster with the members of initialCluster
// ("name=peer-url,..."); RestartArgs is the one for a restart on data.
// Benchmarks start the same etcd binary with these by hand, so that the
// baseline runs with exactly the flags the release passes.
func BootstrapArgs(cfg config.Config, initialCluster, token string) []string {
	return etcdArgs(cfg, plan{state: "new", initialCluster: initialCluster, token: token})
}

// RestartArgs is etcd's command line for a restart on data.
func RestartArgs(cfg config.Config) []string { return etcdArgs(cfg, plan{}) }

// metricsArgs serve etcd's metrics on a listener of their own when
// etcd.metrics.port is set.
func metricsArgs(cfg config.Config) []string {
	if u := cfg.ListenMetricsURL(); u != "" {
		return []string{"--listen-metrics-urls", u}
	}
	return nil
}
