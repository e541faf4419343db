package releasebench_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestReleasebench(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "releasebench")
}
