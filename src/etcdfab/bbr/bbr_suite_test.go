package bbr_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var etcdBin string

func TestBBR(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "etcdfab bbr Suite")
}

var _ = BeforeSuite(func() {
	etcdBin = os.Getenv("ETCD_BIN")
	Expect(etcdBin).NotTo(BeEmpty(), "set ETCD_BIN to the release's etcd (scripts/setup builds it)")
	Expect(etcdBin).To(BeAnExistingFile(), "ETCD_BIN: run scripts/setup or scripts/build-blobs")
})
