package manifestdiff_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestManifestdiff(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "manifestdiff Suite")
}
