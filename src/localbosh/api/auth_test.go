package api_test

import (
	"io"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api/apitest"
)

var _ = Describe("authentication", func() {
	var d *runningDirector

	BeforeEach(func() {
		d = startDirector(GinkgoT().TempDir(), apitest.NewBackend())
	})

	It("answers /info without credentials, with a null user", func() {
		anonymous := d.client(func(c *director.Config) { c.Username, c.Password = "", "" })
		info, err := anonymous.Info(ctx())
		Expect(err).NotTo(HaveOccurred())
		Expect(info.User).To(BeNil())
		Expect(info.UserAuthentication.Type).To(Equal("basic"))
		Expect(info.Name).To(Equal("localbosh"))
		Expect(info.UUID).To(MatchRegexp(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`))

		resp := d.rawGet("/info", nil, false)
		body, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(ContainSubstring(`"user":null`))
	})

	It("names the user in /info when credentials are given", func() {
		info, err := d.client().Info(ctx())
		Expect(err).NotTo(HaveOccurred())
		Expect(info.User).To(HaveValue(Equal("admin")))
	})

	It("refuses other endpoints with the director's 401 challenge", func() {
		resp := d.rawGet("/deployments", nil, false)
		Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
		Expect(resp.Header.Get("WWW-Authenticate")).To(Equal(`Basic realm="BOSH Director"`))
		body, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		Expect(strings.TrimSpace(string(body))).To(Equal("Not authorized: '/deployments'"))
	})

	It("reports wrong credentials through the client as a 401 director error", func() {
		wrong := d.client(func(c *director.Config) { c.Password = "not-the-password" })
		_, err := wrong.Deployments(ctx())
		de := directorError(err)
		Expect(de.StatusCode).To(Equal(http.StatusUnauthorized))
		Expect(de.Description).To(ContainSubstring("Not authorized: '/deployments'"))
	})

	It("rejects a context id over 64 characters", func() {
		header := http.Header{"X-Bosh-Context-Id": {strings.Repeat("x", 65)}}
		resp := d.rawGet("/deployments", header, true)
		Expect(resp.StatusCode).To(Equal(http.StatusBadRequest))
		body, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(body)).To(MatchJSON(`{"code":70010,"description":"X-Bosh-Context-Id cannot be more than 64 characters in length"}`))
	})
})
