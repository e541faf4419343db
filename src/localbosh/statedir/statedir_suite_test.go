package statedir_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestStatedir(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "localbosh state directory Suite")
}
