package snapshot_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/restore/restoretest"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/s3server"
)

// The suite's etcd and S3 server listen on 127.14.1.0/24.
var (
	etcdBin string
	member  *restoretest.Etcd
	client  *clientv3.Client
	s3      *s3server.Server
)

func TestSnapshot(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Snapshot Suite")
}

var _ = BeforeSuite(func() {
	etcdBin = os.Getenv("ETCD_BIN")
	Expect(etcdBin).NotTo(BeEmpty(), "set ETCD_BIN to the release's etcd (scripts/setup builds it; etcdutl sits beside it)")
	_, err := s3server.Bin()
	Expect(err).NotTo(HaveOccurred())

	dir := GinkgoT().TempDir()
	member, err = restoretest.Start(etcdBin, "etcd-0", filepath.Join(dir, "etcd"), "127.14.1.1")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(member.Stop)
	client, err = member.Client()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(client.Close)
	for i := range 300 {
		// Enough for several encryption chunks.
		_, err := client.Put(context.Background(), fmt.Sprintf("/keys/%03d", i), fmt.Sprintf("%0512d", i))
		Expect(err).NotTo(HaveOccurred())
	}

	s3, err = s3server.Start(s3server.Options{Addr: "127.14.1.2:7070", Dir: filepath.Join(dir, "s3"), Buckets: []string{"backups"}, TLS: true})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(s3.Stop)
})
