package director_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("Connect", func() {
	It("logs in as a UAA client when /info names UAA, and sends the token", func() {
		var server *httptest.Server
		grants := 0
		server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/info":
				_ = json.NewEncoder(w).Encode(director.Info{Name: "real", UserAuthentication: director.UserAuthentication{
					Type: "uaa", Options: map[string]any{"url": server.URL + "/uaa"}}})
			case "/uaa/oauth/token":
				client, secret, _ := r.BasicAuth()
				Expect(r.ParseForm()).To(Succeed())
				if client != "eats" || secret != "s3cret" || r.Form.Get("grant_type") != "client_credentials" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				grants++
				_ = json.NewEncoder(w).Encode(map[string]any{"access_token": "tok", "expires_in": 3600})
			case "/deployments":
				if r.Header.Get("Authorization") != "bearer tok" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				_, _ = w.Write([]byte(`[{"name":"etcd"}]`))
			}
		}))
		defer server.Close()
		c, info, err := director.Connect(ctx(), director.Config{URL: server.URL, Username: "eats", Password: "s3cret", HTTPClient: server.Client()})
		Expect(err).NotTo(HaveOccurred())
		Expect(info.UserAuthentication.Type).To(Equal("uaa"))
		for range 2 {
			deps, err := c.Deployments(ctx())
			Expect(err).NotTo(HaveOccurred())
			Expect(deps).To(HaveLen(1))
		}
		Expect(grants).To(Equal(1), "the token is kept until it nears expiry")

		_, _, err = director.Connect(ctx(), director.Config{URL: server.URL, Username: "eats", Password: "wrong", HTTPClient: server.Client()})
		Expect(err).To(MatchError(ContainSubstring("BOSH_CLIENT_SECRET")))
	})
})
