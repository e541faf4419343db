package defrag_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestDefrag(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Defrag Suite")
}
