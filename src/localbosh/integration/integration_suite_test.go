package integration_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
)

func TestIntegration(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "localbosh Integration Suite")
}

// bosh is the suite's director, with the fixture release uploaded: one per
// Ginkgo process, shared by the specs, each of which deploys (and deletes)
// its own deployment. Packages are compiled once, by the first deploy.
var bosh *testdirector.Director

var _ = BeforeSuite(func(ctx SpecContext) {
	requireHost()
	var err error
	// The resurrector runs for the deployment named "resurrect" only: the
	// other specs kill VMs to see what cloud check says.
	bosh, err = testdirector.Start(ctx, testdirector.Options{Logs: GinkgoWriter, ResurrectInterval: 2 * time.Second})
	Expect(err).NotTo(HaveOccurred())
	_, err = bosh.Client().UpdateConfig(ctx, "resurrection", "only-resurrect",
		[]byte("rules:\n- enabled: false\n  exclude:\n    deployments: [resurrect]\n"))
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) {
		opts := bosh.VMOptions()
		Expect(bosh.Cleanup(ctx)).To(Succeed())
		expectNothingLeft(opts.Prefix, opts.Bridge, opts.StateDir)
	})
	_, err = bosh.UploadReleaseDir(ctx, "../testdata/fixture-release")
	Expect(err).NotTo(HaveOccurred())
})

// requireHost skips without root and fails without the programs a director needs.
func requireHost() {
	if os.Geteuid() != 0 {
		Skip("localbosh integration tests need root: the director creates namespaces, bridges and mounts")
	}
	for _, tool := range []string{"ruby", "monit", "ip", "iptables", "nsenter", "unshare", "setpriv", "mount"} {
		_, err := exec.LookPath(tool)
		Expect(err).NotTo(HaveOccurred(), "%s is missing; run scripts/setup", tool)
	}
}

// expectNothingLeft checks the host for objects named with the director's
// prefix or bridge, and for mounts under its state directory.
func expectNothingLeft(prefix, bridge, stateDir string) {
	GinkgoHelper()
	Expect(hostOutput("ip", "netns", "list")).NotTo(ContainSubstring(prefix + "-"))
	Expect(hostOutput("ip", "-o", "link", "show")).NotTo(ContainSubstring(bridge))
	Expect(hostOutput("ip", "-o", "link", "show")).NotTo(MatchRegexp(`\d+: ` + prefix + `[0-9a-f]{8}`))
	Expect(hostOutput("iptables", "-w", "-S")).NotTo(ContainSubstring(prefix + ":"))
	Expect(os.ReadFile("/proc/mounts")).NotTo(ContainSubstring(stateDir))
	_, err := os.Stat(stateDir)
	Expect(os.IsNotExist(err)).To(BeTrue(), "state directory %s is still there", stateDir)
}

func hostOutput(argv ...string) string {
	GinkgoHelper()
	out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s: %s", strings.Join(argv, " "), out)
	return string(out)
}
