package bbr

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestBBR(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "localbosh bbr Suite")
}
