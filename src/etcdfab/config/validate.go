package config

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
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
	ports := []struct {
		name string
		port int
	}{{"etcd.client_port", e.ClientPort}, {"etcd.peer_port", e.PeerPort}, {"etcd.status_port", e.StatusPort}}
	for i, p := range ports {
		if p.port < 1 || p.port > 65535 {
			add("%s is %d; it must be a TCP port from 1 to 65535", p.name, p.port)
		}
		for _, q := range ports[:i] {
			if p.port == q.port {
				add("%s and %s are both %d; give them different ports", q.name, p.name, p.port)
			}
		}
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
	if e.AutoCompactionMode != "periodic" && e.AutoCompactionMode != "revision" {
		add("etcd.auto_compaction_mode is %q; it must be periodic or revision", e.AutoCompactionMode)
	}
	if e.AutoCompactionRetention == "" {
		add("etcd.auto_compaction_retention is empty; give a duration (periodic, e.g. 1h) or a revision count (revision), or 0 to turn compaction off")
	} else if err := checkRetention(e.AutoCompactionMode, e.AutoCompactionRetention); err != nil {
		add("etcd.auto_compaction_retention %q: %v", e.AutoCompactionRetention, err)
	}
	for _, n := range []struct {
		name  string
		value int64
	}{{"etcd.quota_backend_bytes", e.QuotaBackendBytes}, {"etcd.snapshot_count", int64(e.SnapshotCount)}, {"etcd.max_request_bytes", int64(e.MaxRequestBytes)},
		{"etcd.consistency_check_interval_in_seconds", int64(e.ConsistencyCheckIntervalSeconds)}} {
		if n.value < 1 {
			add("%s is %d; it must be positive", n.name, n.value)
		}
	}
	if e.RemoveStaleMembersAfterSeconds < 0 {
		add("etcd.remove_stale_members_after_seconds is %d; it must be 0 (never) or more", e.RemoveStaleMembersAfterSeconds)
	}
	if (e.RequireSSL || e.PeerRequireSSL) && !validDNSSuffix(c.MemberName()) {
		add("the member name %q (from the instance group name %q) is not a DNS label, which TLS advertises it as; rename the instance group with letters, digits and hyphens", c.MemberName(), n.Name)
	}
	for _, m := range e.Machines {
		if err := checkMachine(m); err != nil {
			add("etcd.machines entry %q: %v", m, err)
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
	errs = append(errs, c.validateDay2()...)
	errs = append(errs, e.Snapshots.validate()...)
	return errors.Join(errs...)
}

// checkRetention accepts what etcd does (a member refuses to start on
// anything else): a whole number (hours for periodic, revisions for
// revision) or, for periodic, a duration such as 30m.
func checkRetention(mode, retention string) error {
	if n, err := strconv.Atoi(retention); err == nil {
		if n < 0 {
			return errors.New("it must not be negative")
		}
		return nil
	}
	if mode == "revision" {
		return errors.New("etcd.auto_compaction_mode revision keeps a number of revisions; give a whole number such as 10000")
	}
	d, err := time.ParseDuration(retention)
	if err != nil {
		return errors.New("etcd refuses it: give a duration such as 1h or 30m, or a whole number of hours")
	}
	if d < 0 {
		return errors.New("it must not be negative")
	}
	return nil
}

// checkMachine accepts <host> and <host>:<port>, host an IP or DNS name.
func checkMachine(entry string) error {
	host := MachineHost(entry)
	if host != entry {
		_, port, _ := net.SplitHostPort(entry)
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return fmt.Errorf("port %q is not a TCP port", port)
		}
	}
	if net.ParseIP(host) == nil && !validDNSSuffix(host) {
		return fmt.Errorf("%q is neither an IP address nor a DNS name; give <ip> or <ip>:<port>", host)
	}
	return nil
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
