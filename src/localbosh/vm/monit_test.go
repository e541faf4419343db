package vm

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("monit control", func() {
	var (
		runner *fakeRunner
		v      *VM
		ctx    context.Context
	)

	BeforeEach(func() {
		ctx = context.Background()
		runner = &fakeRunner{}
		v = newTestVM(GinkgoT().TempDir(), runner, newFakeClock())
	})

	// monitCalls are the monit arguments of every monit command run.
	monitCalls := func() []string {
		var calls []string
		for _, c := range runner.calls {
			if args := monitCommand(c); args != nil {
				calls = append(calls, strings.Join(args, " "))
			}
		}
		return calls
	}

	It("runs the monit CLI inside the VM with the VM's monitrc", func() {
		Expect(v.Start(ctx, "etcd")).To(Succeed())
		Expect(runner.calls[0]).To(ContainElements("nsenter", "monit", "-c", "/var/vcap/monit/monitrc", "start", "etcd"))
	})

	It("acts on the vcap group for all services, as the BOSH agent does", func() {
		Expect(v.StartAll(ctx)).To(Succeed())
		Expect(monitCalls()).To(Equal([]string{"-g vcap start"}))
	})

	It("treats a VM without job services as having nothing to start or report", func() {
		runner.respond = func(argv []string) (string, int) { return "Group 'vcap' not found\n", 1 }
		Expect(v.StartAll(ctx)).To(Succeed())
		runner.respond = func(argv []string) (string, int) { return "Service group 'vcap' not found\n", 1 }
		services, err := v.Summary(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(services).To(BeEmpty())
	})

	It("waits for a stop until monit no longer monitors the services and has nothing pending", func() {
		polls := 0
		runner.respond = func(argv []string) (string, int) {
			args := monitCommand(argv)
			if len(args) > 0 && args[len(args)-1] == "-B" {
				polls++
				if polls < 3 {
					return statusBlock("etcd", "OK - stop pending", "Monitored"), 0
				}
				return statusBlock("etcd", "Not monitored", "Not monitored"), 0
			}
			return "", 0
		}
		Expect(v.StopAll(ctx)).To(Succeed())
		Expect(polls).To(Equal(3))
		Expect(monitCalls()).To(ContainElement("-g vcap stop"))
		Expect(monitCalls()).NotTo(ContainElement(HavePrefix("monitor")))
	})

	It("reports a failing monit command with what monit said", func() {
		runner.respond = func(argv []string) (string, int) { return "Service 'nosuch' not found\n", 1 }
		err := v.Start(ctx, "nosuch")
		Expect(err).To(MatchError(ContainSubstring("`monit start nosuch` in VM vm-1 exited 1: Service 'nosuch' not found")))
	})

	It("rejects a service name monit would split", func() {
		Expect(v.Stop(ctx, "a b")).To(MatchError(ContainSubstring(`"a b" is not a service name`)))
		Expect(runner.calls).To(BeEmpty())
	})

	It("waits for a reload until monit logs that it re-read its configuration", func() {
		clock := newFakeClock()
		v = newTestVM(GinkgoT().TempDir(), runner, clock)
		logPath := filepath.Join(v.Root(), "monit", "monit.log")
		mustWrite(logPath, "[earlier] info : 'vm' Monit reloaded\n")
		clock.onSleep = func(n int) {
			if n == 3 {
				f, err := os.OpenFile(logPath, os.O_APPEND|os.O_WRONLY, 0)
				Expect(err).NotTo(HaveOccurred())
				_, _ = f.WriteString("[now] info : 'vm' Monit reloaded\n")
				f.Close()
			}
		}
		Expect(v.Reload(ctx)).To(Succeed())
		// The line logged before the reload does not count; the one after does,
		// and then monit is asked whether it answers again.
		Expect(clock.recordedSleeps()).To(HaveLen(3))
		Expect(monitCalls()).To(Equal([]string{"reload", "-g vcap status -B"}))
	})

	It("gives up on a reload monit never finishes, pointing at monit's log", func() {
		mustWrite(filepath.Join(v.Root(), "monit", "monit.log"), "")
		err := v.Reload(ctx)
		Expect(err).To(MatchError(ContainSubstring("monit.log")))
	})

	It("installs job monit files as the agent names them and removes them all", func() {
		Expect(v.WriteJobMonit(1, "etcd", []byte("check process etcd\n"))).To(Succeed())
		Expect(v.WriteJobMonit(0, "consul_agent", []byte("check process consul\n"))).To(Succeed())
		entries, err := os.ReadDir(v.jobMonitDir())
		Expect(err).NotTo(HaveOccurred())
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		Expect(names).To(Equal([]string{"0000_consul_agent.monitrc", "0001_etcd.monitrc"}))
		Expect(os.ReadFile(filepath.Join(v.jobMonitDir(), "0001_etcd.monitrc"))).To(Equal([]byte("check process etcd\n")))

		Expect(v.RemoveJobMonits()).To(Succeed())
		Expect(os.ReadDir(v.jobMonitDir())).To(BeEmpty())
	})

	It("refuses job names that would escape the job directory", func() {
		Expect(v.WriteJobMonit(0, "../x", nil)).To(MatchError(ContainSubstring(`job "../x"`)))
	})
})
