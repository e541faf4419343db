package opsfile_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"
)

func TestOpsfile(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Opsfile Suite")
}

// fromYAML decodes a YAML document the way localbosh reads manifests.
func fromYAML(text string) any {
	var doc any
	ExpectWithOffset(1, yaml.Unmarshal([]byte(text), &doc)).To(Succeed())
	return doc
}
