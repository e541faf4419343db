package vm

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

var hostnamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$`)

// Manager creates, finds and deletes the VMs of one state directory. Its
// methods may be called concurrently for different VMs.
type Manager struct {
	opts  Options
	paths layout

	mu           sync.Mutex // guards host-wide setup and VM/disk bookkeeping
	networkReady bool
}

// New checks opts, fills in defaults and returns a Manager. It changes
// nothing on the host; EnsureNetwork and Create do.
func New(opts Options) (*Manager, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("configuring VMs: %w", err)
	}
	return &Manager{opts: o, paths: layout{stateDir: o.StateDir, netnsDir: netnsDir}}, nil
}

// Options returns the Manager's options with defaults filled in.
func (m *Manager) Options() Options { return m.opts }

// Spec describes a VM to create.
type Spec struct {
	CID string     // the VM's id: letters, digits, '_', '.', '-'; names its directory
	IP  netip.Addr // the VM's address in the Manager's subnet
	DNS []string   // DNS servers for the VM's /etc/resolv.conf; may be empty
	// Hostname is the VM's host name (BOSH names a VM after its instance's
	// id); default the CID. Letters, digits, '-' and '.', at most 63.
	Hostname string
}

// Create makes a VM: its directory with the BOSH /var/vcap layout, its
// network, mount, PID and UTS namespaces (see isolateMountNS for what the
// VM sees of the host), and its init running monit. If any step fails it
// removes what it made and returns the error.
func (m *Manager) Create(ctx context.Context, spec Spec) (_ *VM, err error) {
	rec, err := m.checkSpec(spec)
	if err != nil {
		return nil, err
	}
	vcapGID, err := m.prepareHost(ctx)
	if err != nil {
		return nil, err
	}
	if err := m.reserve(rec); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if _, cleanupErr := m.delete(context.WithoutCancel(ctx), spec.CID, false); cleanupErr != nil {
				err = fmt.Errorf("%w (and removing the half-made VM: %v; run localbosh clean)", err, cleanupErr)
			}
		}
	}()
	if err := m.writeVMFiles(rec, vcapGID); err != nil {
		return nil, err
	}
	if err := m.createVMNetwork(ctx, rec.CID, namesFor(m.opts.Prefix, rec.CID), rec.IP); err != nil {
		return nil, err
	}
	if err := m.createMountNS(ctx, rec.CID); err != nil {
		return nil, err
	}
	v := &VM{m: m, rec: rec}
	if err := v.startInit(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

func (m *Manager) checkSpec(spec Spec) (record, error) {
	if err := checkCID("VM", spec.CID); err != nil {
		return record{}, err
	}
	if err := checkHostAddr(m.opts.Subnet, spec.IP); err != nil {
		return record{}, fmt.Errorf("VM %s: %w; give it a static IP inside the network's range", spec.CID, err)
	}
	if spec.IP == m.opts.Gateway {
		return record{}, fmt.Errorf("VM %s: address %s is the gateway (the director's own address on the bridge); give the VM another IP", spec.CID, spec.IP)
	}
	dns, err := parseDNS(spec.DNS)
	if err != nil {
		return record{}, fmt.Errorf("VM %s: %w", spec.CID, err)
	}
	hostname := spec.Hostname
	if hostname == "" {
		hostname = strings.ReplaceAll(spec.CID[:min(len(spec.CID), 63)], "_", "-")
	}
	if !hostnamePattern.MatchString(hostname) {
		return record{}, fmt.Errorf("VM %s: host name %q must be 1-63 letters, digits, '-' or '.', starting with a letter or digit", spec.CID, hostname)
	}
	n := namesFor(m.opts.Prefix, spec.CID)
	return record{
		CID: spec.CID, IP: spec.IP, DNS: dns, NetNS: n.NetNS, Veth: n.Veth, Hostname: hostname,
		CreatedAt: m.opts.Clock.Now().UTC().Truncate(time.Second),
	}, nil
}

// prepareHost does the host-wide setup VMs need, one Create at a time, and
// returns the vcap group's id.
func (m *Manager) prepareHost(ctx context.Context) (vcapGID int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if vcapGID, err = ensureVcapUser(ctx, m.opts.Runner); err != nil {
		return 0, err
	}
	if err := m.ensureNetworkLocked(ctx); err != nil {
		return 0, err
	}
	return vcapGID, m.ensureNSDir(ctx)
}

// reserve claims the VM's cid, IP and host names by creating its directory
// and record, or fails without touching anything that exists.
func (m *Manager) reserve(rec record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	records, err := m.records()
	if err != nil {
		return err
	}
	for _, other := range records {
		if other.IP == rec.IP {
			return fmt.Errorf("VM %s: %s is VM %s's address: %w", rec.CID, rec.IP, other.CID, ErrIPInUse)
		}
	}
	if _, err := os.Lstat(m.paths.netns(rec.NetNS)); err == nil {
		return fmt.Errorf("VM %s: network namespace %s exists but belongs to no VM of %s (a leftover; run localbosh clean): %w", rec.CID, rec.NetNS, m.opts.StateDir, ErrExists)
	}
	if err := os.MkdirAll(m.paths.vmsDir(), 0o755); err != nil {
		return fmt.Errorf("creating VM directory: %w", err)
	}
	if err := os.Mkdir(m.paths.vmDir(rec.CID), 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("VM %s: %w", rec.CID, ErrExists)
		}
		return fmt.Errorf("creating VM directory: %w", err)
	}
	return writeRecord(m.paths.record(rec.CID), rec)
}

// writeVMFiles lays out the VM's /var/vcap, resolv.conf and monitrc.
func (m *Manager) writeVMFiles(rec record, vcapGID int) error {
	root := m.paths.root(rec.CID)
	if err := makeVcapDirs(root, vcapGID); err != nil {
		return fmt.Errorf("VM %s: %w", rec.CID, err)
	}
	if err := writeFileAtomic(m.paths.resolvConf(rec.CID), renderResolvConf(rec.DNS), 0o644); err != nil {
		return fmt.Errorf("VM %s: %w", rec.CID, err)
	}
	// monit refuses a control file that others can read.
	monitrc := monitrcOnHost(root)
	if err := writeFileAtomic(monitrc, renderMonitrc(newMonitCredentials()), 0o600); err != nil {
		return fmt.Errorf("VM %s: %w", rec.CID, err)
	}
	return nil
}

// Get finds an existing VM, for instance after the director restarted
// (namespaces and monit outlive the director). A cid with no VM is an error
// wrapping ErrNotFound; a VM whose namespaces are gone (the machine
// rebooted) one wrapping ErrNamespacesGone.
func (m *Manager) Get(cid string) (*VM, error) {
	if err := checkCID("VM", cid); err != nil {
		return nil, err
	}
	rec, err := readRecord(m.paths.record(cid), cid)
	if err != nil {
		return nil, err
	}
	v := &VM{m: m, rec: rec}
	for _, p := range v.namespacePaths() {
		if _, err := namespaceID(p); err != nil {
			return nil, fmt.Errorf("VM %s: %s: %w; delete the VM and create it again", cid, p, ErrNamespacesGone)
		}
	}
	return v, nil
}

// List returns the cids of the Manager's VMs, sorted.
func (m *Manager) List() ([]string, error) {
	entries, err := os.ReadDir(m.paths.vmsDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing VMs: %w", err)
	}
	var cids []string
	for _, e := range entries {
		if e.IsDir() && checkCID("VM", e.Name()) == nil {
			cids = append(cids, e.Name())
		}
	}
	slices.Sort(cids)
	return cids, nil
}

// records reads the records of all VMs, skipping half-made ones.
func (m *Manager) records() ([]record, error) {
	cids, err := m.List()
	if err != nil {
		return nil, err
	}
	var recs []record
	for _, cid := range cids {
		rec, err := readRecord(m.paths.record(cid), cid)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}
