package turbulence_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/turbulence"
)

func TestTurbulence(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "turbulence agent")
}

// fakeVM records the commands the agent runs and the signals it sends, over
// a /proc of symlinks.
type fakeVM struct {
	mu       sync.Mutex
	commands []string
	signals  []string
	rules    map[string]bool
	proc     string
}

func (f *fakeVM) run(_ context.Context, argv ...string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	line := strings.Join(argv, " ")
	f.commands = append(f.commands, line)
	if argv[0] != "iptables" {
		return nil, nil
	}
	rule := strings.Join(argv[3:], " ")
	switch argv[2] {
	case "-C":
		if !f.rules[rule] {
			return []byte("no such rule"), os.ErrNotExist
		}
	case "-I":
		f.rules[rule] = true
	case "-D":
		if !f.rules[rule] {
			return []byte("no such rule"), os.ErrNotExist
		}
		delete(f.rules, rule)
	case "-S":
		var out []string
		for r := range f.rules {
			out = append(out, "-A "+strings.Replace(r, " -s 10.0.0.2", " -s 10.0.0.2/32", 1))
		}
		return []byte(strings.Join(out, "\n")), nil
	}
	return nil, nil
}

func (f *fakeVM) process(pid, exe string) {
	dir := filepath.Join(f.proc, pid)
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	Expect(os.Symlink(exe, filepath.Join(dir, "exe"))).To(Succeed())
}

// othersProcess is one whose exe link the agent may not read: only its
// command line tells what it runs.
func (f *fakeVM) othersProcess(pid, argv0 string) {
	dir := filepath.Join(f.proc, pid)
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	Expect(os.WriteFile(filepath.Join(dir, "cmdline"), []byte(argv0+"\x00-config\x00x.json\x00"), 0o644)).To(Succeed())
}

var _ = Describe("the agent", func() {
	var vm *fakeVM
	var client turbulence.Client

	BeforeEach(func() {
		vm = &fakeVM{rules: map[string]bool{}, proc: GinkgoT().TempDir()}
		// As on a stemcell: packages are links to their compiled directory.
		packages, data := GinkgoT().TempDir(), GinkgoT().TempDir()
		for _, pkg := range []string{"etcd", "etcdfab"} {
			Expect(os.MkdirAll(filepath.Join(data, pkg, "bin"), 0o755)).To(Succeed())
			Expect(os.WriteFile(filepath.Join(data, pkg, "bin", pkg), nil, 0o755)).To(Succeed())
			Expect(os.Symlink(filepath.Join(data, pkg), filepath.Join(packages, pkg))).To(Succeed())
		}
		vm.process("10", filepath.Join(data, "etcd", "bin", "etcd"))
		vm.process("11", filepath.Join(data, "etcdfab", "bin", "etcdfab"))
		vm.process("12", "/usr/bin/etcd")
		vm.othersProcess("13", filepath.Join(packages, "etcd", "bin", "etcd"))
		agent, err := turbulence.New(turbulence.Options{Username: "turbulence", Password: "pw", Run: vm.run,
			Monit: []string{"monit"}, Proc: vm.proc, Packages: packages, Store: GinkgoT().TempDir(),
			Signal: func(pid int, sig syscall.Signal) error {
				vm.mu.Lock()
				defer vm.mu.Unlock()
				vm.signals = append(vm.signals, sig.String()+" "+strconv.Itoa(pid))
				return nil
			}})
		Expect(err).NotTo(HaveOccurred())
		server := httptest.NewServer(agent)
		DeferCleanup(server.Close)
		client = turbulence.Client{URL: server.URL, Username: "turbulence", Password: "pw"}
	})

	It("drops traffic with an address both ways, once, and restores it", func(ctx SpecContext) {
		Expect(client.Drop(ctx, "10.0.0.2")).To(Succeed())
		Expect(client.Drop(ctx, "10.0.0.2")).To(Succeed())
		Expect(vm.rules).To(HaveLen(2))
		Expect(vm.rules).To(HaveKey("INPUT -s 10.0.0.2 -m comment --comment turbulence-agent-drop -j DROP"))
		Expect(vm.rules).To(HaveKey("OUTPUT -d 10.0.0.2 -m comment --comment turbulence-agent-drop -j DROP"))
		Expect(client.Restore(ctx)).To(Succeed())
		Expect(vm.rules).To(BeEmpty())
	})

	It("signals only the package's program", func(ctx SpecContext) {
		Expect(client.Kill(ctx, "etcd")).To(Succeed())
		Expect(client.Pause(ctx, "etcd")).To(Succeed())
		Expect(client.Resume(ctx, "etcd")).To(Succeed())
		Expect(vm.signals).To(Equal([]string{"killed 10", "killed 13", "stopped (signal) 10", "stopped (signal) 13", "continued 10", "continued 13"}))
		Expect(client.Kill(ctx, "consul")).To(MatchError(ContainSubstring("no process runs")))
	})

	It("stops a job through monit and deletes its data", func(ctx SpecContext) {
		Expect(os.RemoveAll(filepath.Join(vm.proc, "10"))).To(Succeed())
		Expect(os.RemoveAll(filepath.Join(vm.proc, "13"))).To(Succeed())
		Expect(client.Stop(ctx, "etcd", true)).To(Succeed())
		Expect(client.Start(ctx, "etcd")).To(Succeed())
		Expect(vm.commands).To(Equal([]string{"monit stop etcd", "monit start etcd"}))
	})

	It("refuses bad input and wrong credentials", func(ctx SpecContext) {
		Expect(client.Drop(ctx, "not-an-ip")).To(MatchError(ContainSubstring("not an IPv4 address")))
		Expect(client.Kill(ctx, "../etcd")).To(MatchError(ContainSubstring("HTTP 400")))
		wrong := client
		wrong.Password = "nope"
		Expect(wrong.Health(ctx)).To(MatchError(ContainSubstring("HTTP 401")))
	})
})
