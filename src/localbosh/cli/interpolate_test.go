package cli_test

import (
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"
)

var _ = Describe("interpolate", func() {
	var dir, manifest string

	BeforeEach(func() {
		dir = GinkgoT().TempDir()
		manifest = writeFile(dir, "manifest.yml", "name: ((name))\nport: ((port))\nnested:\n  url: http://((host)):((port))\n")
	})

	// No director is needed: the environment is empty.
	noDirector := map[string]string{}

	It("prints the document with ops applied and the variables given", func() {
		ops := writeFile(dir, "ops.yml", "- type: replace\n  path: /extra?\n  value: ((name))-extra\n")
		res := runCLI(noDirector, "interpolate", manifest, "-o", ops, "-v", "name=etcd", "-v", "port=2379", "-v", "host=10.0.0.1")
		Expect(res.code).To(Equal(0), res.stderr)
		var doc map[string]any
		Expect(yaml.Unmarshal([]byte(res.stdout), &doc)).To(Succeed(), res.stdout)
		Expect(doc).To(Equal(map[string]any{
			"name": "etcd", "port": 2379, "extra": "etcd-extra",
			"nested": map[string]any{"url": "http://10.0.0.1:2379"},
		}))
	})

	It("leaves variables nothing provides in place", func() {
		res := runCLI(noDirector, "int", manifest, "-v", "name=etcd")
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.stdout).To(ContainSubstring("port: ((port))"))
	})

	It("lists every missing variable with --var-errs", func() {
		res := runCLI(noDirector, "interpolate", manifest, "--var-errs", "-v", "name=etcd")
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("Expected to find variables: host, port"))
		Expect(res.stdout).To(BeEmpty())
	})

	It("prints one value with --path, a string as it is", func() {
		res := runCLI(noDirector, "interpolate", manifest, "--path", "/nested/url", "-l", writeFile(dir, "vars.yml", "name: x\nport: 1\nhost: h\n"))
		Expect(res.code).To(Equal(0), res.stderr)
		Expect(res.stdout).To(Equal("http://h:1\n"))
	})

	It("generates declared variables into the vars store", func() {
		withVars := writeFile(dir, "with-vars.yml", "password: ((admin))\nvariables:\n- name: admin\n  type: password\n")
		store := filepath.Join(dir, "store.yml")
		res := runCLI(noDirector, "interpolate", withVars, "--vars-store", store, "--path", "/password")
		Expect(res.code).To(Equal(0), res.stderr)
		data, err := os.ReadFile(store)
		Expect(err).NotTo(HaveOccurred())
		var stored map[string]string
		Expect(yaml.Unmarshal(data, &stored)).To(Succeed())
		Expect(res.stdout).To(Equal(stored["admin"] + "\n"))
	})

	It("names the ops file whose operation fails", func() {
		ops := writeFile(dir, "bad-ops.yml", "- type: replace\n  path: /missing/key\n  value: 1\n")
		res := runCLI(noDirector, "interpolate", manifest, "-o", ops)
		Expect(res.code).To(Equal(1))
		Expect(res.stderr).To(ContainSubstring("bad-ops.yml"))
	})
})
