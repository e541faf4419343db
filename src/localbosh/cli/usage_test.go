package cli_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("command line errors", func() {
	noEnv := map[string]string{}

	DescribeTable("fail before doing anything, with the bosh CLI's messages",
		func(message string, args ...string) {
			res := runCLI(noEnv, append([]string{"--tty"}, args...)...)
			Expect(res.code).To(Equal(1))
			Expect(res.stderr).To(ContainSubstring(message))
			Expect(res.lines()).To(ContainElement("Exit code 1"))
		},
		Entry("unknown long flag", "unknown flag `bogus'", "deploy", "m.yml", "--bogus"),
		Entry("unknown short flag", "unknown flag `z'", "deploy", "-z", "m.yml"),
		Entry("missing flag value", "expected argument for flag `-o, --ops-file'", "interpolate", "m.yml", "-o"),
		Entry("value for a switch", "bool flag `--fix' cannot have an argument", "deploy", "m.yml", "--fix=yes"),
		Entry("bad number", "invalid argument for flag `-r, --recent': expected a number", "tasks", "--recent=many"),
		Entry("missing argument", "the required argument `PATH` was not provided", "deploy"),
		Entry("extra argument", "Command 'interpolate' does not support extra arguments: b.yml", "interpolate", "a.yml", "b.yml"),
		Entry("unknown command", "Unknown command `deplyo'. Please specify one command of: ", "deplyo"),
		Entry("no command", "Please specify one command of: backup, clean, cloud-config, create-release", "-n"),
		Entry("deploy without -d", "Expected non-empty deployment name", "-e", "https://127.0.0.1:1", "--client", "a", "--client-secret", "b", "deploy", "m.yml"),
	)

	It("takes flags before and after the command and its arguments, and -- ends flags", func() {
		dir := GinkgoT().TempDir()
		manifest := writeFile(dir, "-m.yml", "a: ((a))\n")
		res := runCLI(noEnv, "-n", "interpolate", "-v", "a=1", "--var-errs", "--", manifest)
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.stdout).To(Equal("a: 1\n"))
	})

	It("clusters short switches and takes a short flag's value attached", func() {
		dir := GinkgoT().TempDir()
		manifest := writeFile(dir, "m.yml", "a: ((a))\nb: ((b))\n")
		res := runCLI(noEnv, "-n", "interpolate", manifest, "-va=1", "-vb=2", "--var-errs")
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.stdout).To(Equal("a: 1\nb: 2\n"))
	})

	It("prints help with -h, for the CLI and for a command, and exits 0", func() {
		res := runCLI(noEnv, "-h")
		Expect(res.code).To(Equal(0))
		Expect(res.stdout).To(ContainSubstring("run-errand"))
		res = runCLI(noEnv, "help", "deploy")
		Expect(res.code).To(Equal(0))
		Expect(res.stdout).To(ContainSubstring("localbosh [OPTIONS] deploy [deploy-OPTIONS] PATH"))
		Expect(res.stdout).To(ContainSubstring("--skip-drain[=INSTANCE-GROUP]"))
		res = runCLI(noEnv, "run-errand", "--help")
		Expect(res.code).To(Equal(0))
		Expect(res.stdout).To(ContainSubstring("--instance=INSTANCE-GROUP[/INSTANCE-ID]"))
	})
})
