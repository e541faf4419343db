package cli

import (
	"flag"
	"fmt"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/downgrade"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
)

// runDowngrade prepares the cluster for the previous release's etcd (see
// package downgrade); it runs on any one member, by hand, before that
// release is deployed.
func runDowngrade(args []string, io IO) int {
	flags := flag.NewFlagSet("etcdfab downgrade", flag.ContinueOnError)
	flags.SetOutput(io.Stderr)
	configPath := flags.String("config", "/var/vcap/jobs/etcd/config/etcdfab.json", "path to the rendered etcdfab config")
	snapshotPath := flags.String("snapshot", "", "where to save the snapshot taken first (required; room for the whole database)")
	target := flags.String("to", "", "the minor to go back to, e.g. 3.6 (default: the one before the cluster's)")
	timeout := flags.Duration("timeout", 5*time.Minute, "how long to wait for every member to store its data for the target")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	log := newLogger(io.Stderr).With("command", "downgrade")
	cfg, err := config.Load(*configPath)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		return 1
	}
	t := loadTLS(cfg)
	if t.err != nil {
		log.Error("the TLS files do not load", "error", t.err.Error())
		return 1
	}
	var endpoints []string
	for _, p := range cfg.Group() {
		endpoints = append(endpoints, cfg.PeerClientURL(p))
	}
	c, err := etcdclient.Dial(endpoints, t.client)
	if err != nil {
		log.Error("downgrade failed", "error", err.Error())
		return 1
	}
	defer c.Close()
	ctx, cancel := stopSignals()
	defer cancel()
	res, err := downgrade.Run(ctx, c, downgrade.Options{Endpoints: endpoints, SnapshotPath: *snapshotPath, Target: *target, Timeout: *timeout}, log)
	if err != nil {
		log.Error("downgrade failed", "error", err.Error())
		return 1
	}
	fmt.Fprintf(io.Stdout, "cluster %s -> %s: snapshot %s (%d bytes); every member stores its data for %s.\n"+
		"Now deploy the release with etcd %s (BOSH replaces the members one at a time); etcd ends the downgrade once all run it.\n",
		res.From, res.Target, *snapshotPath, res.SnapshotBytes, res.Target, res.Target)
	return 0
}
