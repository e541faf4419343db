package config

import (
	"fmt"
	"time"
)

// Defrag is the scheduled defragmentation (etcd.defrag.*).
type Defrag struct {
	// Interval is a Go duration between runs; "" or "0" turns it off.
	Interval string `json:"interval"`
	// MinFreeRatio: a member is defragmented only when at least this part
	// of its database file is free (0: always).
	MinFreeRatio float64 `json:"min_free_ratio"`
}

// Metrics is etcd's Prometheus listener (etcd.metrics.*).
type Metrics struct {
	// Port serves /metrics and /health on this node's IP; 0 serves none
	// (etcd serves /metrics on the client port all the same).
	Port int `json:"port"`
}

// DefragInterval is the time between scheduled defragmentations, 0 when
// they are off (an invalid value is refused by Validate).
func (c Config) DefragInterval() time.Duration {
	if c.Etcd.Defrag.Interval == "" {
		return 0
	}
	d, _ := time.ParseDuration(c.Etcd.Defrag.Interval)
	return d
}

// ListenMetricsURL is where etcd serves its metrics, "" when it does not:
// https with the client certificates under etcd.require_ssl (etcd serves
// an https metrics URL with its client TLS settings, client-certificate
// auth included), http otherwise.
func (c Config) ListenMetricsURL() string {
	if c.Etcd.Metrics.Port == 0 {
		return ""
	}
	return url(c.Etcd.RequireSSL, c.Node.ExternalIP, c.Etcd.Metrics.Port)
}

func (c Config) validateDay2() []error {
	var errs []error
	d := c.Etcd.Defrag
	if d.Interval != "" {
		if v, err := time.ParseDuration(d.Interval); err != nil || v < 0 || (v > 0 && v < time.Second) {
			errs = append(errs, fmt.Errorf("etcd.defrag.interval %q is not a duration of a second or more; give one such as 24h or 30m, or \"\" (or 0) to turn scheduled defragmentation off", d.Interval))
		}
	}
	if d.MinFreeRatio < 0 || d.MinFreeRatio >= 1 {
		errs = append(errs, fmt.Errorf("etcd.defrag.min_free_ratio is %v; it must be from 0 (defragment always) to below 1", d.MinFreeRatio))
	}
	e := c.Etcd
	if p := e.Metrics.Port; p != 0 {
		if p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("etcd.metrics.port is %d; it must be 0 (no metrics listener) or a TCP port from 1 to 65535", p))
		}
		for _, q := range []struct {
			name string
			port int
		}{{"etcd.client_port", e.ClientPort}, {"etcd.peer_port", e.PeerPort}, {"etcd.status_port", e.StatusPort}} {
			if p == q.port {
				errs = append(errs, fmt.Errorf("etcd.metrics.port and %s are both %d; give them different ports", q.name, p))
			}
		}
	}
	return errs
}
