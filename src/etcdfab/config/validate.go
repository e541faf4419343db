package config

import (
	"errors"
	"fmt"
	"net"
	"strings"
)

// Validate checks the cross-field rules etcd and this job impose. It does no
// I/O: certificate content is checked by the validate command instead. Each
// error names the manifest property an operator has to change.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	n, e := c.Node, c.Etcd
	if n.Name == "" {
		add("node.name (the instance group name) is empty; the job's etcdfab.json template must render spec.name")
	}
	if n.Index < 0 {
		add("node.index is %d; it must be 0 or more", n.Index)
	}
	if net.ParseIP(n.ExternalIP) == nil {
		add("node.external_ip %q is not an IP address; the job's etcdfab.json template must render spec.ip", n.ExternalIP)
	}
	for _, p := range []struct {
		name string
		port int
	}{{"etcd.client_port", e.ClientPort}, {"etcd.peer_port", e.PeerPort}} {
		if p.port < 1 || p.port > 65535 {
			add("%s is %d; it must be a TCP port from 1 to 65535", p.name, p.port)
		}
	}
	if e.ClientPort == e.PeerPort {
		add("etcd.client_port and etcd.peer_port are both %d; give them different ports", e.ClientPort)
	}
	if e.HeartbeatIntervalMS < 1 {
		add("etcd.heartbeat_interval_in_milliseconds is %d; it must be positive", e.HeartbeatIntervalMS)
	}
	// etcd refuses an election timeout under five heartbeats or over 50 s.
	if e.ElectionTimeoutMS < 5*e.HeartbeatIntervalMS {
		add("etcd.election_timeout_in_milliseconds (%d) must be at least 5 times etcd.heartbeat_interval_in_milliseconds (%d)",
			e.ElectionTimeoutMS, e.HeartbeatIntervalMS)
	}
	if e.ElectionTimeoutMS > 50000 {
		add("etcd.election_timeout_in_milliseconds is %d; etcd allows at most 50000", e.ElectionTimeoutMS)
	}
	if (e.RequireSSL || e.PeerRequireSSL) && !validDNSSuffix(e.AdvertiseURLsDNSSuffix) {
		add("etcd.advertise_urls_dns_suffix %q is not a DNS name; TLS (etcd.require_ssl or etcd.peer_require_ssl) advertises <instance-group>-<index>.<suffix>, so set it (for example etcd.service.cf.internal)",
			e.AdvertiseURLsDNSSuffix)
	}
	for _, dir := range []struct{ name, path string }{
		{"etcd.data_dir", e.DataDir}, {"etcd.run_dir", e.RunDir}, {"etcd.log_dir", e.LogDir}, {"etcd.etcd_path", e.EtcdPath},
	} {
		if !strings.HasPrefix(dir.path, "/") {
			add("%s %q must be an absolute path", dir.name, dir.path)
		}
	}
	if e.StartTimeoutSeconds < 1 || e.StopTimeoutSeconds < 1 {
		add("etcd.start_timeout_in_seconds (%d) and etcd.stop_timeout_in_seconds (%d) must be positive",
			e.StartTimeoutSeconds, e.StopTimeoutSeconds)
	}
	seen := map[string]bool{}
	for _, inst := range e.Cluster {
		name := inst.MemberName()
		if seen[name] {
			add("the etcd link lists %s twice; each instance needs its own index", name)
		}
		seen[name] = true
		if inst.Address == "" {
			add("the etcd link's instance %s has no address", name)
		}
	}
	return errors.Join(errs...)
}

func validDNSSuffix(s string) bool {
	if s == "" || strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}
