package vm

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
)

// netnsDir is where `ip netns` keeps named network namespaces.
const netnsDir = "/run/netns"

// VM paths as seen from inside a VM.
const (
	procDir       = "/proc"
	vcapDir       = "/var/vcap"
	resolvConf    = "/etc/resolv.conf"
	storeDir      = "/var/vcap/store"
	monitrcInVM   = "/var/vcap/monit/monitrc"
	monitJobsPath = "monit/job" // under Root()
)

var cidPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// checkCID rejects ids that cannot be a directory name under StateDir.
func checkCID(kind, cid string) error {
	if !cidPattern.MatchString(cid) {
		return fmt.Errorf("%s id %q must be 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit", kind, cid)
	}
	return nil
}

// hostNames are the names of one VM's objects on the host, all derived from
// the Manager's prefix and the VM's cid so that a VM can be found again (Get,
// Delete) from its cid alone.
type hostNames struct {
	NetNS string // network namespace, "<prefix>-<hash>"
	Veth  string // host end of the veth pair, "<prefix><hash>" (at most 15 characters)
}

// shortID is 8 hex characters of the cid's SHA-256: cids may be long or use
// characters that interface names cannot, so names carry a hash instead.
func shortID(cid string) string {
	sum := sha256.Sum256([]byte(cid))
	return hex.EncodeToString(sum[:4])
}

func namesFor(prefix, cid string) hostNames {
	id := shortID(cid)
	return hostNames{NetNS: prefix + "-" + id, Veth: prefix + id}
}

// layout gives the host paths of VM state: under the state directory, and
// the network namespace files under netnsDir (a temporary directory in
// unit tests).
type layout struct{ stateDir, netnsDir string }

func (l layout) vmsDir() string                 { return filepath.Join(l.stateDir, "vms") }
func (l layout) vmDir(cid string) string        { return filepath.Join(l.vmsDir(), cid) }
func (l layout) record(cid string) string       { return filepath.Join(l.vmDir(cid), "vm.json") }
func (l layout) root(cid string) string         { return filepath.Join(l.vmDir(cid), "vcap") }
func (l layout) resolvConf(cid string) string   { return filepath.Join(l.vmDir(cid), "resolv.conf") }
func (l layout) nsDir() string                  { return filepath.Join(l.stateDir, "ns") }
func (l layout) mountNS(cid string) string      { return filepath.Join(l.nsDir(), cid) }
func (l layout) pidNS(cid string) string        { return filepath.Join(l.nsDir(), cid+":pid") }
func (l layout) utsNS(cid string) string        { return filepath.Join(l.nsDir(), cid+":uts") }
func (l layout) initLog(cid string) string      { return filepath.Join(l.vmDir(cid), "init.log") }
func (l layout) disksDir() string               { return filepath.Join(l.stateDir, "disks") }
func (l layout) disk(diskCID string) string     { return filepath.Join(l.disksDir(), diskCID) }
func (l layout) netns(name string) string       { return filepath.Join(l.netnsDir, name) }
func vethAlias(prefix, cid string) string       { return prefix + ":vm:" + cid }
func bridgeAlias(prefix string) string          { return prefix + ":bridge" }
func isolationComment(prefix, br string) string { return prefix + ":isolate:" + br }
func inputComment(prefix, br string) string     { return prefix + ":input:" + br }
