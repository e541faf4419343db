package vm_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

var _ = Describe("VMs on this machine", Label("integration"), func() {
	var (
		opts vm.Options
		m    *vm.Manager
	)

	BeforeEach(func() {
		requireHost()
		opts = testOptions()
		m = newManager(opts)
	})

	Describe("the network", func() {
		var probe string

		BeforeEach(func() {
			var err error
			probe, err = gexec.Build("./testdata/netprobe")
			Expect(err).NotTo(HaveOccurred())
			DeferCleanup(gexec.CleanupBuildArtifacts)
		})

		// dial connects from inside v to addr and returns netprobe's verdict:
		// "" when the address answered, else the connection error.
		dial := func(ctx context.Context, v *vm.VM, addr string) string {
			code, out := run(ctx, v, vm.Cmd{Argv: []string{probe, "dial", addr}})
			if code == 0 {
				return ""
			}
			return strings.TrimSpace(out) + " "
		}

		It("connects VMs with each other and the gateway over the bridge", func(ctx SpecContext) {
			a := createVM(ctx, m, "vm-a", 2)
			b := createVM(ctx, m, "vm-b", 3)

			By("serving on VM a and connecting from VM b")
			serveCtx, stopServing := context.WithCancel(ctx)
			DeferCleanup(stopServing)
			go func() {
				_, _ = a.Exec(serveCtx, vm.Cmd{Argv: []string{probe, "serve", a.IP().String() + ":7000"}})
			}()
			Eventually(func() string { return dial(ctx, b, a.IP().String()+":7000") }).Should(BeEmpty())

			By("reaching a listener on the gateway at the director's port")
			gw := listen(net.JoinHostPort(m.Options().Gateway.String(), "0"))
			_, port, err := net.SplitHostPort(gw)
			Expect(err).NotTo(HaveOccurred())
			o := opts
			o.DirectorPort = atoi(port)
			withPort, err := vm.New(o)
			Expect(err).NotTo(HaveOccurred())
			Expect(withPort.EnsureNetwork(ctx)).To(Succeed())
			Expect(dial(ctx, a, gw)).To(BeEmpty())
		})

		It("reaches a VM that reuses a deleted VM's IP at once, though the peer knew the old one", func(ctx SpecContext) {
			a := createVM(ctx, m, "vm-a", 2)
			serve := func(v *vm.VM) {
				serveCtx, stopServing := context.WithCancel(ctx)
				DeferCleanup(stopServing)
				go func() {
					_, _ = v.Exec(serveCtx, vm.Cmd{Argv: []string{probe, "serve", v.IP().String() + ":7000"}})
				}()
			}
			b := createVM(ctx, m, "vm-b", 3)
			serve(b)
			addr := b.IP().String() + ":7000"
			Eventually(func() string { return dial(ctx, a, addr) }).Should(BeEmpty())

			By("deleting VM b and creating another VM on its IP")
			Expect(m.Delete(ctx, "vm-b")).To(Succeed())
			b2 := createVM(ctx, m, "vm-b2", 3)
			serve(b2)
			Eventually(func() string { return dial(ctx, b2, addr) }).Should(BeEmpty(), "serving")
			start := time.Now()
			Eventually(func() string { return dial(ctx, a, addr) }, "10s", "100ms").Should(BeEmpty())
			Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second),
				"VM a still sends to the deleted VM's hardware address (its neighbour entry)")
		})

		It("reaches neither the host's loopback nor any address off the bridge", func(ctx SpecContext) {
			a := createVM(ctx, m, "vm-a", 2)

			By("having only the subnet's route")
			routes := strings.Split(strings.TrimSpace(mustRun(ctx, a, "ip -4 route show")), "\n")
			Expect(routes).To(HaveLen(1))
			Expect(routes[0]).To(HavePrefix(opts.Subnet.String() + " dev eth0 "))
			Expect(mustRun(ctx, a, "ip -6 route show")).To(BeEmpty())

			By("finding its own loopback, not the host's, at 127.0.0.1")
			hostLoopback := listen("127.0.0.1:0")
			Expect(dial(ctx, a, hostLoopback)).To(ContainSubstring("connection refused"))

			By("finding no route to the host's other addresses or the internet")
			targets := []string{"8.8.8.8:53"}
			for _, ip := range hostAddresses(opts.Subnet) {
				targets = append(targets, net.JoinHostPort(ip.String(), "22"))
			}
			for _, t := range targets {
				Expect(dial(ctx, a, t)).To(ContainSubstring("network is unreachable"), t)
			}

			By("having the FORWARD rules that drop routed traffic between the bridge and other interfaces")
			rules := hostOutput("iptables", "-w", "-S", "FORWARD")
			Expect(rules).To(ContainSubstring(fmt.Sprintf("-A FORWARD -i %[1]s ! -o %[1]s ", opts.Bridge)))
			Expect(rules).To(ContainSubstring(fmt.Sprintf("-A FORWARD ! -i %[1]s -o %[1]s ", opts.Bridge)))
			Expect(hostOutput("iptables", "-w", "-t", "nat", "-S")).NotTo(ContainSubstring(opts.Bridge))
		})
	})

	It("gives each VM its own /var/vcap with the BOSH layout and its own /etc/resolv.conf", func(ctx SpecContext) {
		hostResolv, err := os.ReadFile("/etc/resolv.conf")
		Expect(err).NotTo(HaveOccurred())
		a := createVM(ctx, m, "vm-a", 2, "10.245.0.53", "10.245.0.54")
		b := createVM(ctx, m, "vm-b", 3)

		Expect(mustRun(ctx, a, "cat /etc/resolv.conf")).To(Equal("nameserver 10.245.0.53\nnameserver 10.245.0.54\n"))
		Expect(mustRun(ctx, b, "grep -c nameserver /etc/resolv.conf || true")).To(Equal("0\n"))
		Expect(os.ReadFile("/etc/resolv.conf")).To(Equal(hostResolv))

		mustRun(ctx, a, "echo from-a > /var/vcap/data/marker")
		Expect(os.ReadFile(filepath.Join(a.Root(), "data", "marker"))).To(Equal([]byte("from-a\n")))
		Expect("/var/vcap/data/marker").NotTo(BeAnExistingFile())
		code, _ := run(ctx, b, vm.Cmd{Argv: []string{"test", "-e", "/var/vcap/data/marker"}})
		Expect(code).To(Equal(1))

		for _, d := range []string{"data", "store", "jobs", "packages", "sys/log", "sys/run", "monit/job", "bosh/bin"} {
			mustRun(ctx, a, "test -d /var/vcap/"+d)
		}
		Expect(mustRun(ctx, a, "stat -c %U:%G /var/vcap/sys/run")).To(Equal("root:vcap\n"))

		By("holding no namespace files, which would keep deleted VMs' namespaces alive")
		Expect(mustRun(ctx, b, "grep -c nsfs /proc/self/mountinfo || true")).To(Equal("0\n"))
	})

	It("creates VMs concurrently", func(ctx SpecContext) {
		const count = 4
		vms := make([]*vm.VM, count)
		errs := make([]error, count)
		var wg sync.WaitGroup
		for i := range count {
			wg.Go(func() {
				ip := m.Options().Subnet.Addr().Next().Next()
				for range i {
					ip = ip.Next()
				}
				vms[i], errs[i] = m.Create(ctx, vm.Spec{CID: fmt.Sprintf("vm-%d", i), IP: ip})
			})
		}
		wg.Wait()
		for i := range count {
			Expect(errs[i]).NotTo(HaveOccurred())
			Expect(mustRun(ctx, vms[i], "ip -4 -o addr show dev eth0")).To(ContainSubstring(vms[i].IP().String() + "/24"))
		}
		Expect(m.List()).To(HaveLen(count))
	})

	It("runs commands with a clean environment, in a directory, as root or vcap", func(ctx SpecContext) {
		a := createVM(ctx, m, "vm-a", 2)

		_, out := run(ctx, a, vm.Cmd{Argv: []string{"env"}, Env: []string{"X=1"}})
		Expect(strings.Fields(out)).To(ConsistOf("PATH=/var/vcap/bosh/bin:/usr/sbin:/usr/bin:/sbin:/bin", "X=1"))
		_, out = run(ctx, a, vm.Cmd{Argv: []string{"pwd"}, Dir: "/var/vcap/jobs"})
		Expect(out).To(Equal("/var/vcap/jobs\n"))
		_, out = run(ctx, a, vm.Cmd{Argv: []string{"id", "-un"}, User: "vcap"})
		Expect(out).To(Equal("vcap\n"))
		_, out = run(ctx, a, vm.Cmd{Argv: []string{"id", "-un"}})
		Expect(out).To(Equal("root\n"))
		_, out = run(ctx, a, vm.Cmd{Argv: []string{"cat"}, Stdin: strings.NewReader("fed in")})
		Expect(out).To(Equal("fed in"))
		code, _ := run(ctx, a, vm.Cmd{Argv: []string{"sh", "-c", "exit 7"}})
		Expect(code).To(Equal(7))
		code, _ = run(ctx, a, vm.Cmd{Argv: []string{"no-such-program"}})
		Expect(code).To(Equal(127))
	})

	Describe("monit", func() {
		var v *vm.VM

		BeforeEach(func(ctx SpecContext) {
			v = createVM(ctx, m, "vm-a", 2)
		})

		It("starts a job's process only when asked, reports it running, and stops it", func(ctx SpecContext) {
			Expect(v.WriteJobMonit(0, "looper", loopJob("looper"))).To(Succeed())
			Expect(v.Reload(ctx)).To(Succeed())
			services, err := v.Summary(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(services).To(HaveLen(1))
			Expect(services[0]).To(MatchFields("looper", "Not monitored", false))

			Expect(v.StartAll(ctx)).To(Succeed())
			Expect(v.WaitRunning(ctx, 0, 20*time.Second)).To(Succeed())
			services, err = v.Summary(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(services[0]).To(MatchFields("looper", "OK", true))
			Expect(services[0].PID).To(BeNumerically(">", 0))
			pid := hostPID(v, services[0].PID)
			Expect(namespaceInode(fmt.Sprintf("/proc/%d/ns/net", pid))).To(Equal(namespaceInode("/run/netns/" + v.NetNS())))

			Expect(v.Stop(ctx, "looper")).To(Succeed())
			services, err = v.Summary(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(services[0]).To(MatchFields("looper", "Not monitored", false))
			Eventually(func() bool { return processAlive(pid) }).Should(BeFalse())
		})

		It("adopts job processes that daemonize into the VM's own reaper, so none lingers as a zombie", func(ctx SpecContext) {
			Expect(v.WriteJobMonit(0, "looper", loopJob("looper"))).To(Succeed())
			Expect(v.Reload(ctx)).To(Succeed())
			Expect(v.StartAll(ctx)).To(Succeed())
			Expect(v.WaitRunning(ctx, 0, 20*time.Second)).To(Succeed())
			services, err := v.Summary(ctx)
			Expect(err).NotTo(HaveOccurred())
			pid := hostPID(v, services[0].PID)

			By("finding the daemonized process's parent: the VM's init, not the host's")
			parent := parentPID(pid)
			comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", parent))
			Expect(err).NotTo(HaveOccurred())
			Expect(strings.TrimSpace(string(comm))).To(Equal("tini"))
			Expect(namespaceInode(fmt.Sprintf("/proc/%d/ns/net", parent))).To(Equal(namespaceInode("/run/netns/" + v.NetNS())))

			By("killing it behind monit's back: the reaper collects it")
			Expect(syscall.Kill(pid, syscall.SIGKILL)).To(Succeed())
			Eventually(func() bool {
				_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
				return os.IsNotExist(err)
			}).Should(BeTrue())
		})

		It("leaves an unmonitored process running for drain, and still stops it", func(ctx SpecContext) {
			Expect(v.WriteJobMonit(0, "looper", loopJob("looper"))).To(Succeed())
			Expect(v.Reload(ctx)).To(Succeed())
			Expect(v.StartAll(ctx)).To(Succeed())
			Expect(v.WaitRunning(ctx, 0, 20*time.Second)).To(Succeed())
			services, err := v.Summary(ctx)
			Expect(err).NotTo(HaveOccurred())
			pid := hostPID(v, services[0].PID)

			Expect(v.UnmonitorAll(ctx)).To(Succeed())
			services, err = v.Summary(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(services[0].Monitoring).To(Equal("Not monitored"))
			Expect(processAlive(pid)).To(BeTrue())

			By("still running the stop program when asked to stop, as after drain")
			Expect(v.StopAll(ctx)).To(Succeed())
			Eventually(func() bool { return processAlive(pid) }).Should(BeFalse())
		})

		It("does not bring back a process that drain stopped while unmonitored", func(ctx SpecContext) {
			Expect(v.WriteJobMonit(0, "looper", loopJob("looper"))).To(Succeed())
			Expect(v.Reload(ctx)).To(Succeed())
			Expect(v.StartAll(ctx)).To(Succeed())
			Expect(v.WaitRunning(ctx, 0, 20*time.Second)).To(Succeed())
			Expect(v.UnmonitorAll(ctx)).To(Succeed())
			pidfile := filepath.Join(v.Root(), "sys", "run", "looper.pid")
			pid, err := os.ReadFile(pidfile)
			Expect(err).NotTo(HaveOccurred())

			mustRun(ctx, v, "kill $(cat /var/vcap/sys/run/looper.pid)")
			// Gone, not a zombie: monit would see a zombie as an error, not as
			// a process to start again.
			Eventually(func() int {
				code, _ := run(ctx, v, vm.Cmd{Argv: []string{"test", "-e", fmt.Sprintf("/proc/%d", atoi(string(pid)))}})
				return code
			}, 5*time.Second).ShouldNot(BeZero())
			Expect(v.StopAll(ctx)).To(Succeed())

			// A restart would have run the start program, writing a new pid.
			Expect(os.ReadFile(pidfile)).To(Equal(pid))
			services, err := v.Summary(ctx)
			Expect(err).NotTo(HaveOccurred())
			Expect(services[0]).To(MatchFields("looper", "Not monitored", false))
		})

		It("names the services that do not run within the watch time", func(ctx SpecContext) {
			Expect(v.WriteJobMonit(0, "looper", loopJob("looper"))).To(Succeed())
			Expect(v.WriteJobMonit(1, "broken", []byte(`check process broken
  with pidfile /var/vcap/sys/run/broken.pid
  start program "/bin/true" with timeout 1 seconds
  stop program "/bin/true"
  group vcap
`))).To(Succeed())
			Expect(v.Reload(ctx)).To(Succeed())
			Expect(v.StartAll(ctx)).To(Succeed())

			// monit runs start programs one after another, waiting up to
			// their timeout for each: give looper time to get its turn.
			err := v.WaitRunning(ctx, 0, 10*time.Second)
			var notRunning *vm.NotRunningError
			Expect(errors.As(err, &notRunning)).To(BeTrue(), "%v", err)
			Expect(notRunning.Services).To(HaveLen(1))
			Expect(notRunning.Services[0].Name).To(Equal("broken"))
			Expect(err).To(MatchError(ContainSubstring("broken (")))
		})
	})

	It("keeps a persistent disk across VMs", func(ctx SpecContext) {
		diskPath, err := m.CreateDisk("disk-1")
		Expect(err).NotTo(HaveOccurred())
		_, err = m.CreateDisk("disk-1")
		Expect(err).To(MatchError(vm.ErrExists))

		a := createVM(ctx, m, "vm-a", 2)
		Expect(m.AttachDisk(ctx, "vm-a", "disk-1")).To(Succeed())
		Expect(m.AttachDisk(ctx, "vm-a", "disk-1")).To(Succeed())
		mustRun(ctx, a, "echo kept > /var/vcap/store/data")
		Expect(os.ReadFile(filepath.Join(diskPath, "data"))).To(Equal([]byte("kept\n")))
		Expect(filepath.Join(a.Root(), "store", "data")).NotTo(BeAnExistingFile())
		got, err := m.Get("vm-a")
		Expect(err).NotTo(HaveOccurred())
		Expect(got.DiskCID()).To(Equal("disk-1"))

		b := createVM(ctx, m, "vm-b", 3)
		Expect(m.AttachDisk(ctx, "vm-b", "disk-1")).To(MatchError(vm.ErrDiskAttached))
		Expect(m.DeleteDisk("disk-1")).To(MatchError(vm.ErrDiskAttached))

		Expect(m.Delete(ctx, "vm-a")).To(Succeed())
		Expect(m.AttachDisk(ctx, "vm-b", "disk-1")).To(Succeed())
		Expect(mustRun(ctx, b, "cat /var/vcap/store/data")).To(Equal("kept\n"))

		Expect(m.DetachDisk(ctx, "vm-b", "disk-1")).To(Succeed())
		Expect(m.DetachDisk(ctx, "vm-b", "disk-1")).To(Succeed())
		Expect(mustRun(ctx, b, "ls -A /var/vcap/store")).To(BeEmpty())
		Expect(m.DeleteDisk("disk-1")).To(Succeed())
		Expect(diskPath).NotTo(BeADirectory())
	})

	It("finds its VMs again after the director restarts", func(ctx SpecContext) {
		v := createVM(ctx, m, "vm-a", 2)
		Expect(v.WriteJobMonit(0, "looper", loopJob("looper"))).To(Succeed())
		Expect(v.Reload(ctx)).To(Succeed())
		Expect(v.StartAll(ctx)).To(Succeed())

		restarted, err := vm.New(opts)
		Expect(err).NotTo(HaveOccurred())
		Expect(restarted.List()).To(Equal([]string{"vm-a"}))
		found, err := restarted.Get("vm-a")
		Expect(err).NotTo(HaveOccurred())
		Expect(found.IP()).To(Equal(v.IP()))
		Expect(found.Root()).To(Equal(v.Root()))
		Expect(found.WaitRunning(ctx, 0, 20*time.Second)).To(Succeed())
		Expect(mustRun(ctx, found, "cat /var/vcap/sys/run/looper.pid")).NotTo(BeEmpty())

		_, err = restarted.Get("vm-nope")
		Expect(err).To(MatchError(vm.ErrNotFound))
	})

	It("kills the processes left in a VM when deleting it, and deletes idempotently", func(ctx SpecContext) {
		v := createVM(ctx, m, "vm-a", 2)
		pid := hostPID(v, atoi(mustRun(ctx, v, "setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $!")))
		monitPid, err := os.ReadFile(filepath.Join(v.Root(), "monit", "monit.pid"))
		Expect(err).NotTo(HaveOccurred())
		monit := hostPID(v, atoi(string(monitPid)))
		Expect(processAlive(pid)).To(BeTrue())
		Expect(processAlive(monit)).To(BeTrue())

		Expect(m.Delete(ctx, "vm-a")).To(Succeed())
		Expect(processAlive(pid)).To(BeFalse())
		Expect(processAlive(monit)).To(BeFalse())
		Expect(v.Root()).NotTo(BeADirectory())
		Expect(hostOutput("ip", "netns", "list")).NotTo(ContainSubstring(v.NetNS()))

		Expect(m.Delete(ctx, "vm-a")).To(Succeed())
		Expect(m.Delete(ctx, "never-made")).To(Succeed())
		Expect(m.List()).To(BeEmpty())
	})

	It("refuses a taken cid or IP without disturbing the VM that has it", func(ctx SpecContext) {
		a := createVM(ctx, m, "vm-a", 2)
		_, err := m.Create(ctx, vm.Spec{CID: "vm-a", IP: a.IP().Next()})
		Expect(err).To(MatchError(vm.ErrExists))
		_, err = m.Create(ctx, vm.Spec{CID: "vm-b", IP: a.IP()})
		Expect(err).To(MatchError(vm.ErrIPInUse))
		_, err = m.Create(ctx, vm.Spec{CID: "vm-c", IP: m.Options().Gateway})
		Expect(err).To(MatchError(ContainSubstring("is the gateway")))
		Expect(m.List()).To(Equal([]string{"vm-a"}))
		mustRun(ctx, a, "test -f /var/vcap/monit/monitrc")
	})

	DescribeTable("removes what it made when creating a VM fails",
		func(ctx SpecContext, failing func(argv []string) bool, complaint string) {
			o := opts
			o.Runner = failingRunner{fails: failing}
			fm, err := vm.New(o)
			Expect(err).NotTo(HaveOccurred())
			_, err = fm.Create(ctx, vm.Spec{CID: "vm-x", IP: opts.Subnet.Addr().Next().Next()})
			Expect(err).To(MatchError(ContainSubstring(complaint)))

			Expect(fm.List()).To(BeEmpty())
			Expect(hostOutput("ip", "netns", "list")).NotTo(ContainSubstring(opts.Prefix + "-"))
			Expect(hostOutput("ip", "-o", "link", "show", "type", "veth")).NotTo(ContainSubstring(opts.Prefix))
			// ns/vm-x, ns/vm-x:pid, ns/vm-x:uts
			Expect(os.ReadFile("/proc/mounts")).NotTo(ContainSubstring(filepath.Join(opts.StateDir, "ns", "vm-x")))
		},
		Entry("when the mount namespace cannot be made",
			func(argv []string) bool { return argv[0] == "unshare" }, "creating mount namespace of VM vm-x"),
		Entry("when its init does not start",
			func(argv []string) bool { return argv[0] == "setsid" && slices.Contains(argv, "unshare") }, "starting monit in VM vm-x"),
	)

	It("cleans up everything its prefix made, and nothing of another prefix", func(ctx SpecContext) {
		a := createVM(ctx, m, "vm-a", 2)
		Expect(a.WriteJobMonit(0, "looper", loopJob("looper"))).To(Succeed())
		Expect(a.Reload(ctx)).To(Succeed())
		Expect(a.StartAll(ctx)).To(Succeed())
		b := createVM(ctx, m, "vm-b", 3)
		_, err := m.CreateDisk("disk-1")
		Expect(err).NotTo(HaveOccurred())
		Expect(m.AttachDisk(ctx, "vm-b", "disk-1")).To(Succeed())

		otherOpts := testOptions()
		otherOpts.Prefix = fmt.Sprintf("lbvu%d", GinkgoParallelProcess())
		otherOpts.Bridge = otherOpts.Prefix
		otherOpts.Subnet = netip.MustParsePrefix(fmt.Sprintf("10.245.%d.0/24", 150+GinkgoParallelProcess()))
		other := createVM(ctx, newManager(otherOpts), "vm-other", 2)

		By("leaving behind a namespace and a veth whose VM records are gone")
		hostOutput("ip", "netns", "add", opts.Prefix+"-0ddba11")
		ghostVeth := opts.Prefix + "0ddba11"
		hostOutput("ip", "link", "add", "name", ghostVeth, "type", "veth", "peer", "name", ghostVeth+"p")
		hostOutput("ip", "link", "set", "dev", ghostVeth, "alias", opts.Prefix+":vm:ghost")
		unrelated := fmt.Sprintf("lbzz%d", GinkgoParallelProcess())
		hostOutput("ip", "link", "add", "name", unrelated, "type", "veth", "peer", "name", unrelated+"p")
		DeferCleanup(hostOutput, "ip", "link", "delete", "dev", unrelated)

		removed, err := m.Clean(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(removed).To(ContainElements(
			"network namespace "+a.NetNS(), "network namespace "+b.NetNS(),
			"network namespace "+opts.Prefix+"-0ddba11", "interface "+ghostVeth,
			"interface "+opts.Bridge, "mount "+filepath.Join(opts.StateDir, "ns")))
		expectNothingLeft(opts)
		Expect(m.List()).To(BeEmpty())
		Expect(m.Disks()).To(Equal([]string{"disk-1"}))

		Expect(mustRun(ctx, other, "cat /etc/resolv.conf")).NotTo(BeEmpty())
		Expect(hostOutput("ip", "netns", "list")).To(ContainSubstring(other.NetNS()))
		Expect(hostOutput("iptables", "-w", "-S", "FORWARD")).To(ContainSubstring(otherOpts.Prefix + ":isolate:"))
		Expect(hostOutput("ip", "-o", "link", "show")).To(ContainSubstring(unrelated))
	})

	It("measures creating and deleting VMs (reported, not a limit)", func(ctx SpecContext) {
		const count = 5
		var creates, deletes []time.Duration
		for i := range count {
			start := time.Now()
			v := createVM(ctx, m, fmt.Sprintf("vm-%d", i), 2+i)
			creates = append(creates, time.Since(start))
			Expect(v.WriteJobMonit(0, "looper", loopJob("looper"))).To(Succeed())
			Expect(v.Reload(ctx)).To(Succeed())
			Expect(v.StartAll(ctx)).To(Succeed())
			Expect(v.WaitRunning(ctx, 0, 20*time.Second)).To(Succeed())
		}
		for i := range count {
			start := time.Now()
			Expect(m.Delete(ctx, fmt.Sprintf("vm-%d", i))).To(Succeed())
			deletes = append(deletes, time.Since(start))
		}
		Expect(m.List()).To(BeEmpty())
		AddReportEntry("VM create times", fmt.Sprint(creates))
		AddReportEntry("VM delete times (monit stopping one job)", fmt.Sprint(deletes))
	})
})

// MatchFields matches a ServiceStatus's name, status and Running.
func MatchFields(name, status string, running bool) OmegaMatcher {
	return SatisfyAll(
		HaveField("Name", name),
		HaveField("Status", status),
		HaveField("Running", running),
	)
}

// listen serves "ok" on addr from the test process (on the host) and
// returns the address it listens on.
func listen(addr string) string {
	GinkgoHelper()
	l, err := net.Listen("tcp", addr)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(l.Close)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("ok"))
			c.Close()
		}
	}()
	return l.Addr().String()
}

// hostAddresses lists the host's IPv4 addresses outside subnet and loopback.
func hostAddresses(subnet netip.Prefix) []netip.Addr {
	GinkgoHelper()
	addrs, err := net.InterfaceAddrs()
	Expect(err).NotTo(HaveOccurred())
	var out []netip.Addr
	for _, a := range addrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil || !p.Addr().Is4() || p.Addr().IsLoopback() || subnet.Contains(p.Addr()) {
			continue
		}
		out = append(out, p.Addr())
	}
	return out
}

func atoi(s string) int {
	GinkgoHelper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	Expect(err).NotTo(HaveOccurred())
	return n
}

// processAlive reports a process that exists and is not a zombie.
// parentPID reads a process's parent from /proc.
func parentPID(pid int) int {
	GinkgoHelper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	Expect(err).NotTo(HaveOccurred())
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "PPid:"); ok {
			ppid, err := strconv.Atoi(strings.TrimSpace(v))
			Expect(err).NotTo(HaveOccurred())
			return ppid
		}
	}
	Fail("no PPid in /proc status")
	return 0
}

func processAlive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// failingRunner runs commands for real, except those fails picks, which
// exit 1 as a failing program would.
type failingRunner struct{ fails func(argv []string) bool }

func (f failingRunner) Run(ctx context.Context, c vm.Command) (int, error) {
	if f.fails(c.Argv) {
		return 1, nil
	}
	return vm.ExecRunner{}.Run(ctx, c)
}
