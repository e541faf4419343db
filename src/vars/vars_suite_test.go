package vars_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"
)

func TestVars(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Vars Suite")
}

// fromYAML decodes a YAML document the way localbosh reads manifests.
func fromYAML(text string) any {
	GinkgoHelper()
	var doc any
	Expect(yaml.Unmarshal([]byte(text), &doc)).To(Succeed())
	return doc
}
