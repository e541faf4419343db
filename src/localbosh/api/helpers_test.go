package api_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api/apitest"
)

// runningDirector is a real HTTPS api.Server on 127.0.0.1 with a fake backend.
type runningDirector struct{ *apitest.Director }

// startDirector serves stateDir until the spec ends or Stop is called.
// change may set other server options.
func startDirector(stateDir string, backend *apitest.Backend, change ...func(*api.Options)) *runningDirector {
	GinkgoHelper()
	return &runningDirector{apitest.Start(stateDir, backend, change...)}
}

// client is a director client with the right credentials, polling fast.
func (d *runningDirector) client(change ...func(*director.Config)) *director.Client {
	GinkgoHelper()
	cfg := director.Config{
		URL: d.URL, CACert: d.Creds.CACertPEM, Username: d.Creds.Username, Password: d.Creds.Password,
		PollInterval: 10 * time.Millisecond,
	}
	for _, c := range change {
		c(&cfg)
	}
	c, err := director.New(cfg)
	Expect(err).NotTo(HaveOccurred())
	return c
}

// rawGet makes a request without the director client, to see statuses and headers.
func (d *runningDirector) rawGet(path string, header http.Header, withAuth bool) *http.Response {
	GinkgoHelper()
	return d.rawRequest(http.MethodGet, path, nil, header, withAuth)
}

// rawRequest sends a request as written (escapes and all) and does not
// follow redirects.
func (d *runningDirector) rawRequest(method, path string, body io.Reader, header http.Header, withAuth bool) *http.Response {
	GinkgoHelper()
	pool := x509.NewCertPool()
	Expect(pool.AppendCertsFromPEM(d.Creds.CACertPEM)).To(BeTrue())
	httpClient := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, err := http.NewRequest(method, d.URL+path, body)
	Expect(err).NotTo(HaveOccurred())
	for k, v := range header {
		req.Header[k] = v
	}
	if withAuth {
		req.SetBasicAuth(d.Creds.Username, d.Creds.Password)
	}
	resp, err := httpClient.Do(req)
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(resp.Body.Close)
	return resp
}

func manifestFor(name string) []byte {
	return []byte("name: " + name + "\ninstance_groups: []\n")
}

// directorError extracts the *director.Error of a failed call.
func directorError(err error) *director.Error {
	GinkgoHelper()
	var de *director.Error
	Expect(err).To(HaveOccurred())
	Expect(errors.As(err, &de)).To(BeTrue(), "not a director error: %v", err)
	return de
}

func ctx() context.Context { return context.Background() }
