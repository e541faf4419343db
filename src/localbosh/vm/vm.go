package vm

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"
)

// VM is one VM of a Manager: a network namespace with its own address on
// the bridge, a mount namespace with a private /var/vcap and
// /etc/resolv.conf, and a monit supervising the job processes. A VM is a
// snapshot of its record; call Manager.Get for the current state.
type VM struct {
	m   *Manager
	rec record
}

// CID is the VM's id.
func (v *VM) CID() string { return v.rec.CID }

// IP is the VM's address on the bridge.
func (v *VM) IP() netip.Addr { return v.rec.IP }

// DNS lists the VM's DNS servers.
func (v *VM) DNS() []netip.Addr { return v.rec.DNS }

// Root is the host path of the VM's /var/vcap: the deployer writes jobs and
// packages there, and reads logs from there.
func (v *VM) Root() string { return v.m.paths.root(v.rec.CID) }

// OpenRoot opens the VM's /var/vcap (Root) as an os.Root. The VM's
// processes may leave symlinks there that lead anywhere on the host, so
// the director writes and reads there only through it, which refuses any
// path that a symlink leads out of the directory.
func (v *VM) OpenRoot() (*os.Root, error) {
	r, err := os.OpenRoot(v.Root())
	if err != nil {
		return nil, fmt.Errorf("opening the directory of VM %s: %w", v.rec.CID, err)
	}
	return r, nil
}

// NetNS is the name of the VM's network namespace (see `ip netns list`).
func (v *VM) NetNS() string { return v.rec.NetNS }

// DiskCID is the id of the persistent disk attached when the VM was read,
// or "".
func (v *VM) DiskCID() string { return v.rec.DiskCID }

// CreatedAt is when the VM was created.
func (v *VM) CreatedAt() time.Time { return v.rec.CreatedAt }

// Hostname is the VM's host name, in its own UTS namespace.
func (v *VM) Hostname() string { return v.rec.Hostname }

func (v *VM) netnsPath() string   { return v.m.paths.netns(v.rec.NetNS) }
func (v *VM) mountNSPath() string { return v.m.paths.mountNS(v.rec.CID) }
func (v *VM) pidNSPath() string   { return v.m.paths.pidNS(v.rec.CID) }
func (v *VM) utsNSPath() string   { return v.m.paths.utsNS(v.rec.CID) }

// namespacePaths are the files of all of the VM's namespaces.
func (v *VM) namespacePaths() []string {
	return []string{v.netnsPath(), v.mountNSPath(), v.pidNSPath(), v.utsNSPath()}
}

// monitrcOnHost is the host path of a VM's monitrc, given its Root.
func monitrcOnHost(root string) string { return filepath.Join(root, "monit", "monitrc") }
