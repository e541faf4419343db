package testdirector

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestTestdirector(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "localbosh testdirector Suite")
}
