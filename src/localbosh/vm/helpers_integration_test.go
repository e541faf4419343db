package vm_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// testOptions are a Manager's options for one test: its own temporary
// state directory, and a prefix, bridge and subnet of this Ginkgo process
// (never localbosh's lbosh0 or 10.244.0.0/16).
func testOptions() vm.Options {
	n := GinkgoParallelProcess()
	return vm.Options{
		StateDir: GinkgoT().TempDir(),
		Prefix:   fmt.Sprintf("lbvt%d", n),
		Bridge:   fmt.Sprintf("lbvt%d", n),
		Subnet:   netip.MustParsePrefix(fmt.Sprintf("10.245.%d.0/24", 100+n)),
	}
}

// requireHost skips without root and fails without the programs VMs need.
func requireHost() {
	if os.Geteuid() != 0 {
		Skip("VM integration tests need root: they create namespaces, bridges and mounts")
	}
	for _, tool := range []string{"ip", "iptables", "monit", "nsenter", "unshare", "setpriv", "mount"} {
		_, err := exec.LookPath(tool)
		Expect(err).NotTo(HaveOccurred(), "%s is missing; run scripts/setup", tool)
	}
}

// newManager makes a Manager for one test and registers a Clean that must
// leave nothing of it on the host.
func newManager(opts vm.Options) *vm.Manager {
	m, err := vm.New(opts)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) {
		_, err := m.Clean(ctx)
		Expect(err).NotTo(HaveOccurred())
		expectNothingLeft(opts)
	})
	return m
}

// expectNothingLeft checks the host for any object named with the
// options' prefix or bridge, and for mounts under the state directory.
func expectNothingLeft(opts vm.Options) {
	GinkgoHelper()
	Expect(hostOutput("ip", "netns", "list")).NotTo(ContainSubstring(opts.Prefix + "-"))
	Expect(hostOutput("ip", "-o", "link", "show")).NotTo(ContainSubstring(opts.Prefix))
	Expect(hostOutput("ip", "-o", "link", "show")).NotTo(ContainSubstring(opts.Bridge))
	Expect(hostOutput("iptables", "-w", "-S")).NotTo(ContainSubstring(opts.Prefix + ":"))
	Expect(os.ReadFile("/proc/mounts")).NotTo(ContainSubstring(opts.StateDir))
}

func hostOutput(argv ...string) string {
	GinkgoHelper()
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s: %s", strings.Join(argv, " "), out)
	return string(out)
}

// createVM creates a VM with the host number n in the test subnet.
func createVM(ctx context.Context, m *vm.Manager, cid string, n int, dns ...string) *vm.VM {
	GinkgoHelper()
	ip := m.Options().Subnet.Addr()
	for range n {
		ip = ip.Next()
	}
	v, err := m.Create(ctx, vm.Spec{CID: cid, IP: ip, DNS: dns})
	Expect(err).NotTo(HaveOccurred())
	return v
}

// run runs a command in the VM and returns its exit code and combined output.
func run(ctx context.Context, v *vm.VM, c vm.Cmd) (int, string) {
	GinkgoHelper()
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	code, err := v.Exec(ctx, c)
	Expect(err).NotTo(HaveOccurred())
	return code, out.String()
}

// mustRun runs a shell script as root in the VM and returns its output; it
// must succeed.
func mustRun(ctx context.Context, v *vm.VM, script string) string {
	GinkgoHelper()
	code, out := run(ctx, v, vm.Cmd{Argv: []string{"sh", "-c", script}})
	Expect(code).To(BeZero(), "%s: %s", script, out)
	return out
}

// loopJob is a job monit file whose start program runs a shell loop in the
// background, as BOSH ctl scripts do, writing its pid file.
func loopJob(name string) []byte {
	return fmt.Appendf(nil, `check process %[1]s
  with pidfile /var/vcap/sys/run/%[1]s.pid
  start program "/bin/sh -c 'while true; do sleep 1; done </dev/null >/dev/null 2>&1 & echo $! > /var/vcap/sys/run/%[1]s.pid'"
  stop program "/bin/sh -c 'kill $(cat /var/vcap/sys/run/%[1]s.pid)'"
  group vcap
`, name)
}

// hostPID is the host's pid of a VM's process given by its pid in the VM.
func hostPID(v *vm.VM, pid int) int {
	GinkgoHelper()
	host, err := v.HostPID(pid)
	Expect(err).NotTo(HaveOccurred())
	return host
}

// namespaceInode is the inode of a namespace file.
func namespaceInode(path string) uint64 {
	GinkgoHelper()
	st, err := os.Stat(path)
	Expect(err).NotTo(HaveOccurred())
	return inodeOf(st)
}

func inodeOf(st os.FileInfo) uint64 { return st.Sys().(*syscall.Stat_t).Ino }
