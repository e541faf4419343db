package config

import (
	"fmt"
	"net"
	"strconv"
)

// MemberName is the etcd member name of an instance: <instance-group>-<index>,
// which is also its DNS label under TLS.
func (i Instance) MemberName() string { return fmt.Sprintf("%s-%d", i.Name, i.Index) }

// Self is this node as an instance of its group.
func (c Config) Self() Instance {
	return Instance{Name: c.Node.Name, Index: c.Node.Index, Address: c.Node.ExternalIP}
}

// MemberName is this node's etcd member name.
func (c Config) MemberName() string { return c.Self().MemberName() }

// host is how an instance is addressed: by its consul DNS name when TLS is on
// (certificates name hosts, not IPs), by IP otherwise.
func (c Config) host(i Instance, tls bool) string {
	if tls {
		return i.MemberName() + "." + c.Etcd.AdvertiseURLsDNSSuffix
	}
	return i.Address
}

func url(tls bool, host string, port int) string {
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port))
}

// ClientURL is the client URL an instance advertises.
func (c Config) ClientURL(i Instance) string {
	return url(c.Etcd.RequireSSL, c.host(i, c.Etcd.RequireSSL), c.Etcd.ClientPort)
}

// PeerURL is the peer URL an instance advertises.
func (c Config) PeerURL(i Instance) string {
	return url(c.Etcd.PeerRequireSSL, c.host(i, c.Etcd.PeerRequireSSL), c.Etcd.PeerPort)
}

// ListenClientURL and ListenPeerURL bind to this node's own IP, so several
// nodes can share one host's loopback range in tests.
func (c Config) ListenClientURL() string {
	return url(c.Etcd.RequireSSL, c.Node.ExternalIP, c.Etcd.ClientPort)
}

// ListenPeerURL is the URL etcd listens on for peers.
func (c Config) ListenPeerURL() string {
	return url(c.Etcd.PeerRequireSSL, c.Node.ExternalIP, c.Etcd.PeerPort)
}

// OtherClientURLs are the client URLs of every other known instance: the
// places to look for an existing cluster.
func (c Config) OtherClientURLs() []string {
	self := c.MemberName()
	var urls []string
	for _, inst := range c.Etcd.Cluster {
		if inst.MemberName() != self {
			urls = append(urls, c.ClientURL(inst))
		}
	}
	if len(c.Etcd.Cluster) == 0 {
		own := map[string]bool{c.Node.ExternalIP: true, c.host(c.Self(), true): true}
		for _, m := range c.Etcd.Machines {
			if !own[m] {
				urls = append(urls, url(c.Etcd.RequireSSL, m, c.Etcd.ClientPort))
			}
		}
	}
	return urls
}
