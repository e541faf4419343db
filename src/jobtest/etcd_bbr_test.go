package jobtest_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cli"
)

var _ = Describe("the etcd job's BBR scripts", func() {
	steps := []string{"metadata", "backup", "pre-restore-lock", "restore", "post-restore-unlock"}

	It("renders bin/bbr/<step> for every step as valid bash that runs etcdfab bbr <step> on the job's config", func() {
		out := mustRender("etcd", plainProps(), instance(1, "10.244.0.3"), etcdLink(3))
		for _, step := range steps {
			script := out["bin/bbr/"+step]
			Expect(script).NotTo(BeEmpty(), "bin/bbr/%s", step)
			Expect(string(script)).To(HavePrefix("#!/bin/bash\n"))
			Expect(string(script)).To(ContainSubstring("exec /var/vcap/packages/etcdfab/bin/etcdfab bbr " + step + " -config /var/vcap/jobs/etcd/config/etcdfab.json"))
			cmd := exec.Command("bash", "-n")
			cmd.Stdin = bytes.NewReader(script)
			msg, err := cmd.CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "bin/bbr/%s: %s", step, msg)
		}
		Expect(out).NotTo(HaveKey("bin/bbr/pre-backup-lock"), "an etcd snapshot is consistent while the cluster serves: no backup lock")
	})

	// etcdfab runs `etcdfab bbr <args>` on the config rendered for inst.
	etcdfab := func(rendered map[string][]byte, args ...string) (int, string, string) {
		GinkgoHelper()
		path := filepath.Join(GinkgoT().TempDir(), "etcdfab.json")
		Expect(os.WriteFile(path, rendered["config/etcdfab.json"], 0o600)).To(Succeed())
		var stdout, stderr bytes.Buffer
		code := cli.Run(append([]string{"bbr"}, append(args, "-config", path)...), cli.IO{Stdout: &stdout, Stderr: &stderr,
			Getenv: func(k string) string { return map[string]string{"BBR_ARTIFACT_DIRECTORY": GinkgoT().TempDir()}[k] }})
		return code, stdout.String(), stderr.String()
	}

	It("passes bbr.backup_one_restore_all to the backup, which refuses without it, naming the property and the ops file", func() {
		out := mustRender("etcd", plainProps(), instance(0, "10.244.0.2"), etcdLink(3))
		Expect(string(out["bin/bbr/backup"])).To(ContainSubstring("-backup-one-restore-all=false\n"))
		code, _, stderr := etcdfab(out, "backup", "-backup-one-restore-all=false")
		Expect(code).To(Equal(1))
		Expect(stderr).To(And(ContainSubstring("bbr.backup_one_restore_all is not true"), ContainSubstring("manifests/bosh-lite/ops/bbr.yml")))

		props := plainProps()
		props["bbr"] = map[string]any{"backup_one_restore_all": true}
		out = mustRender("etcd", props, instance(0, "10.244.0.2"), etcdLink(3))
		Expect(string(out["bin/bbr/backup"])).To(ContainSubstring("-backup-one-restore-all=true\n"))
	})

	It("prints metadata YAML that names no artifact and no lock order", func() {
		out := mustRender("etcd", plainProps(), instance(0, "10.244.0.2"), etcdLink(3))
		code, stdout, stderr := etcdfab(out, "metadata")
		Expect(code).To(Equal(0), stderr)
		var doc map[string]any
		Expect(yaml.Unmarshal([]byte(stdout), &doc)).To(Succeed(), stdout)
		Expect(doc).To(BeEmpty())
	})

	It("on an instance that does not bootstrap, backs up nothing", func() {
		out := mustRender("etcd", plainProps(), instance(1, "10.244.0.3"), etcdLink(3))
		code, _, stderr := etcdfab(out, "backup", "-backup-one-restore-all=true")
		Expect(code).To(Equal(0), stderr)
		Expect(stderr).To(ContainSubstring("nothing to do"))
	})
})
