package vm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Clean removes everything this Manager's prefix made on the host: its VMs
// (killing their processes without waiting for monit), and any leftovers
// of VMs whose records are gone: network namespaces named "<prefix>-...",
// veths and bridges carrying the prefix's alias, the mounts under the
// state directory's namespace directory and the iptables rules tagged with
// the prefix. Disks are data and stay; DeleteDisk removes them. It returns
// what it removed, one line each, and carries on past failures.
func (m *Manager) Clean(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.networkReady = false

	var removed []string
	var errs []error
	collect := func(r []string, err error) {
		removed = append(removed, r...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	cids, err := m.List()
	errs = append(errs, err)
	for _, cid := range cids {
		collect(m.delete(ctx, cid, false))
	}
	collect(m.cleanNetworkNamespaces(ctx))
	collect(m.cleanMounts(ctx))
	collect(m.cleanLinks(ctx, vethAliasPrefix(m.opts.Prefix)))
	collect(m.cleanRules(ctx))
	collect(m.cleanLinks(ctx, bridgeAlias(m.opts.Prefix)))
	return removed, errors.Join(errs...)
}

func vethAliasPrefix(prefix string) string { return vethAlias(prefix, "") }

// cleanNetworkNamespaces kills the processes in, and deletes, every network
// namespace named with the prefix.
func (m *Manager) cleanNetworkNamespaces(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(m.paths.netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing network namespaces: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, m.opts.Prefix+"-") {
			continue
		}
		if id, err := namespaceID(m.paths.netns(name)); err == nil {
			killed, err := killProcessesIn(ctx, m.opts.Clock, namespaces{"net": {id}})
			for _, pid := range killed {
				removed = append(removed, fmt.Sprintf("process %d in network namespace %s", pid, name))
			}
			if err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if _, err := run(ctx, m.opts.Runner, "ip", "netns", "delete", name); err != nil {
			errs = append(errs, fmt.Errorf("deleting network namespace %s: %w", name, err))
			continue
		}
		removed = append(removed, "network namespace "+name)
	}
	return removed, errors.Join(errs...)
}

// cleanMounts kills the processes in the mount and PID namespaces bound
// under the namespace directory, unmounts them and the directory's own bind
// mount, and removes the namespace files.
func (m *Manager) cleanMounts(ctx context.Context) ([]string, error) {
	mounts, err := hostMounts()
	if err != nil {
		return nil, err
	}
	dir := m.paths.nsDir()
	types := map[string]string{}
	for _, e := range mounts {
		if typ, _, ok := strings.Cut(e.Root, ":["); ok && e.FSType == "nsfs" {
			types[e.Point] = typ // "mnt", "pid", "uts"
		}
	}
	var removed []string
	var errs []error
	for _, p := range mountsUnder(mounts, dir) {
		if typ := types[p]; p != dir && (typ == "mnt" || typ == "pid") {
			if id, err := namespaceID(p); err == nil {
				killed, err := killProcessesIn(ctx, m.opts.Clock, namespaces{typ: {id}})
				for _, pid := range killed {
					removed = append(removed, fmt.Sprintf("process %d in namespace %s", pid, p))
				}
				if err != nil {
					errs = append(errs, err)
				}
			}
		}
		if _, err := run(ctx, m.opts.Runner, "umount", p); err != nil {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", p, err))
			continue
		}
		removed = append(removed, "mount "+p)
	}
	if len(errs) == 0 {
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", dir, err))
		}
	}
	return removed, errors.Join(errs...)
}

// cleanLinks deletes the interfaces whose alias starts with aliasPrefix:
// localbosh marks its veths and bridges so, and touches no others.
func (m *Manager) cleanLinks(ctx context.Context, aliasPrefix string) ([]string, error) {
	entries, err := os.ReadDir(sysClassNet)
	if err != nil {
		return nil, fmt.Errorf("listing network interfaces: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(interfaceAlias(name), aliasPrefix) {
			continue
		}
		if exists, _ := interfaceExists(name); !exists {
			continue // a veth whose peer went first
		}
		if _, err := run(ctx, m.opts.Runner, "ip", "link", "delete", "dev", name); err != nil {
			if !isNoSuchDevice(err) {
				errs = append(errs, fmt.Errorf("deleting interface %s: %w", name, err))
			}
			continue
		}
		removed = append(removed, "interface "+name)
	}
	return removed, errors.Join(errs...)
}

// cleanRules removes the isolation rules tagged with the prefix, for the
// configured bridge and for bridges of earlier runs: FORWARD rules keeping
// VM traffic on the bridge, INPUT rules keeping VMs off the host.
func (m *Manager) cleanRules(ctx context.Context) ([]string, error) {
	out, err := run(ctx, m.opts.Runner, "iptables", "-w", "-S", "FORWARD")
	if err != nil {
		return nil, fmt.Errorf("listing iptables rules: %w", err)
	}
	bridges := taggedBridges(out, m.opts.Prefix)
	var removed []string
	var errs []error
	for _, br := range bridges {
		n, err := removeIsolation(ctx, m.opts.Runner, m.opts.Prefix, br)
		for range n {
			removed = append(removed, "iptables FORWARD rule "+isolationComment(m.opts.Prefix, br))
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	gone, err := removeInputRules(ctx, m.opts.Runner, m.opts.Prefix+":input:")
	for _, tag := range gone {
		removed = append(removed, "iptables INPUT rule "+tag)
	}
	return removed, errors.Join(append(errs, err)...)
}
