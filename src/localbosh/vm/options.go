package vm

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Options configures a Manager. Zero fields take the defaults below; tests
// set their own StateDir, Prefix, Bridge and Subnet so that they never touch
// a real director's VMs.
type Options struct {
	// StateDir holds VM directories, disks and mount namespace files.
	// Default /var/lib/localbosh.
	StateDir string
	// Prefix starts every host object name the Manager creates (network
	// namespaces "<prefix>-<hash>", veths "<prefix><hash>", iptables rule
	// comments "<prefix>:..."), so Clean finds exactly its own. 2-7 lower case
	// letters or digits, starting with a letter. Default "lbosh".
	Prefix string
	// Bridge is the Linux bridge VMs attach to. Default "lbosh0".
	Bridge string
	// Subnet is the VMs' network. Default 10.244.0.0/16.
	Subnet netip.Prefix
	// Gateway is the bridge's own address in Subnet, where the director
	// listens. Default the first address of Subnet.
	Gateway netip.Addr
	// StopTimeout bounds how long Delete waits for monit to stop a VM's
	// services before it kills what is left. Default 60s.
	StopTimeout time.Duration
	// DirectorPort is the port of the director's API on the gateway, which
	// VMs may reach (besides DNS, port 53, on the gateway): nothing else of
	// the host. Default 25555.
	DirectorPort int
	// GatewayServices are more TCP ports on the gateway that VMs may reach:
	// services the operator runs on the gateway address for the
	// deployments (an S3 server that etcd snapshots go to, say). Opt-in:
	// none by default, and each is one INPUT ACCEPT rule for that port on
	// the gateway address only, tagged like the others so that Clean
	// removes it.
	GatewayServices []int
	// Hide lists more host directories that VMs must not see, besides
	// StateDir, DefaultStateDir (a local director's, with its credentials)
	// and /root; test directors hide each other's state directories.
	Hide []string
	// Runner runs host programs. Default ExecRunner.
	Runner Runner
	// Clock paces polling (WaitRunning, Reload, Stop). Default the real clock.
	Clock Clock
	// Logger receives one line per host object created or removed.
	// Default discards.
	Logger *slog.Logger
}

// Defaults for Options.
const (
	DefaultStateDir     = "/var/lib/localbosh"
	DefaultPrefix       = "lbosh"
	DefaultBridge       = "lbosh0"
	DefaultDirectorPort = 25555
)

// defaultSubnet is the bosh-lite network the project's manifests use.
var defaultSubnet = netip.MustParsePrefix("10.244.0.0/16")

var (
	prefixPattern = regexp.MustCompile(`^[a-z][a-z0-9]{1,6}$`)
	ifacePattern  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,15}$`)
)

// withDefaults fills zero fields and checks the result.
func (o Options) withDefaults() (Options, error) {
	if o.StateDir == "" {
		o.StateDir = DefaultStateDir
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Bridge == "" {
		o.Bridge = DefaultBridge
	}
	if !o.Subnet.IsValid() {
		o.Subnet = defaultSubnet
	}
	o.Subnet = o.Subnet.Masked()
	if !o.Gateway.IsValid() {
		o.Gateway = o.Subnet.Addr().Next()
	}
	if o.DirectorPort == 0 {
		o.DirectorPort = DefaultDirectorPort
	}
	if o.StopTimeout == 0 {
		o.StopTimeout = 60 * time.Second
	}
	if o.Runner == nil {
		o.Runner = ExecRunner{}
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o, o.validate()
}

func (o Options) validate() error {
	var errs []error
	if !filepath.IsAbs(o.StateDir) {
		errs = append(errs, fmt.Errorf("state directory %q must be an absolute path", o.StateDir))
	} else if p := systemPathWithin(o.StateDir); p != "" {
		errs = append(errs, fmt.Errorf("state directory %q holds %s, which VMs need; VMs must not see the state directory, so choose a directory of its own, such as %s", o.StateDir, p, DefaultStateDir))
	}
	for _, h := range o.Hide {
		if !filepath.IsAbs(h) {
			errs = append(errs, fmt.Errorf("hidden directory %q must be an absolute path", h))
		} else if p := systemPathWithin(h); p != "" {
			errs = append(errs, fmt.Errorf("hidden directory %q holds %s, which VMs need", h, p))
		}
	}
	if o.DirectorPort < 1 || o.DirectorPort > 65535 {
		errs = append(errs, fmt.Errorf("director port %d is not a TCP port", o.DirectorPort))
	}
	for i, port := range o.GatewayServices {
		switch {
		case port < 1 || port > 65535:
			errs = append(errs, fmt.Errorf("gateway service port %d is not a TCP port", port))
		case port == o.DirectorPort || strconv.Itoa(port) == dnsPort:
			errs = append(errs, fmt.Errorf("gateway service port %d is the director's API or DNS port, which VMs reach already; give the service another port", port))
		case slices.Contains(o.GatewayServices[:i], port):
			errs = append(errs, fmt.Errorf("gateway service port %d is given twice", port))
		}
	}
	if !prefixPattern.MatchString(o.Prefix) {
		errs = append(errs, fmt.Errorf("name prefix %q must be 2-7 lower case letters or digits starting with a letter (veth names are limited to 15 characters)", o.Prefix))
	}
	if !ifacePattern.MatchString(o.Bridge) {
		errs = append(errs, fmt.Errorf("bridge name %q must be 1-15 letters, digits, '_', '.' or '-'", o.Bridge))
	}
	if !o.Subnet.Addr().Is4() || o.Subnet.Bits() > 30 {
		errs = append(errs, fmt.Errorf("subnet %s must be an IPv4 network of /30 or larger", o.Subnet))
	}
	if err := checkHostAddr(o.Subnet, o.Gateway); err != nil {
		errs = append(errs, fmt.Errorf("gateway: %w", err))
	}
	return errors.Join(errs...)
}

// vmSystemPaths are host paths a VM needs to see, so none may be hidden.
var vmSystemPaths = []string{vcapDir, "/bin", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys", "/tmp", "/usr", "/var/tmp"}

// systemPathWithin is the first path VMs need that dir is or holds, or "".
func systemPathWithin(dir string) string {
	for _, p := range vmSystemPaths {
		if isUnder(p, filepath.Clean(dir)) {
			return p
		}
	}
	return ""
}

// checkHostAddr checks that ip can be given to an interface in subnet: inside
// it and neither its network nor its broadcast address.
func checkHostAddr(subnet netip.Prefix, ip netip.Addr) error {
	if !ip.Is4() || !subnet.Contains(ip) {
		return fmt.Errorf("address %s is not an IPv4 address in subnet %s", ip, subnet)
	}
	if ip == subnet.Addr() || ip == lastAddr(subnet) {
		return fmt.Errorf("address %s is the network or broadcast address of subnet %s", ip, subnet)
	}
	return nil
}

// lastAddr is subnet's broadcast address.
func lastAddr(subnet netip.Prefix) netip.Addr {
	a := subnet.Addr().As4()
	hostBits := 32 - subnet.Bits()
	n := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	n |= uint32(1)<<hostBits - 1
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
}
