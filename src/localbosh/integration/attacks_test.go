package integration_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/cli"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
	"github.com/cloudfoundry-incubator/etcd-release/src/release/releasetest"
)

// Attacks through names and uploads: each tries to make the director
// create, read or delete something outside its state directory. They run
// on a director of their own, because on a director that does not refuse
// them they destroy its state (a deployment named ".." is the state
// directory itself).
var _ = Describe("attacks through names and uploads", Label("integration"), Ordered, ContinueOnFailure, func() {
	var (
		target  *testdirector.Director
		raw     *rawAPI
		sandbox string // outside the state directory: where the traversals aim
		before  map[string]string
	)

	BeforeAll(func(ctx SpecContext) {
		var err error
		target, err = testdirector.Start(ctx, testdirector.Options{Logs: GinkgoWriter})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(func(ctx SpecContext) { Expect(target.Cleanup(ctx)).To(Succeed()) })
		raw = newRawAPI(target)
	})

	BeforeEach(func() {
		sandbox = GinkgoT().TempDir()
		// A directory outside the state directory that looks like a
		// deployment, for traversals to read or delete.
		victim := filepath.Join(sandbox, "victim")
		Expect(os.Mkdir(victim, 0o755)).To(Succeed())
		plantRecord(filepath.Join(victim, "deployment.json"))
		Expect(os.WriteFile(filepath.Join(victim, "precious"), []byte("keep me"), 0o644)).To(Succeed())
		before = listing(sandbox, target.StateDir())
	})

	AfterEach(func() {
		By("changing nothing outside the state directory, nor the state directory's own files")
		Expect(listing(sandbox, target.StateDir())).To(Equal(before))
	})

	// fromDir is the traversal that leads from dir (under the state
	// directory) to path (in the sandbox).
	fromDir := func(dir, path string) string {
		GinkgoHelper()
		rel, err := filepath.Rel(dir, path)
		Expect(err).NotTo(HaveOccurred())
		Expect(rel).To(HavePrefix(".."))
		return rel
	}
	deploymentsDir := func() string { return filepath.Join(target.StateDir(), "deployments") }
	releasesDir := func() string { return filepath.Join(target.StateDir(), "releases") }

	// waitIfStarted follows a task that a request started anyway, so that
	// what it did is on disk before the listing is compared.
	waitIfStarted := func(ctx context.Context, status int, location string) {
		GinkgoHelper()
		if status != http.StatusFound {
			return
		}
		id, err := strconv.Atoi(strings.TrimPrefix(location, "/tasks/"))
		Expect(err).NotTo(HaveOccurred(), "task location %q", location)
		_, err = target.Wait(ctx, director.Task{ID: id})
		Expect(err).NotTo(HaveOccurred())
	}

	Describe("deployment names in a manifest", func() {
		DescribeTable("are refused with a 400 naming the field and the rule, creating nothing",
			func(ctx SpecContext, name func() string) {
				manifest := emptyManifest(name())
				resp := raw.do(ctx, http.MethodPost, "/deployments", "text/yaml", manifest)
				waitIfStarted(ctx, resp.status, resp.location)
				Expect(listing(sandbox, target.StateDir())).To(Equal(before))
				Expect(resp.status).To(Equal(http.StatusBadRequest), resp.body)
				Expect(resp.body).To(ContainSubstring("deployment name"))
				Expect(resp.body).To(ContainSubstring("letters, digits"))
			},
			Entry("..", func() string { return ".." }),
			Entry("../x", func() string { return "../x" }),
			Entry("a/b", func() string { return "a/b" }),
			Entry("a path out of the state directory", func() string { return fromDir(deploymentsDir(), filepath.Join(sandbox, "planted")) }),
			Entry("a name with NUL", func() string { return "a\x00b" }),
			Entry("a name with a newline", func() string { return "a\nb" }),
		)
	})

	Describe("deployment names in a path, checked after URL decoding", func() {
		DescribeTable("are refused with a 400 when read or deleted, touching nothing",
			func(ctx SpecContext, method string, escaped func() string) {
				path := "/deployments/" + escaped()
				if path == "/deployments/%2e%2e" {
					// What deploying a manifest named ".." leaves: a record in
					// the state directory itself, which DELETE %2e%2e finds.
					plantRecord(filepath.Join(target.StateDir(), "deployment.json"))
					DeferCleanup(os.Remove, filepath.Join(target.StateDir(), "deployment.json"))
					before = listing(sandbox, target.StateDir())
				}
				resp := raw.do(ctx, method, path, "", nil)
				waitIfStarted(ctx, resp.status, resp.location)
				Expect(listing(sandbox, target.StateDir())).To(Equal(before))
				Expect(resp.status).To(Equal(http.StatusBadRequest), resp.body)
				Expect(resp.body).To(ContainSubstring("deployment name"))
				Expect(resp.body).NotTo(ContainSubstring("name: victim"))
			},
			Entry("DELETE %2e%2e", http.MethodDelete, func() string { return "%2e%2e" }),
			Entry("DELETE a%2Fb", http.MethodDelete, func() string { return "a%2Fb" }),
			Entry("DELETE a path out of the state directory", http.MethodDelete,
				func() string { return url.PathEscape(fromDir(deploymentsDir(), filepath.Join(sandbox, "victim"))) }),
			Entry("GET a path out of the state directory", http.MethodGet,
				func() string { return url.PathEscape(fromDir(deploymentsDir(), filepath.Join(sandbox, "victim"))) }),
			Entry("GET a%00b", http.MethodGet, func() string { return "a%00b" }),
			Entry("GET a%0Ab", http.MethodGet, func() string { return "a%0Ab" }),
		)

		It("refuses errand, instance group and instance names that climb out, before looking the deployment up", func(ctx SpecContext) {
			for _, c := range []struct{ method, path, field string }{
				{http.MethodPost, "/deployments/nope/errands/..%2F..%2Fx/runs", "errand name"},
				{http.MethodPut, "/deployments/nope/jobs/..%2Fx?state=started", "instance group name"},
				{http.MethodPut, "/deployments/nope/jobs/web/..%2F..?state=started", "instance id"},
				{http.MethodGet, "/deployments/%2e%2e/instances", "deployment name"},
			} {
				resp := raw.do(ctx, c.method, c.path, "application/json", nil)
				Expect(resp.status).To(Equal(http.StatusBadRequest), "%s %s: %s", c.method, c.path, resp.body)
				Expect(resp.body).To(ContainSubstring(c.field), c.path)
			}
		})
	})

	Describe("through the CLI", func() {
		var env map[string]string

		BeforeEach(func() {
			creds, err := api.ReadClientCredentials(target.StateDir())
			Expect(err).NotTo(HaveOccurred())
			env = map[string]string{
				"BOSH_ENVIRONMENT": target.Client().URL(), "BOSH_CLIENT": creds.Username,
				"BOSH_CLIENT_SECRET": creds.Password, "BOSH_CA_CERT": creds.CACertPath,
			}
		})

		localbosh := func(args ...string) (int, string) {
			var out bytes.Buffer
			code := cli.Run(args, cli.Deps{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &out,
				Getenv: func(k string) string { return env[k] }})
			GinkgoWriter.Printf("$ localbosh %q\n%s(exit %d)\n", args, out.String(), code)
			return code, out.String()
		}

		DescribeTable("refuses to delete a deployment whose name climbs out",
			func(name func() string) {
				code, out := localbosh("-n", "-d", name(), "delete-deployment")
				Expect(listing(sandbox, target.StateDir())).To(Equal(before))
				Expect(code).NotTo(BeZero())
				Expect(out).To(ContainSubstring("deployment name"))
			},
			Entry("..", func() string { return ".." }),
			Entry("a/b", func() string { return "a/b" }),
			Entry("a path out of the state directory", func() string { return fromDir(deploymentsDir(), filepath.Join(sandbox, "victim")) }),
		)

		DescribeTable("refuses to deploy a manifest whose name climbs out or holds control characters",
			func(name func() string) {
				n := name()
				path := filepath.Join(GinkgoT().TempDir(), "manifest.yml")
				Expect(os.WriteFile(path, emptyManifest(n), 0o644)).To(Succeed())
				code, out := localbosh("-n", "-d", n, "deploy", path)
				Expect(listing(sandbox, target.StateDir())).To(Equal(before))
				Expect(code).NotTo(BeZero())
				Expect(out).To(ContainSubstring("deployment name"))
			},
			Entry("../x", func() string { return "../x" }),
			Entry("a path out of the state directory", func() string { return fromDir(deploymentsDir(), filepath.Join(sandbox, "planted")) }),
			Entry("a name with a newline", func() string { return "a\nb" }),
			Entry("a name with NUL", func() string { return "a\x00b" }),
		)
	})

	Describe("release uploads", func() {
		// upload sends a release tarball and returns the task's failure.
		upload := func(ctx SpecContext, tarball []byte) string {
			GinkgoHelper()
			resp := raw.do(ctx, http.MethodPost, "/releases", "application/x-compressed", tarball)
			Expect(resp.status).To(Equal(http.StatusFound), resp.body)
			id, err := strconv.Atoi(strings.TrimPrefix(resp.location, "/tasks/"))
			Expect(err).NotTo(HaveOccurred())
			run, err := target.Wait(ctx, director.Task{ID: id})
			Expect(err).NotTo(HaveOccurred())
			Expect(listing(sandbox, target.StateDir())).To(Equal(before))
			Expect(run.Task.State).To(Equal(director.StateError), "the upload was accepted")
			return run.Task.Result + " " + run.Failure()
		}

		It("refuses a release name that climbs out of the releases directory", func(ctx SpecContext) {
			name := fromDir(releasesDir(), filepath.Join(sandbox, "planted"))
			failure := upload(ctx, releaseTarball(release.Manifest{Name: name, Version: "1"}))
			Expect(failure).To(ContainSubstring("release name"))
		})

		It("refuses a release version that climbs out of the release's directory", func(ctx SpecContext) {
			version := fromDir(filepath.Join(releasesDir(), "demo"), filepath.Join(sandbox, "planted"))
			failure := upload(ctx, releaseTarball(release.Manifest{Name: "demo", Version: version}))
			Expect(failure).To(ContainSubstring("release version"))
		})

		It("refuses a tarball with an entry that climbs out", func(ctx SpecContext) {
			escaping := fromDir(target.StateDir(), filepath.Join(sandbox, "planted"))
			failure := upload(ctx, releaseTarball(release.Manifest{Name: "demo", Version: "1"},
				releasetest.Entry{Name: escaping, Body: "x"}, releasetest.Entry{Name: "/" + filepath.Join(sandbox, "absolute"), Body: "x"}))
			Expect(failure).To(ContainSubstring("outside the archive"))
		})

		It("refuses a package with a symlink that points out of it", func(ctx SpecContext) {
			pkg := tgz(releasetest.Entry{Name: "./packaging", Body: "true\n"},
				releasetest.Entry{Name: "./credentials", Link: filepath.Join(target.StateDir(), "credentials", "admin-password")})
			m := release.Manifest{Name: "demo", Version: "1", Packages: []release.PackageRef{
				{Name: "evil", Version: "fp", Fingerprint: "fp", SHA1: sha256Of(pkg), Dependencies: []string{}},
			}}
			failure := upload(ctx, releaseTarball(m, releasetest.Entry{Name: "packages/evil.tgz", Body: string(pkg)}))
			Expect(failure).To(ContainSubstring("points outside"))
		})
	})

	It("refuses a release location on the director's machine; only http(s) URLs are fetched", func(ctx SpecContext) {
		for _, location := range []string{filepath.Join(target.StateDir(), "credentials", "admin-password"), "file:///etc/hostname"} {
			body := fmt.Appendf(nil, `{"location": %q}`, location)
			resp := raw.do(ctx, http.MethodPost, "/releases", "application/json", body)
			waitIfStarted(ctx, resp.status, resp.location)
			Expect(resp.status).To(Equal(http.StatusBadRequest), "%s: %s", location, resp.body)
			Expect(resp.body).To(ContainSubstring("http"))
		}
	})
})

// plantRecord writes a deployment record at path, as if a deployment had
// been stored there.
func plantRecord(path string) {
	GinkgoHelper()
	Expect(os.WriteFile(path, []byte(`{"name":"victim","manifest":"name: victim\n","state":{}}`), 0o644)).To(Succeed())
}

// rawAPI sends requests to a director exactly as written (escapes and all),
// and does not follow redirects.
type rawAPI struct {
	base   string
	creds  api.Credentials
	client *http.Client
}

func newRawAPI(d *testdirector.Director) *rawAPI {
	GinkgoHelper()
	creds, err := api.ReadClientCredentials(d.StateDir())
	Expect(err).NotTo(HaveOccurred())
	roots := x509.NewCertPool()
	Expect(roots.AppendCertsFromPEM(creds.CACertPEM)).To(BeTrue())
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &rawAPI{base: d.Client().URL(), creds: creds, client: client}
}

type rawResponse struct {
	status   int
	location string
	body     string
}

func (a *rawAPI) do(ctx context.Context, method, path, contentType string, body []byte) rawResponse {
	GinkgoHelper()
	u, err := url.Parse(a.base + path)
	Expect(err).NotTo(HaveOccurred())
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	Expect(err).NotTo(HaveOccurred())
	req.URL = u
	req.SetBasicAuth(a.creds.Username, a.creds.Password)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := a.client.Do(req)
	Expect(err).NotTo(HaveOccurred())
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("%s %s -> %d %s\n", method, path, resp.StatusCode, data)
	return rawResponse{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(data)}
}

// emptyManifest is a manifest with no releases and no instance groups, which
// a director deploys without creating a VM.
func emptyManifest(name string) []byte {
	GinkgoHelper()
	return mustYAML(map[string]any{
		"name": name, "releases": []any{},
		"stemcells":       []any{map[string]any{"alias": "default", "os": "ubuntu-jammy", "version": "latest"}},
		"update":          map[string]any{"canaries": 1, "max_in_flight": 1, "canary_watch_time": 1000, "update_watch_time": 1000},
		"instance_groups": []any{},
	})
}

// listing describes every file and directory under the given roots (type,
// mode, size and, for symlinks, target), leaving out the directories a
// director changes by itself as it works (tasks, uploads) and the sandbox's
// own root entries' times.
func listing(roots ...string) map[string]string {
	GinkgoHelper()
	out := map[string]string{}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			if rel == "tasks" || rel == "uploads" || strings.HasPrefix(rel, "incoming-release-") {
				return filepath.SkipDir
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			entry := info.Mode().String()
			if info.Mode().IsRegular() {
				entry += fmt.Sprintf(" %d bytes", info.Size())
			}
			if info.Mode()&fs.ModeSymlink != 0 {
				target, _ := os.Readlink(path)
				entry += " -> " + target
			}
			out[path] = entry
			return nil
		})
		Expect(err).NotTo(HaveOccurred())
	}
	return out
}

// tgz is a tarball of the entries, as written.
func tgz(entries ...releasetest.Entry) []byte {
	GinkgoHelper()
	data, err := releasetest.Tgz(entries...)
	Expect(err).NotTo(HaveOccurred())
	return data
}

// releaseTarball is a release tarball with m as its release.MF and the
// extra entries after it.
func releaseTarball(m release.Manifest, extra ...releasetest.Entry) []byte {
	GinkgoHelper()
	if m.Jobs == nil {
		m.Jobs = []release.JobRef{}
	}
	if m.Packages == nil {
		m.Packages = []release.PackageRef{}
	}
	mf, err := yaml.Marshal(m)
	Expect(err).NotTo(HaveOccurred())
	return tgz(append([]releasetest.Entry{{Name: "release.MF", Body: string(mf)}}, extra...)...)
}

func sha256Of(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}
