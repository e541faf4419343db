package api_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api/apitest"
)

var _ = Describe("what the director refuses at the door", func() {
	var (
		d       *runningDirector
		backend *apitest.Backend
		client  *director.Client
	)

	BeforeEach(func() {
		backend = apitest.NewBackend()
		d = &runningDirector{apitest.Start(GinkgoT().TempDir(), backend, func(o *api.Options) { o.MaxUploadBytes = 1000 })}
		client = d.client()
	})

	// send makes a request as written and returns the status and body.
	send := func(method, path, contentType string, body io.Reader) (int, string) {
		GinkgoHelper()
		resp := d.rawRequest(method, path, body, http.Header{"Content-Type": {contentType}}, true)
		data, err := io.ReadAll(resp.Body)
		Expect(err).NotTo(HaveOccurred())
		return resp.StatusCode, string(data)
	}

	Describe("release uploads over the limit", func() {
		It("refuses one whose announced length is over the limit without storing it", func() {
			status, body := send(http.MethodPost, "/releases", "application/x-compressed", bytes.NewReader(make([]byte, 1001)))
			Expect(status).To(Equal(http.StatusRequestEntityTooLarge), body)
			Expect(body).To(ContainSubstring("over 1000 bytes"))
			Expect(backend.UploadedFiles()).To(BeEmpty())
		})

		It("refuses one sent without a length once the limit is passed, and keeps nothing of it", func() {
			// io.MultiReader hides the length: the body is sent chunked.
			status, body := send(http.MethodPost, "/releases", "application/x-compressed", io.MultiReader(strings.NewReader(strings.Repeat("x", 5000))))
			Expect(status).To(Equal(http.StatusRequestEntityTooLarge), body)
			Expect(os.ReadDir(filepath.Join(d.StateDir, "uploads"))).To(BeEmpty())
			Expect(backend.UploadedFiles()).To(BeEmpty())
		})

		It("fails a fetch from a location that sends more", func() {
			big := filepath.Join(GinkgoT().TempDir(), "big.tgz")
			Expect(os.WriteFile(big, make([]byte, 5000), 0o644)).To(Succeed())
			task, err := client.UploadReleaseURL(ctx(), serveFile(big), "")
			Expect(err).NotTo(HaveOccurred())
			_, err = client.WaitTask(ctx(), task.ID, nil)
			Expect(err).To(MatchError(ContainSubstring("over 1000 bytes")))
			Expect(backend.UploadedFiles()).To(BeEmpty())
		})
	})

	DescribeTable("refuses a release location that is not an http(s) URL: nothing on the director's machine is read",
		func(location string) {
			_, err := client.UploadReleaseURL(ctx(), location, "")
			de := directorError(err)
			Expect(de.StatusCode).To(Equal(http.StatusBadRequest))
			Expect(de.Description).To(ContainSubstring("http:// or https:// URL"))
			Expect(backend.UploadedFiles()).To(BeEmpty())
		},
		Entry("an absolute path", "/etc/hostname"),
		Entry("a file:// URL", "file:///etc/hostname"),
		Entry("another scheme", "ftp://example.com/etcd.tgz"),
		Entry("a relative path", "etcd.tgz"),
		Entry("nothing", ""),
	)

	DescribeTable("refuses names that break the director's rules with a 400 naming the field",
		func(method, path, contentType, body, field string) {
			status, answer := send(method, path, contentType, strings.NewReader(body))
			Expect(status).To(Equal(http.StatusBadRequest), answer)
			Expect(answer).To(ContainSubstring(field))
			Expect(answer).To(ContainSubstring(`"code":40005`))
			Expect(backend.Deploys()).To(BeEmpty())
		},
		Entry("a deployment named ..", http.MethodPost, "/deployments", "text/yaml", "name: ..\n", "deployment name"),
		Entry("an instance group with a slash", http.MethodPost, "/deployments", "text/yaml",
			"name: etcd\ninstance_groups: [{name: a/b, jobs: []}]\n", "instance group name"),
		Entry("a release version climbing out", http.MethodPost, "/deployments", "text/yaml",
			"name: etcd\nreleases: [{name: etcd, version: ../../x}]\n", "release version"),
		Entry("an escaped .. in the path", http.MethodGet, "/deployments/%2E%2E", "", "", "deployment name"),
		Entry("an escaped slash in an errand", http.MethodPost, "/deployments/etcd/errands/a%2Fb/runs", "application/json", "{}", "errand name"),
		Entry("a task id that is not a number", http.MethodGet, "/tasks/1%2F..", "", "", "task id"),
		Entry("a cloud config AZ", http.MethodPost, "/cloud_configs", "text/yaml", "azs: [{name: ../z1}]\n", "AZ name"),
	)
})

// serveFile serves a file over plain http until the spec ends and returns
// its URL.
func serveFile(path string) string {
	GinkgoHelper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, path) }))
	DeferCleanup(srv.Close)
	return srv.URL + "/" + filepath.Base(path)
}
