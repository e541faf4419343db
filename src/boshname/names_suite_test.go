package boshname_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestBoshname(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "BOSH name rules Suite")
}
