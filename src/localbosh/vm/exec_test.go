package vm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("Exec", func() {
	var (
		runner *fakeRunner
		v      *VM
	)

	BeforeEach(func() {
		runner = &fakeRunner{}
		v = newTestVM(GinkgoT().TempDir(), runner, newFakeClock())
	})

	// afterDashes is what follows the n-th "--" of argv.
	afterDashes := func(argv []string, n int) []string {
		for i, a := range argv {
			if a == "--" {
				n--
				if n == 0 {
					return argv[i+1:]
				}
			}
		}
		return nil
	}

	It("enters all four namespaces and runs the program as root without the dropped capabilities, with only PATH and the given environment", func() {
		_, err := v.Exec(context.Background(), Cmd{Argv: []string{"ls", "-l"}, Env: []string{"A=1"}, Dir: "/var/vcap/jobs"})
		Expect(err).NotTo(HaveOccurred())
		argv := runner.calls[0]
		Expect(argv[:5]).To(Equal([]string{"nsenter", "--net=" + v.netnsPath(), "--mount=" + v.mountNSPath(),
			"--pid=" + v.pidNSPath(), "--uts=" + v.utsNSPath()}))
		Expect(afterDashes(argv, 1)).To(Equal(append(dropCaps(), "--", "env", "--ignore-environment", "--chdir=/var/vcap/jobs", "--", basePath, "A=1", "ls", "-l")))
		Expect(dropCaps()[1]).To(ContainSubstring("-sys_admin"))
		Expect(dropCaps()[1]).To(ContainSubstring("-sys_ptrace"))
	})

	It("drops to the given user with that user's groups", func() {
		_, err := v.Exec(context.Background(), Cmd{Argv: []string{"id"}, User: "vcap"})
		Expect(err).NotTo(HaveOccurred())
		after := afterDashes(runner.calls[0], 1)
		Expect(after[:len(dropCaps())]).To(Equal(dropCaps()))
		Expect(after[len(dropCaps()):][:4]).To(Equal([]string{"--reuid=vcap", "--regid=vcap", "--init-groups", "--"}))
		Expect(after).To(ContainElement("--chdir=/"))
	})

	It("returns the program's exit status and output", func() {
		runner.respond = func([]string) (string, int) { return "hello", 3 }
		var out bytes.Buffer
		code, err := v.Exec(context.Background(), Cmd{Argv: []string{"false"}, Stdout: &out})
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(3))
		Expect(out.String()).To(Equal("hello"))
	})

	It("tells a failure to enter a VM whose namespaces are gone from the program's exit status", func() {
		runner.respond = func([]string) (string, int) { return "", 1 }
		Expect(os.Remove(v.netnsPath())).To(Succeed())
		_, err := v.Exec(context.Background(), Cmd{Argv: []string{"true"}})
		Expect(errors.Is(err, ErrNamespacesGone)).To(BeTrue(), "%v", err)
	})

	DescribeTable("rejects commands it cannot pass on faithfully, running nothing",
		func(c Cmd, complaint string) {
			_, err := v.Exec(context.Background(), c)
			Expect(err).To(MatchError(ContainSubstring(complaint)))
			Expect(runner.calls).To(BeEmpty())
		},
		Entry("no program", Cmd{}, "no program given"),
		Entry("program with =", Cmd{Argv: []string{"A=b"}}, "contains '='"),
		Entry("environment entry without =", Cmd{Argv: []string{"true"}, Env: []string{"A"}}, `"A" is not NAME=value`),
		Entry("user with a colon", Cmd{Argv: []string{"true"}, User: "vcap:vcap"}, "is not a user name"),
	)

	It("gives the program the BOSH agent's PATH unless the caller sets PATH", func() {
		_, err := v.Exec(context.Background(), Cmd{Argv: []string{"true"}, Env: []string{"PATH=/bin"}})
		Expect(err).NotTo(HaveOccurred())
		after := afterDashes(runner.calls[0], 2)
		// env(1) applies assignments in order, so the later PATH wins.
		Expect(slices.Index(after, "PATH=/bin")).To(BeNumerically(">", slices.Index(after, basePath)))
	})
})
