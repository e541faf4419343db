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
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

var _ = Describe("the etcd job's BBR scripts", func() {
	steps := []string{"metadata", "backup", "pre-restore-lock", "restore", "post-restore-unlock"}

	It("renders bin/bbr/<step> for every step as valid bash that runs etcdfab bbr <step> on the job's config", func() {
		out := mustRender("etcd", plainProps(), instance(1, "10.244.0.3"), etcdLink(3))
		for _, step := range steps {
			script := out["bin/bbr/"+step]
			Expect(script).NotTo(BeEmpty(), "bin/bbr/%s", step)
			Expect(string(script)).To(HavePrefix("#!/bin/bash\n"))
			Expect(string(script)).To(ContainSubstring("exec /var/vcap/packages/etcdfab/bin/etcdfab bbr " + step + " -config /var/vcap/jobs/etcd/config/etcdfab.json\n"))
			cmd := exec.Command("bash", "-n")
			cmd.Stdin = bytes.NewReader(script)
			msg, err := cmd.CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "bin/bbr/%s: %s", step, msg)
		}
		Expect(out).NotTo(HaveKey("bin/bbr/pre-backup-lock"), "an etcd snapshot is consistent while the cluster serves: no backup lock")
	})

	// metadata runs `etcdfab bbr metadata` on the config rendered for inst.
	metadata := func(props map[string]any, inst render.Instance, links map[string]render.Link) map[string]any {
		GinkgoHelper()
		out := mustRender("etcd", props, inst, links)
		path := filepath.Join(GinkgoT().TempDir(), "etcdfab.json")
		Expect(os.WriteFile(path, out["config/etcdfab.json"], 0o600)).To(Succeed())
		var stdout, stderr bytes.Buffer
		code := cli.Run([]string{"bbr", "metadata", "-config", path}, cli.IO{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }})
		Expect(code).To(Equal(0), stderr.String())
		var doc map[string]any
		Expect(yaml.Unmarshal(stdout.Bytes(), &doc)).To(Succeed(), stdout.String())
		return doc
	}

	It("names the backup artifact on the bootstrap instance only, and the restore artifact on all", func() {
		Expect(metadata(plainProps(), instance(0, "10.244.0.2"), etcdLink(3))).To(Equal(map[string]any{"backup_name": "etcd-snapshot", "restore_name": "etcd-snapshot"}))
		Expect(metadata(plainProps(), instance(2, "10.244.0.4"), etcdLink(3))).To(Equal(map[string]any{"restore_name": "etcd-snapshot"}))
	})

	It("with etcd.machines, backs up on the instance at the first address, as only it may bootstrap", func() {
		props := plainProps()
		props["etcd"].(map[string]any)["machines"] = []any{"10.0.16.11", "10.0.16.10"}
		Expect(metadata(props, instance(0, "10.0.16.10"), nil)).To(Equal(map[string]any{"restore_name": "etcd-snapshot"}))
		Expect(metadata(props, instance(1, "10.0.16.11"), nil)).To(HaveKeyWithValue("backup_name", "etcd-snapshot"))
	})
})
