// Package jobtest renders the release's job templates with real Ruby ERB and
// the BOSH evaluation context (package render), and checks what comes out:
// parsed JSON, scripts that bash accepts, certificates that parse, and a
// rendered etcdfab config that starts a real etcd.
package jobtest_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

func TestJobTemplates(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Job Templates Suite")
}

// jobsDir is the release's jobs directory.
var jobsDir = filepath.Join("..", "..", "jobs")

// renderJob renders every template of job for inst with props and links.
func renderJob(job string, props map[string]any, inst render.Instance, links map[string]render.Link) (map[string][]byte, error) {
	dir := filepath.Join(jobsDir, job)
	spec, err := jobspec.Load(dir)
	Expect(err).NotTo(HaveOccurred())
	return render.RenderJob(context.Background(), dir, spec, props, inst, links)
}

// mustRender renders and fails the test on a render error.
func mustRender(job string, props map[string]any, inst render.Instance, links map[string]render.Link) map[string][]byte {
	out, err := renderJob(job, props, inst, links)
	Expect(err).NotTo(HaveOccurred())
	return out
}

// expectValidBash checks a rendered script's syntax with bash -n.
func expectValidBash(name string, script []byte) {
	f := filepath.Join(GinkgoT().TempDir(), filepath.Base(name))
	Expect(os.WriteFile(f, script, 0o755)).To(Succeed())
	out, err := exec.Command("bash", "-n", f).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s: %s", name, out)
}
