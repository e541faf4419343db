package jobtest_test

import (
	"context"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/onsi/gomega/gexec"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/localcluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

var _ = Describe("the rendered etcdfab config", Label("integration"), func() {
	It("starts a real etcd through etcdfab", func() {
		etcdfab, err := gexec.Build("github.com/cloudfoundry-incubator/etcd-release/src/cmd/etcdfab")
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(gexec.CleanupBuildArtifacts)
		etcd := os.Getenv("ETCD_BIN")
		if etcd == "" {
			home, _ := os.UserHomeDir()
			etcd = filepath.Join(home, ".cache", "etcd-release", "bin", "etcd")
		}
		Expect(etcd).To(BeAnExistingFile(), "run scripts/build-blobs or set ETCD_BIN")

		c := localcluster.New(localcluster.Options{Dir: GinkgoT().TempDir(), EtcdfabPath: etcdfab, EtcdPath: etcd, Subnet: 240})
		DeferCleanup(c.Cleanup)

		By("rendering the job for a one-instance group on a loopback address")
		link := map[string]render.Link{"etcd": {Instances: []render.LinkInstance{{Name: "etcd", Index: 0, ID: "id-0", Address: c.IP(0), Bootstrap: true}}}}
		cfg := etcdfabConfig(mustRender("etcd", plainProps(), instance(0, c.IP(0)), link))

		By("moving its /var/vcap paths into the test's directory and starting it")
		dir := c.NodeDir(0)
		cfg.Etcd.EtcdPath = etcd
		cfg.Etcd.DataDir, cfg.Etcd.RunDir, cfg.Etcd.LogDir = filepath.Join(dir, "store"), filepath.Join(dir, "run"), filepath.Join(dir, "log")
		Expect(c.StartAndWait(cfg)).To(Succeed())

		cli, err := clientv3.New(clientv3.Config{Endpoints: []string{cfg.ClientURL(cfg.Self())}, Logger: zap.NewNop()})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(cli.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = cli.Put(ctx, "rendered", "works")
		Expect(err).NotTo(HaveOccurred())
		members, err := cli.MemberList(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(members.Members).To(HaveLen(1))
		Expect(members.Members[0].Name).To(Equal("etcd-0"))
	})
})
