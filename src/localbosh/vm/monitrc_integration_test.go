package vm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("generated monitrc", Label("integration"), func() {
	It("passes monit's syntax check with every generated password", func() {
		if _, err := exec.LookPath("monit"); err != nil {
			Fail("monit is missing; run scripts/setup")
		}
		dir := GinkgoT().TempDir()
		rc := filepath.Join(dir, "monitrc")
		for range 50 {
			// monit -t writes its id file: keep it in the temporary directory.
			content := strings.ReplaceAll(string(renderMonitrc(newMonitCredentials())), "/var/vcap/monit/", dir+"/")
			Expect(os.WriteFile(rc, []byte(content), 0o600)).To(Succeed())
			out, err := exec.Command("monit", "-c", rc, "-t").CombinedOutput()
			Expect(err).NotTo(HaveOccurred(), "%s\n%s", content, out)
		}
	})
})
