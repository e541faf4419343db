package vm

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// sysClassNet shows the host's interfaces.
const sysClassNet = "/sys/class/net"

// EnsureNetwork creates the bridge with the gateway address and the
// iptables rules that keep VM traffic on the bridge (FORWARD) and VMs off
// the host but for the director's API and DNS and the gateway services
// (INPUT). It is idempotent and
// Create calls it; a bridge of the same name that localbosh did not create
// is an error wrapping ErrNotOurs, never modified.
func (m *Manager) EnsureNetwork(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.ensureNetworkLocked(ctx)
}

func (m *Manager) ensureNetworkLocked(ctx context.Context) error {
	if m.networkReady {
		return nil
	}
	if err := m.ensureBridge(ctx); err != nil {
		return err
	}
	if err := ensureIsolation(ctx, m.opts.Runner, m.opts.Prefix, m.opts.Bridge); err != nil {
		return err
	}
	if err := ensureInputRules(ctx, m.opts.Runner, m.opts.Prefix, m.opts.Bridge, m.opts.Gateway, m.opts.DirectorPort, m.opts.GatewayServices); err != nil {
		return err
	}
	m.networkReady = true
	return nil
}

func (m *Manager) ensureBridge(ctx context.Context) error {
	br, alias := m.opts.Bridge, bridgeAlias(m.opts.Prefix)
	exists, err := interfaceExists(br)
	if err != nil {
		return err
	}
	if exists {
		if err := checkOurBridge(br, alias); err != nil {
			return err
		}
	} else {
		if _, err := run(ctx, m.opts.Runner, "ip", "link", "add", "name", br, "type", "bridge"); err != nil {
			return fmt.Errorf("creating bridge %s: %w", br, err)
		}
		if _, err := run(ctx, m.opts.Runner, "ip", "link", "set", "dev", br, "alias", alias); err != nil {
			return fmt.Errorf("marking bridge %s as localbosh's: %w", br, err)
		}
		m.opts.Logger.Info("created bridge", "bridge", br)
	}
	// VMs speak IPv4 only: no IPv6 route can lead off the bridge.
	if err := disableIPv6(filepath.Join("/proc/sys/net/ipv6/conf", br, "disable_ipv6")); err != nil {
		return fmt.Errorf("bridge %s: %w", br, err)
	}
	gw := netip.PrefixFrom(m.opts.Gateway, m.opts.Subnet.Bits()).String()
	if _, err := run(ctx, m.opts.Runner, "ip", "addr", "replace", gw, "dev", br); err != nil {
		return fmt.Errorf("giving bridge %s the gateway address %s: %w", br, gw, err)
	}
	if _, err := run(ctx, m.opts.Runner, "ip", "link", "set", "dev", br, "up"); err != nil {
		return fmt.Errorf("bringing bridge %s up: %w", br, err)
	}
	return nil
}

// checkOurBridge refuses an existing interface that is not a bridge carrying
// localbosh's alias.
func checkOurBridge(name, alias string) error {
	if _, err := os.Stat(filepath.Join(sysClassNet, name, "bridge")); err != nil {
		return fmt.Errorf("interface %s exists and is not a bridge (%w); choose another bridge name", name, ErrNotOurs)
	}
	got := interfaceAlias(name)
	if got != alias {
		return fmt.Errorf("bridge %s exists with alias %q, not %q (%w); choose another bridge name, or delete the bridge if it is a leftover", name, got, alias, ErrNotOurs)
	}
	return nil
}

func interfaceExists(name string) (bool, error) {
	_, err := os.Lstat(filepath.Join(sysClassNet, name))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("looking for interface %s: %w", name, err)
	}
	return true, nil
}

// interfaceAlias is an interface's alias ("" if none or unreadable).
func interfaceAlias(name string) string {
	data, err := os.ReadFile(filepath.Join(sysClassNet, name, "ifalias"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(data))
}

// disableIPv6 writes 1 to a disable_ipv6 sysctl file, if the kernel has IPv6.
func disableIPv6(path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err := os.WriteFile(path, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("disabling IPv6: %w", err)
	}
	return nil
}

// macFor is the hardware address of the VM holding ip: locally
// administered, 02:b0 then the address's four bytes. An address reused by a
// later VM (a VM recreated, a deployment deleted and another deployed) keeps
// its hardware address, so what the other VMs and the host still hold in
// their neighbour tables stays right: with a random address, connections
// to the new VM are lost until their entry expires (20 s and more, seen
// as an etcd client whose only endpoint times out for that long).
func macFor(ip netip.Addr) string {
	b := ip.As4()
	return fmt.Sprintf("02:b0:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3])
}

// createVMNetwork makes the VM's network namespace and veth pair: the host
// end on the bridge, the VM end named eth0 with the VM's address and the
// hardware address macFor gives it. The
// address's prefix gives the VM a route to the subnet and nothing else: no
// default route, so every address off the bridge is unreachable.
func (m *Manager) createVMNetwork(ctx context.Context, cid string, n hostNames, ip netip.Addr) error {
	r := m.opts.Runner
	steps := [][]string{
		{"ip", "netns", "add", n.NetNS},
		// Before eth0 exists, so that it is created without IPv6.
		{"nsenter", "--net=" + m.paths.netns(n.NetNS), "--", "sysctl", "-q", "-w",
			"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"},
		{"ip", "link", "add", "name", n.Veth, "type", "veth", "peer", "name", "eth0", "address", macFor(ip), "netns", n.NetNS},
		{"ip", "link", "set", "dev", n.Veth, "alias", vethAlias(m.opts.Prefix, cid), "master", m.opts.Bridge, "up"},
		{"ip", "-n", n.NetNS, "addr", "add", netip.PrefixFrom(ip, m.opts.Subnet.Bits()).String(), "dev", "eth0"},
		{"ip", "-n", n.NetNS, "link", "set", "dev", "lo", "up"},
		{"ip", "-n", n.NetNS, "link", "set", "dev", "eth0", "up"},
	}
	if _, err := os.Stat("/proc/sys/net/ipv6"); errors.Is(err, os.ErrNotExist) {
		steps = append(steps[:1], steps[2:]...)
	}
	for _, argv := range steps {
		if _, err := run(ctx, r, argv...); err != nil {
			return fmt.Errorf("setting up the network of VM %s: %w", cid, err)
		}
	}
	m.opts.Logger.Info("created network namespace", "cid", cid, "netns", n.NetNS, "veth", n.Veth, "ip", ip.String())
	return nil
}

// deleteVMNetwork deletes the veth pair, then the network namespace. The
// veth goes first because deleting it is synchronous, while a deleted
// namespace releases its interfaces later, in the background: the names
// are free again when this returns. It lists what it removed.
func (m *Manager) deleteVMNetwork(ctx context.Context, n hostNames) ([]string, error) {
	var removed []string
	exists, err := interfaceExists(n.Veth)
	if err != nil {
		return nil, err
	}
	if exists {
		if _, err := run(ctx, m.opts.Runner, "ip", "link", "delete", "dev", n.Veth); err != nil && !isNoSuchDevice(err) {
			return nil, fmt.Errorf("deleting veth %s: %w", n.Veth, err)
		}
		removed = append(removed, "interface "+n.Veth)
	}
	if _, err := os.Lstat(m.paths.netns(n.NetNS)); err == nil {
		if _, err := run(ctx, m.opts.Runner, "ip", "netns", "delete", n.NetNS); err != nil {
			return removed, fmt.Errorf("deleting network namespace %s: %w", n.NetNS, err)
		}
		removed = append(removed, "network namespace "+n.NetNS)
		m.opts.Logger.Info("deleted network namespace", "netns", n.NetNS)
	}
	return removed, nil
}

// isNoSuchDevice recognises ip(8) failing on an interface that has gone in
// the meantime.
func isNoSuchDevice(err error) bool {
	var ce *CommandError
	return errors.As(err, &ce) && strings.Contains(ce.Output, "Cannot find device")
}
