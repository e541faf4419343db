package vm

import (
	"context"
	"errors"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// statusBlock is one service in `monit status -B` output.
func statusBlock(name, status, monitoring string) string {
	return fmt.Sprintf("Process '%s'\n  status                       %s\n  monitoring status            %s\n\n", name, status, monitoring)
}

var _ = Describe("WaitRunning", func() {
	var (
		clock  *fakeClock
		polls  int
		answer func(poll int) string // the status output of the n-th poll, from 1
		v      *VM
	)

	BeforeEach(func() {
		clock = newFakeClock()
		polls = 0
		runner := &fakeRunner{respond: func(argv []string) (string, int) {
			if args := monitCommand(argv); len(args) > 0 && args[len(args)-1] == "-B" {
				polls++
				return "Monit 5.33.0 uptime: 0m\n\n" + answer(polls), 0
			}
			return "", 0
		}}
		v = newTestVM(GinkgoT().TempDir(), runner, clock)
	})

	It("sleeps the minimum watch time, then polls until every job service runs", func() {
		answer = func(poll int) string {
			if poll < 3 {
				return statusBlock("etcd", "Initializing", "Initializing") + statusBlock("consul", "OK", "Monitored")
			}
			return statusBlock("etcd", "OK", "Monitored") + statusBlock("consul", "OK", "Monitored")
		}
		Expect(v.WaitRunning(context.Background(), 5*time.Second, 65*time.Second)).To(Succeed())
		step := 60 * time.Second / 9
		Expect(clock.recordedSleeps()).To(Equal([]time.Duration{5 * time.Second, step, step}))
		Expect(polls).To(Equal(3))
	})

	It("fails after the maximum watch time, naming the services that do not run and their monit status", func() {
		answer = func(int) string {
			return statusBlock("etcd", "Execution failed | Does not exist", "Monitored") + statusBlock("consul", "OK", "Monitored")
		}
		err := v.WaitRunning(context.Background(), time.Second, 10*time.Second)
		var notRunning *NotRunningError
		Expect(errors.As(err, &notRunning)).To(BeTrue(), "%v", err)
		Expect(notRunning.Services).To(HaveLen(1))
		Expect(notRunning.Services[0].Name).To(Equal("etcd"))
		Expect(err).To(MatchError(ContainSubstring("etcd (Execution failed | Does not exist)")))
		Expect(err.Error()).NotTo(ContainSubstring("consul"))
		// 1 s, then checks every second up to 10 s: ten checks in all.
		Expect(polls).To(Equal(10))
	})

	It("clamps the interval between checks to 1-15 seconds, as the director does", func() {
		Expect(watchStep(0, 3*time.Second)).To(Equal(time.Second))
		Expect(watchStep(1*time.Second, 10*time.Second)).To(Equal(time.Second))
		Expect(watchStep(0, 300*time.Second)).To(Equal(15 * time.Second))
	})

	It("counts a VM without job services as running", func() {
		answer = func(int) string { return "" }
		Expect(v.WaitRunning(context.Background(), 0, 0)).To(Succeed())
	})

	It("rejects a maximum below the minimum, naming the manifest settings", func() {
		err := v.WaitRunning(context.Background(), 10*time.Second, time.Second)
		Expect(err).To(MatchError(ContainSubstring("update_watch_time")))
	})
})
