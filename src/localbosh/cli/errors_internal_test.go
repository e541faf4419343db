package cli

import (
	"errors"
	"fmt"
	"os"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("multilineError", func() {
	It("puts each wrapping step on its own line, keeping the last step with its cause", func() {
		_, leaf := os.ReadFile("/nonexistent/vars.yml")
		err := fmt.Errorf("Evaluating manifest: %w", fmt.Errorf("reading variables file (-l): %w", leaf))
		Expect(multilineError(err)).To(Equal("Evaluating manifest:\n  reading variables file (-l):\n    open /nonexistent/vars.yml: no such file or directory"))
	})

	It("prints an error that wraps nothing as it is", func() {
		Expect(multilineError(errors.New("one\ntwo"))).To(Equal("one\ntwo"))
	})
})
