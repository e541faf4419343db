package integration_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// Attacks from inside a VM: a job's pre-start, running as root as hooks
// do, tries to reach what a VM must not (the fixture's intruder job runs
// the script and keeps what it printed). Each attempt prints
// "<attack>=yes:<what it got>" or "<attack>=no:<why not>".
var _ = Describe("attacks from inside a VM", Label("integration"), Ordered, ContinueOnFailure, func() {
	var (
		report     map[string]string
		password   string
		hostSleep  *exec.Cmd
		instanceID string
		credsDir   string
		credsSeen  map[string]string
		deputy     string // a host directory the VM tries to make the director write into
		deployErr  error  // the deploy fails where the director refuses to follow the VM's symlink
	)

	BeforeAll(func(ctx SpecContext) {
		creds, err := api.ReadClientCredentials(bosh.StateDir())
		Expect(err).NotTo(HaveOccurred())
		password = creds.Password
		credsDir = filepath.Dir(creds.CACertPath)
		credsSeen = listing(credsDir)

		By("running a process on the host for the VM to look for and kill")
		marker := fmt.Sprintf("86%03d.%d", GinkgoParallelProcess(), os.Getpid())
		hostSleep = exec.Command("sleep", marker)
		Expect(hostSleep.Start()).To(Succeed())
		DeferCleanup(func() { _ = hostSleep.Process.Kill(); _ = hostSleep.Wait() })

		By("listening on all of the host's addresses")
		hostPort := serveHTTP("0.0.0.0:0")

		By("serving on a VM of another director, on another bridge")
		other, err := testdirector.Start(ctx, testdirector.Options{Logs: GinkgoWriter})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) { Expect(other.Cleanup(ctx)).To(Succeed()) })
		probe, err := gexec.Build("github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm/testdata/netprobe")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(gexec.CleanupBuildArtifacts)
		otherVM, err := other.VMs().Create(ctx, vm.Spec{CID: "victim", IP: other.Network().StaticIP(0)})
		Expect(err).NotTo(HaveOccurred())
		otherAddr := net.JoinHostPort(otherVM.IP().String(), "7000")
		serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
		DeferCleanup(stopServing)
		go func() { _, _ = otherVM.Exec(serveCtx, vm.Cmd{Argv: []string{probe, "serve", otherAddr}}) }()
		Eventually(func() error { return exec.Command(probe, "dial", otherAddr).Run() }).Should(Succeed(),
			"the host reaches the other director's VM")

		By("making a host directory the VM does not see, for the director to be tricked into writing to")
		deputy, err = os.MkdirTemp("/root", "lbdeputy-")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(os.RemoveAll, deputy)

		By("deploying a job whose pre-start tries each attack")
		gateway := bosh.Network().Gateway.String()
		script := fmt.Sprintf(attackScript, filepath.Join(credsDir, "admin-password"), hostSleep.Process.Pid, marker,
			gateway, hostPort, otherVM.IP(), 7000, deputy)
		dep := newFixtureDeployment("intruder")
		dep.doc["instance_groups"] = []any{map[string]any{
			"name": "intruder", "instances": 1, "azs": []any{"z1"}, "vm_type": "default", "stemcell": "default",
			"networks": []any{map[string]any{"name": "default"}},
			"jobs": []any{map[string]any{"name": "intruder", "release": fixtureRelease,
				"properties": map[string]any{"intruder": map[string]any{"script": script, "post_start_output": "* * * * * root touch /tmp/pwned"}}}},
		}}
		deployErr = dep.deploy(ctx).Err()
		instanceID = dep.instances(ctx)[0].ID
		out, err := bosh.ReadFile(ctx, "intruder", "intruder/0", "/var/vcap/sys/log/intruder/report")
		Expect(err).NotTo(HaveOccurred())
		GinkgoWriter.Printf("the intruder's report:\n%s", out)
		report = map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if k, v, ok := strings.Cut(line, "="); ok {
				report[k] = v
			}
		}
		Expect(report).To(HaveKey("hostname"), "the script did not run to its end")
	})

	It("cannot read the director's admin password", func() {
		Expect(report["read-password"]).To(HavePrefix("no:"))
		Expect(report["read-password-via-proc"]).To(HavePrefix("no:"))
		for k, v := range report {
			Expect(v).NotTo(ContainSubstring(password), k)
		}
		Expect(listing(credsDir)).To(Equal(credsSeen))
	})

	It("sees only its own processes, in a /proc of its own, with init as pid 1", func() {
		Expect(report["see-host-process"]).To(Equal("no:"))
		Expect(report["pid-1"]).To(Equal("yes:tini"))
	})

	It("cannot kill a process outside the VM", func() {
		Expect(report["kill-host-process"]).To(HavePrefix("no:"))
		Expect(hostSleep.Process.Signal(syscall.Signal(0))).To(Succeed(), "the host process was killed")
	})

	It("cannot connect to a port the host listens on at all of its addresses", func() {
		Expect(report["connect-host-port"]).To(HavePrefix("no:"))
	})

	It("cannot reach another bridge's VM, neither through the host nor through its network namespace", func() {
		Expect(report["reach-other-bridge"]).To(HavePrefix("no:"))
		Expect(report["reach-other-bridge-via-netns"]).To(HavePrefix("no"))
	})

	It("cannot make the director write outside the VM through a symlink where it keeps the job's logs", func() {
		Expect(report["plant-log-symlink"]).To(HavePrefix("yes:"), "the VM's own /var/vcap is its to change")
		Expect(os.ReadDir(deputy)).To(BeEmpty(), "the director followed the VM's symlink out of the VM")
		Expect(deployErr).To(MatchError(ContainSubstring("a symlink in /var/vcap must stay inside it")))
	})

	It("is named after its instance, as a BOSH VM is", func() {
		Expect(report["hostname"]).To(Equal(instanceID))
	})
})

// attackScript is the intruder's script, filled in with the password file,
// the host process's pid and marker, the gateway and the host's port,
// another bridge's VM's address and port, and a host directory the VM does
// not see.
const attackScript = `
say() { printf '%%s=%%s\n' "$1" "$(printf '%%s' "$2" | tr '\n' ' ' | head -c 300)"; }
try() {
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then say "$name" "yes:$out"; else say "$name" "no:$out"; fi
}

try read-password cat %[1]s
try read-password-via-proc cat /proc/1/root%[1]s

seen=""
for f in /proc/[0-9]*/cmdline; do
  if tr '\0' ' ' < "$f" 2>/dev/null | grep -q "^sleep %[3]s"; then seen="$seen $f"; fi
done
if [ -e /proc/%[2]d ] && tr '\0' ' ' < /proc/%[2]d/cmdline 2>/dev/null | grep -q "^sleep %[3]s"; then seen="$seen /proc/%[2]d"; fi
if [ -n "$seen" ]; then say see-host-process "yes:$seen"; else say see-host-process "no:"; fi

if tr '\0' ' ' < /proc/%[2]d/cmdline 2>/dev/null | grep -q "^sleep %[3]s"; then
  try kill-host-process kill -9 %[2]d
else
  try kill-host-process sh -c 'kill -0 %[2]d 2>&1 && echo "pid %[2]d is some other process here"; exit 1'
fi

try connect-host-port timeout 5 bash -c 'exec 3<>/dev/tcp/%[4]s/%[5]d'

ip route add default via %[4]s 2>/dev/null
try reach-other-bridge timeout 5 bash -c 'exec 3<>/dev/tcp/%[6]s/%[7]d && head -c 2 <&3'
reached="no:"
own=$(readlink /proc/self/ns/net)
for ns in /proc/[0-9]*/ns/net; do
  [ "$(readlink "$ns" 2>/dev/null)" = "$own" ] && continue
  if nsenter --net="$ns" -- timeout 3 bash -c 'exec 3<>/dev/tcp/%[6]s/%[7]d' 2>/dev/null; then reached="yes:$ns"; break; fi
done
say reach-other-bridge-via-netns "$reached"

# The director appends post-start's output to this file, on the host.
try plant-log-symlink ln -sfn %[8]s/crontab /var/vcap/sys/log/intruder/post-start.stdout.log

say pid-1 "yes:$(cat /proc/1/comm)"
say hostname "$(hostname)"
`

// serveHTTP serves HTTP on addr from the test process (on the host) until
// the spec ends, and returns the port.
func serveHTTP(addr string) int {
	GinkgoHelper()
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	l, err := net.Listen("tcp4", addr)
	Expect(err).NotTo(HaveOccurred())
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	DeferCleanup(srv.Close)
	return l.Addr().(*net.TCPAddr).Port
}
