package cli_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("run-errand", func() {
	var d *testDirector

	BeforeEach(func() {
		d = startDirector()
		Expect(runCLI(d.env(), "-n", "-d", "etcd", "deploy", writeFile(GinkgoT().TempDir(), "m.yml", "name: etcd\n")).code).To(Equal(0))
	})

	It("prints the errand task's events and each instance's exit code, stdout and stderr", func() {
		d.Backend.SetErrandResults(director.ErrandResult{
			Instance: director.InstanceSlug{Group: "acceptance-tests", ID: "abc"}, ErrandName: "acceptance-tests",
			ExitCode: 0, Stdout: "Ran 12 of 12 Specs\nSUCCESS!", Stderr: "",
		})
		res := runCLI(d.env(), "--tty", "-d", "etcd", "run-errand", "acceptance-tests", "--instance", "acceptance-tests/abc", "--keep-alive")
		Expect(res.code).To(Equal(0), res.stderr)

		runs := d.Backend.ErrandRuns()
		Expect(runs).To(HaveLen(1))
		Expect(runs[0].Errand).To(Equal("acceptance-tests"))
		Expect(runs[0].KeepAlive).To(BeTrue())
		Expect(runs[0].Instances).To(Equal([]director.InstanceSlug{{Group: "acceptance-tests", ID: "abc"}}))

		id := taskID(res.stdout)
		Expect(id).To(Equal("2")) // the deploy was task 1
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Task 2 \| \d\d:\d\d:\d\d \| Running errand: acceptance-tests/abc \(\d\d:\d\d:\d\d\)$`)))
		Expect(res.lines()).To(ContainElement("Task 2 done"))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Instance +acceptance-tests/abc\s*$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Exit Code +0\s*$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Stdout +Ran 12 of 12 Specs\s*$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^ +SUCCESS!\s*$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Stderr +-\s*$`)))
		Expect(res.lines()).To(ContainElement("1 errand(s)"))
		Expect(res.lines()).To(ContainElement("Succeeded"))
	})

	It("exits non-zero naming the errand when an instance's errand failed", func() {
		d.Backend.SetErrandResults(
			director.ErrandResult{Instance: director.InstanceSlug{Group: "smoke", ID: "a"}, ExitCode: 0, Stdout: "ok"},
			director.ErrandResult{Instance: director.InstanceSlug{Group: "smoke", ID: "b"}, ExitCode: 3, Stderr: "3 specs failed"},
		)
		res := runCLI(d.env(), "--tty", "-d", "etcd", "run-errand", "smoke")
		Expect(res.code).To(Equal(1))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Exit Code +3\s*$`)))
		Expect(res.lines()).To(ContainElement(MatchRegexp(`^Stderr +3 specs failed\s*$`)))
		Expect(res.lines()).To(ContainElement("2 errand(s)"))
		Expect(res.stderr).To(ContainSubstring("Errand 'smoke' completed with error (exit code 3)"))
		Expect(res.lines()).To(ContainElement("Exit code 1"))
	})

	It("fails with the task's error when the errand cannot run", func() {
		res := runCLI(d.env(), "--tty", "-d", "etcd", "run-errand", "missing")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("errand 'missing' is not a job of any instance group"))
	})

	It("refuses a malformed --instance", func() {
		res := runCLI(d.env(), "-d", "etcd", "run-errand", "smoke", "--instance", "smoke/")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("--instance 'smoke/': expected INSTANCE-GROUP or INSTANCE-GROUP/INSTANCE-ID"))
		Expect(d.Backend.ErrandRuns()).To(BeEmpty())
	})
})
