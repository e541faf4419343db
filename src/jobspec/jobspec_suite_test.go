package jobspec_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestJobspec(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Jobspec Suite")
}
