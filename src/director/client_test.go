package director_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// The client is tested end to end against localbosh's server in
// localbosh/api; these specs cover what that server never sends.
var _ = Describe("Client against other directors", func() {
	var (
		server *httptest.Server
		client *director.Client
	)

	start := func(handler http.HandlerFunc) {
		server = httptest.NewTLSServer(handler)
		DeferCleanup(server.Close)
		var err error
		client, err = director.New(director.Config{URL: server.URL, HTTPClient: server.Client()})
		Expect(err).NotTo(HaveOccurred())
	}

	It("follows a task redirect by path, whatever host the Location names", func() {
		start(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/deployments":
				w.Header().Set("Location", "https://192.0.2.1:25555/tasks/7")
				w.WriteHeader(http.StatusSeeOther)
			case "/tasks/7":
				fmt.Fprint(w, `{"id":7,"state":"queued","description":"create deployment"}`)
			default:
				http.NotFound(w, r)
			}
		})
		task, err := client.Deploy(ctx(), []byte("name: x\n"), director.DeployOptions{})
		Expect(err).NotTo(HaveOccurred())
		Expect(task).To(Equal(director.Task{ID: 7, State: "queued", Description: "create deployment"}))
	})

	It("sends names escaped, '..' included, so that the director sees them as they are", func() {
		var paths []string
		start(func(w http.ResponseWriter, r *http.Request) {
			paths = append(paths, r.URL.EscapedPath())
			http.NotFound(w, r)
		})
		for _, name := range []string{"..", ".", "a/b", "a\nb"} {
			_, _ = client.Deployment(ctx(), name)
		}
		Expect(paths).To(Equal([]string{"/deployments/%2E%2E", "/deployments/%2E", "/deployments/a%2Fb", "/deployments/a%0Ab"}))
	})

	It("keeps the body of a failed request that is not a director error", func() {
		start(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream unavailable", http.StatusBadGateway)
		})
		_, err := client.Releases(ctx())
		var de *director.Error
		Expect(errors.As(err, &de)).To(BeTrue())
		Expect(*de).To(Equal(director.Error{StatusCode: http.StatusBadGateway, Description: "upstream unavailable"}))
	})

	It("keeps only the new bytes when a director ignores the Range header", func() {
		start(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "line1\nline2\n")
		})
		chunk, next, err := client.TaskOutputChunk(ctx(), 1, director.OutputEvent, 6)
		Expect(err).NotTo(HaveOccurred())
		Expect(string(chunk)).To(Equal("line2\n"))
		Expect(next).To(Equal(int64(12)))
	})

	It("hands over a last event line that lacks its newline once the task is done", func() {
		start(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/tasks/5":
				_ = json.NewEncoder(w).Encode(director.Task{ID: 5, State: director.StateDone})
			case "/tasks/5/output":
				w.WriteHeader(http.StatusPartialContent)
				fmt.Fprint(w, `{"time":1,"stage":"s","state":"started"}`+"\n"+`{"time":2,"stage":"s","state":"finished"}`)
			}
		})
		var states []string
		_, err := client.WaitTask(ctx(), 5, func(e director.TaskEvent) { states = append(states, e.State) })
		Expect(err).NotTo(HaveOccurred())
		Expect(states).To(Equal([]string{"started", "finished"}))
	})
})
