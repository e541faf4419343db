package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// MemberName is the etcd member name of an instance:
// <instance-group>-<index>, which is also its DNS label under TLS. Consul
// tags and DNS labels cannot hold underscores, so they become hyphens, as
// the original release did (etcd_z1 advertises etcd-z1-0).
func (i Instance) MemberName() string {
	return fmt.Sprintf("%s-%d", strings.ReplaceAll(i.Name, "_", "-"), i.Index)
}

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

// AdvertisedName is this node's DNS name under TLS.
func (c Config) AdvertisedName() string { return c.host(c.Self(), true) }

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

// Peer is an instance of the group as etcdfab reaches it: by its address
// (the link's IP, or an etcd.machines entry), never by a DNS name that only
// resolves once the member is healthy. Under TLS, certificates are checked
// against the DNS suffix instead (see TLSServerName).
type Peer struct {
	Name    string // the member name, or the address when etcd.machines gives no names
	Address string
}

// Group is every instance of the cluster's group, this one included: the
// link's instances, or else etcd.machines, or else this instance alone.
func (c Config) Group() []Peer {
	var group []Peer
	for _, inst := range c.Etcd.Cluster {
		group = append(group, Peer{Name: inst.MemberName(), Address: inst.Address})
	}
	if len(group) == 0 {
		for _, m := range c.Etcd.Machines {
			host := MachineHost(m)
			group = append(group, Peer{Name: host, Address: host})
		}
	}
	if len(group) == 0 {
		group = []Peer{c.SelfPeer()}
	}
	return group
}

// SelfPeer is this instance as its peers reach it.
func (c Config) SelfPeer() Peer {
	for _, p := range c.Group() {
		if c.IsSelf(p) {
			return p
		}
	}
	return Peer{Name: c.MemberName(), Address: c.Node.ExternalIP}
}

// IsSelf reports whether p is this instance.
func (c Config) IsSelf(p Peer) bool {
	return p.Name == c.MemberName() || p.Address == c.Node.ExternalIP || p.Address == c.host(c.Self(), true)
}

// Others are the group's instances other than this one: the places to
// look for an existing cluster.
func (c Config) Others() []Peer {
	var others []Peer
	for _, p := range c.Group() {
		if !c.IsSelf(p) {
			others = append(others, p)
		}
	}
	return others
}

// OtherClientURLs are the client URLs of the other instances, by address.
func (c Config) OtherClientURLs() []string {
	var urls []string
	for _, p := range c.Others() {
		urls = append(urls, c.PeerClientURL(p))
	}
	return urls
}

// PeerClientURL is the client URL etcdfab dials an instance at.
func (c Config) PeerClientURL(p Peer) string {
	return url(c.Etcd.RequireSSL, p.Address, c.Etcd.ClientPort)
}

// StatusURL is where an instance's etcdfab answers status requests.
func (c Config) StatusURL(p Peer) string {
	return url(c.Etcd.PeerRequireSSL, p.Address, c.Etcd.StatusPort) + "/status"
}

// ListenStatusAddr is where this node's etcdfab answers status requests.
func (c Config) ListenStatusAddr() string {
	return net.JoinHostPort(c.Node.ExternalIP, strconv.Itoa(c.Etcd.StatusPort))
}

// TLSServerName is the name etcdfab checks members' certificates against
// when it dials them by address: the DNS suffix, which the server and peer
// certificates cover.
func (c Config) TLSServerName() string { return c.Etcd.AdvertiseURLsDNSSuffix }

// MayBootstrap reports whether this is the one instance that may form a new
// cluster. With the etcd link, that is BOSH's bootstrap instance of the
// group. With etcd.machines, several instance groups may share one cluster
// and each has a bootstrap instance of its own, so only the instance at the
// first address of etcd.machines may.
func (c Config) MayBootstrap() bool {
	if len(c.Etcd.Cluster) > 0 || len(c.Etcd.Machines) == 0 {
		return c.Node.Bootstrap
	}
	first := MachineHost(c.Etcd.Machines[0])
	return c.IsSelf(Peer{Name: first, Address: first})
}

// MachineHost is the host of an etcd.machines entry, which may carry a
// port (<ip>:<port>, as the original release's README wrote them); etcd's
// own ports come from etcd.client_port and etcd.peer_port.
func MachineHost(entry string) string {
	if host, _, err := net.SplitHostPort(entry); err == nil {
		return host
	}
	return entry
}

// EtcdctlEnv configures etcdctl for this cluster: the members' client URLs
// (their names under TLS, which their certificates cover; the DNS suffix
// when etcd.machines gives no names) and the client certificate.
func (c Config) EtcdctlEnv() []string {
	var endpoints []string
	for _, inst := range c.Etcd.Cluster {
		endpoints = append(endpoints, c.ClientURL(inst))
	}
	if len(endpoints) == 0 {
		if c.Etcd.RequireSSL {
			endpoints = []string{url(true, c.Etcd.AdvertiseURLsDNSSuffix, c.Etcd.ClientPort)}
		} else {
			for _, p := range c.Group() {
				endpoints = append(endpoints, c.PeerClientURL(p))
			}
		}
	}
	env := []string{"ETCDCTL_ENDPOINTS=" + strings.Join(endpoints, ",")}
	if c.Etcd.RequireSSL {
		t := c.ClientTLS()
		env = append(env, "ETCDCTL_CACERT="+t.CA, "ETCDCTL_CERT="+t.Cert, "ETCDCTL_KEY="+t.Key)
	}
	return env
}
