package vm

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// statusOutput is `monit -g vcap status -B` of monit 5.33 with a running
// process, one that cannot start and one being stopped.
const statusOutput = `Monit 5.33.0 uptime: 2h 5m

Process 'loop_with_a_very_long_service_name_that_exceeds_columns'
  status                       OK
  monitoring status            Monitored
  monitoring mode              active
  on reboot                    nostart
  pid                          10052
  parent pid                   1
  uid                          0
  effective uid                0
  gid                          0
  uptime                       1d 2h 3m
  threads                      1
  children                     1
  cpu                          -
  cpu total                    1.5%
  memory                       0.0% [548 kB]
  memory total                 0.3% [2.1 MB]
  security attribute           -
  filedescriptors              3 [0.0% of 20000 limit]
  data collected               Mon, 23 Nov 2026 16:46:27

Process 'broken'
  status                       Execution failed | Does not exist
  monitoring status            Monitored
  monitoring mode              active
  on reboot                    nostart
  data collected               Mon, 23 Nov 2026 16:45:53

Process 'stopping'
  status                       OK - stop pending
  monitoring status            Monitored
  monitoring mode              active
  on reboot                    nostart
  pid                          77
  uptime                       0m
  data collected               Mon, 23 Nov 2026 16:45:53

`

var _ = Describe("parsing monit status", func() {
	It("reads every service with its full name, status and resource use", func() {
		services, err := parseMonitStatus(statusOutput)
		Expect(err).NotTo(HaveOccurred())
		Expect(services).To(HaveLen(3))

		loop := services[0]
		Expect(loop.Name).To(Equal("loop_with_a_very_long_service_name_that_exceeds_columns"))
		Expect(loop.Type).To(Equal("Process"))
		Expect(loop.Status).To(Equal("OK"))
		Expect(loop.Monitoring).To(Equal("Monitored"))
		Expect(loop.Running).To(BeTrue())
		Expect(loop.PID).To(Equal(10052))
		Expect(loop.Uptime).To(Equal(26*time.Hour + 3*time.Minute))
		Expect(loop.CPUPercent).To(Equal(1.5))
		Expect(loop.MemoryPercent).To(Equal(0.3))
		Expect(loop.MemoryKB).To(Equal(uint64(2150))) // 2.1 * 1024

		Expect(services[1].Name).To(Equal("broken"))
		Expect(services[1].Status).To(Equal("Execution failed | Does not exist"))
		Expect(services[1].Running).To(BeFalse())
		Expect(services[1].PID).To(BeZero())
	})

	It("does not count a monitored service with an action pending as stopped, nor as running", func() {
		services, err := parseMonitStatus(statusOutput)
		Expect(err).NotTo(HaveOccurred())
		stopping := services[2]
		Expect(stopping.Running).To(BeFalse())
		Expect(stopping.stopped()).To(BeFalse())

		unmonitored := ServiceStatus{Status: "Not monitored", Monitoring: "Not monitored"}
		Expect(unmonitored.stopped()).To(BeTrue())
		starting := ServiceStatus{Status: "Not monitored - start pending", Monitoring: "Not monitored"}
		Expect(starting.stopped()).To(BeFalse())
	})

	It("reads a monit with no services as none", func() {
		services, err := parseMonitStatus("Monit 5.33.0 uptime: 0m\n\n")
		Expect(err).NotTo(HaveOccurred())
		Expect(services).To(BeEmpty())
	})

	It("reads the dashes monit prints for a process it has not measured yet, as a stop task sees it", func() {
		services, err := parseMonitStatus("Process 'consul_agent'\n  status                       OK - stop pending\n  monitoring status            Monitored\n" +
			"  pid                          -\n  uptime                       -\n  memory total                 -\n  cpu total                    -\n")
		Expect(err).NotTo(HaveOccurred())
		Expect(services).To(HaveLen(1))
		Expect(services[0].PID).To(BeZero())
		Expect(services[0].Uptime).To(BeZero())
		Expect(services[0].Running).To(BeFalse())
	})

	It("rejects a service block without a status", func() {
		_, err := parseMonitStatus("Process 'x'\n  pid                          4\n")
		Expect(err).To(MatchError(ContainSubstring("service x has no status")))
	})

	It("rejects figures it cannot read, naming the field", func() {
		_, err := parseMonitStatus("Process 'x'\n  status                       OK\n  monitoring status            Monitored\n  memory total                 lots\n")
		Expect(err).To(MatchError(ContainSubstring(`memory total "lots"`)))
	})

	DescribeTable("memory figures in monit's units",
		func(in string, kb uint64) {
			_, got, err := parseMonitMemory(in)
			Expect(err).NotTo(HaveOccurred())
			Expect(got).To(Equal(kb))
		},
		Entry("bytes", "0.0% [512 B]", uint64(0)),
		Entry("kilobytes", "0.0% [548 kB]", uint64(548)),
		Entry("megabytes", "1.0% [3 MB]", uint64(3072)),
		Entry("gigabytes", "50.0% [1.5 GB]", uint64(1572864)),
		// A process monit has not measured yet (just started, or going).
		Entry("not measured yet", "-", uint64(0)),
	)
})
