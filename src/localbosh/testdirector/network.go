package testdirector

import (
	"fmt"
	"net/netip"
)

// Network is the test director's VM network: one /24 of its own, as the
// cloud config describes it.
type Network struct {
	Subnet  netip.Prefix
	Gateway netip.Addr // the bridge's address, .1
	// Static are the addresses manifests may give as static_ips
	// (.10 - .40); dynamic addresses come from above .40.
	Static []netip.Addr
}

// The layout of every test director's /24.
const (
	reservedFirst, reservedLast = 2, 9
	staticFirst, staticLast     = 10, 40
)

func networkFor(n int) Network {
	base := [4]byte{10, 246, byte(n), 0}
	at := func(host byte) netip.Addr { b := base; b[3] = host; return netip.AddrFrom4(b) }
	nw := Network{Subnet: netip.PrefixFrom(netip.AddrFrom4(base), 24), Gateway: at(1)}
	for h := staticFirst; h <= staticLast; h++ {
		nw.Static = append(nw.Static, at(byte(h)))
	}
	return nw
}

// StaticIP is the i-th static address (0-based).
func (n Network) StaticIP(i int) netip.Addr { return n.Static[i] }

// Outside is an address of the subnet that is not in the static range.
func (n Network) Outside() netip.Addr { return n.Static[len(n.Static)-1].Next().Next() }

// CloudConfig is the cloud config the test director is given: AZ z1, a
// manual network "default" over the subnet, vm_type and disk_type
// "default", and compilation on the default network.
func (n Network) CloudConfig() []byte {
	host := func(h int) netip.Addr {
		b := n.Subnet.Addr().As4()
		b[3] = byte(h)
		return netip.AddrFrom4(b)
	}
	return fmt.Appendf(nil, `---
azs:
- name: z1
networks:
- name: default
  type: manual
  subnets:
  - range: %s
    gateway: %s
    az: z1
    dns: []
    reserved:
    - %s - %s
    static:
    - %s - %s
vm_types:
- name: default
disk_types:
- name: default
  disk_size: 1024
compilation:
  workers: 1
  az: z1
  network: default
  vm_type: default
  reuse_compilation_vms: true
`, n.Subnet, n.Gateway, host(reservedFirst), host(reservedLast), host(staticFirst), host(staticLast))
}
