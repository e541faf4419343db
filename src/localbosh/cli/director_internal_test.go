package cli

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var _ = Describe("director --gateway-service", func() {
	It("reads each port given", func() {
		Expect(gatewayServicePorts([]string{"9000", "9443"})).To(Equal([]int{9000, 9443}))
		Expect(gatewayServicePorts(nil)).To(BeEmpty())
	})

	It("refuses a value that is not a TCP port, naming the flag and the value", func() {
		for _, bad := range []string{"s3", "0", "65536", "9000/tcp"} {
			_, err := gatewayServicePorts([]string{"9000", bad})
			Expect(err).To(MatchError(And(ContainSubstring("--gateway-service"), ContainSubstring(`"`+bad+`"`))))
		}
	})
})
