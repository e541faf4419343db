package vm_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// What a VM must not reach of the host, tried by root inside the VM.
var _ = Describe("a VM's isolation from the host", Label("integration"), func() {
	var (
		opts vm.Options
		m    *vm.Manager
	)

	BeforeEach(func() {
		requireHost()
		opts = testOptions()
		m = newManager(opts)
	})

	It("has PID and UTS namespaces of its own: its /proc, its init as pid 1, its hostname", func(ctx SpecContext) {
		v := createVM(ctx, m, "vm-a", 2)

		Expect(mustRun(ctx, v, "cat /proc/1/comm")).To(Equal("tini\n"))
		Expect(mustRun(ctx, v, "hostname")).To(Equal("vm-a\n"))
		Expect(mustRun(ctx, v, "cat /proc/sys/kernel/hostname")).To(Equal("vm-a\n"))
		hostname, err := os.Hostname()
		Expect(err).NotTo(HaveOccurred())
		Expect(hostname).NotTo(Equal("vm-a"))

		By("seeing none of the host's processes, and signalling none")
		self := strconv.Itoa(os.Getpid())
		pids := strings.Fields(mustRun(ctx, v, "cd /proc && ls -d [0-9]*"))
		Expect(len(pids)).To(BeNumerically("<", 20), "a VM's /proc lists its own few processes: %v", pids)
		commands := strings.Fields(mustRun(ctx, v, "cat /proc/[0-9]*/comm"))
		Expect(commands).To(ContainElements("tini", "monit"))
		for _, c := range commands {
			Expect(c).To(BeElementOf("tini", "monit", "sh", "cat"), "the VM sees a process of the host")
		}
		if !slices.Contains(pids, self) {
			code, _ := run(ctx, v, vm.Cmd{Argv: []string{"kill", "-0", self}})
			Expect(code).NotTo(BeZero(), "the VM signalled the test process")
		}
	})

	It("sees neither the state directory (credentials, other VMs, disks) nor /root, and cannot undo that", func(ctx SpecContext) {
		credentials := filepath.Join(opts.StateDir, "credentials")
		Expect(os.MkdirAll(credentials, 0o700)).To(Succeed())
		Expect(os.WriteFile(filepath.Join(credentials, "admin-password"), []byte("hunter2"), 0o600)).To(Succeed())
		a := createVM(ctx, m, "vm-a", 2)
		b := createVM(ctx, m, "vm-b", 3)
		disk, err := m.CreateDisk("disk-b")
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(disk, "data"), []byte("b's data"), 0o600)).To(Succeed())
		Expect(m.AttachDisk(ctx, "vm-b", "disk-b")).To(Succeed())
		Expect(mustRun(ctx, b, "cat /var/vcap/store/data")).To(Equal("b's data"))

		for _, p := range []string{filepath.Join(credentials, "admin-password"), b.Root(), disk, filepath.Join(opts.StateDir, "vms")} {
			code, out := run(ctx, a, vm.Cmd{Argv: []string{"ls", "-d", p}})
			Expect(code).NotTo(BeZero(), "VM a sees %s: %s", p, out)
		}
		Expect(mustRun(ctx, a, "ls -A "+opts.StateDir)).To(BeEmpty())
		Expect(mustRun(ctx, a, "ls -A /root")).To(BeEmpty())

		By("not being able to unmount, mount or write its way back")
		for _, script := range []string{
			"umount " + opts.StateDir,
			"umount -l /var/vcap",
			"mount -t proc proc /mnt",
			"mount -o remount,rw /",
			"echo x > /etc/localbosh-was-here",
			"mknod /tmp/lbdisk b 254 0",
		} {
			code, out := run(ctx, a, vm.Cmd{Argv: []string{"sh", "-c", script}})
			Expect(code).NotTo(BeZero(), "%s succeeded in the VM: %s", script, out)
		}
		Expect("/etc/localbosh-was-here").NotTo(BeAnExistingFile())
		devices := strings.Fields(mustRun(ctx, a, "ls /dev"))
		Expect(devices).NotTo(ContainElement(MatchRegexp(`^(sd|vd|nvme|xvd|loop|mem|kmem|port)`)), "the host's disks and memory")

		By("still having its own /var/vcap, a writable /tmp and what jobs need in /dev")
		mustRun(ctx, a, "echo ok > /var/vcap/data/x && echo ok > /tmp/lbvm-$$ && rm /tmp/lbvm-$$")
		mustRun(ctx, a, "head -c 8 /dev/urandom > /dev/null && echo > /dev/null && test -c /dev/zero && test -d /dev/shm && test -c /dev/ptmx")
		Expect(mustRun(ctx, b, "cat /var/vcap/store/data")).To(Equal("b's data"))
	})

	Describe("the network", func() {
		var probe string

		BeforeEach(func() {
			var err error
			probe, err = gexec.Build("./testdata/netprobe")
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(gexec.CleanupBuildArtifacts)
		})

		It("reaches the host only at the director's port and the gateway services on the gateway", func(ctx SpecContext) {
			Expect(m.EnsureNetwork(ctx)).To(Succeed()) // the bridge, for the listeners on the gateway
			gateway := m.Options().Gateway.String()
			director := listen(net.JoinHostPort(gateway, "0"))
			service := listen(net.JoinHostPort(gateway, "0"))
			other := listen(net.JoinHostPort(gateway, "0"))
			everywhere := listen("0.0.0.0:0")
			_, everywherePort, err := net.SplitHostPort(everywhere)
			Expect(err).NotTo(HaveOccurred())
			_, directorPort, err := net.SplitHostPort(director)
			Expect(err).NotTo(HaveOccurred())
			o := opts
			o.DirectorPort = atoi(directorPort)
			_, servicePort, err := net.SplitHostPort(service)
			Expect(err).NotTo(HaveOccurred())
			o.GatewayServices = []int{atoi(servicePort)}
			dm, err := vm.New(o)
			Expect(err).NotTo(HaveOccurred())
			v := createVM(ctx, dm, "vm-a", 2)

			dial := func(addr string) string {
				code, out := run(ctx, v, vm.Cmd{Argv: []string{probe, "dial", addr}})
				if code == 0 {
					return "connected"
				}
				return out
			}
			Expect(dial(director)).To(Equal("connected"))
			Expect(dial(service)).To(Equal("connected"))
			Expect(dial(other)).To(ContainSubstring("timeout"))
			Expect(dial(net.JoinHostPort(gateway, everywherePort))).To(ContainSubstring("timeout"))

			By("still being reachable from the host")
			serveCtx, stop := context.WithCancel(ctx)
			DeferCleanup(stop)
			go func() { _, _ = v.Exec(serveCtx, vm.Cmd{Argv: []string{probe, "serve", v.IP().String() + ":7000"}}) }()
			Eventually(func() error { return exec.Command(probe, "dial", v.IP().String()+":7000").Run() }).Should(Succeed())

			By("having INPUT rules of its prefix, which Clean removes")
			Expect(hostOutput("iptables", "-w", "-S", "INPUT")).To(ContainSubstring(fmt.Sprintf("-i %s", opts.Bridge)))
		})
	})
})
