package vm

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// vcapDirMode is one directory of a VM's /var/vcap.
type vcapDirMode struct {
	path      string // relative to /var/vcap
	mode      os.FileMode
	vcapGroup bool // group vcap, as the BOSH agent sets up sys, sys/log and sys/run
}

// vcapLayout is the part of a stemcell's /var/vcap that the BOSH agent
// provides before jobs arrive. store is the persistent disk's mount point.
var vcapLayout = []vcapDirMode{
	{path: "bosh/bin", mode: 0o755},
	{path: "data", mode: 0o755},
	{path: "jobs", mode: 0o755},
	{path: "monit/job", mode: 0o700},
	{path: "packages", mode: 0o755},
	{path: "store", mode: 0o755},
	{path: "sys", mode: 0o750, vcapGroup: true},
	{path: "sys/log", mode: 0o750, vcapGroup: true},
	{path: "sys/run", mode: 0o750, vcapGroup: true},
}

// makeVcapDirs creates the layout under root with its modes and owners.
func makeVcapDirs(root string, vcapGID int) error {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return fmt.Errorf("creating VM directory: %w", err)
	}
	for _, d := range vcapLayout {
		p := filepath.Join(root, d.path)
		if err := os.MkdirAll(p, d.mode); err != nil {
			return fmt.Errorf("creating VM directory: %w", err)
		}
		// MkdirAll's mode is filtered by the umask; set it exactly.
		if err := os.Chmod(p, d.mode); err != nil {
			return fmt.Errorf("setting mode of %s: %w", p, err)
		}
		if d.vcapGroup {
			if err := os.Chown(p, 0, vcapGID); err != nil {
				return fmt.Errorf("giving %s to group vcap: %w", p, err)
			}
		}
	}
	return nil
}

// renderResolvConf is the VM's /etc/resolv.conf.
func renderResolvConf(dns []netip.Addr) []byte {
	if len(dns) == 0 {
		return []byte("# localbosh: no DNS servers were given for this VM\n")
	}
	var b strings.Builder
	for _, s := range dns {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	return []byte(b.String())
}

// parseDNS checks the DNS servers given for a VM.
func parseDNS(servers []string) ([]netip.Addr, error) {
	addrs := make([]netip.Addr, 0, len(servers))
	for _, s := range servers {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("DNS server %q is not an IP address; check the network's dns list in the cloud config", s)
		}
		addrs = append(addrs, a)
	}
	return addrs, nil
}

// writeFileAtomic replaces path with data so readers never see half a file.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
