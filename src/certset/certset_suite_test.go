package certset_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestCertset(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "certset")
}
