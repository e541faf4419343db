package etcdclient_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestEtcdclient(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "etcdclient")
}
