// Package eats runs the acceptance suite (EATS) on a localbosh test
// director as an operator runs it: this release and its previous version
// (built once from a pinned commit of this repository and cached) are
// uploaded, manifests/bosh-lite/eats.yml is deployed with the director's
// gateway address and credentials, and the acceptance-tests errand runs the
// precompiled suite on its VM, which deploys, breaks and deletes
// deployments of its own on the same director.
//
// Environment:
//
//	EATS_PARALLEL_NODES   the errand's parallel_nodes (default 3)
//	EATS_GINKGO_FLAGS     the errand's ginkgo_flags (default none: every scenario)
//	EATS_PREVIOUS_COMMIT  the commit the previous version is built from
//	EATS_DIRECT=1         run the suite from this machine instead of the errand
//	                      (faster while working on it: nothing to compile for it)
//	EATS_OUTPUT           file the suite's whole output is written to
package eats_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

func TestEATSErrand(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "EATS as an errand on localbosh", Label("integration", "eats"))
	// Printed last, so that it stands beside the test's verdict even where
	// only the end of a long log is kept.
	if verdictLine != "" {
		fmt.Println(verdictLine)
	}
}

// verdictLine names what failed in the acceptance suite, on one line.
var verdictLine string

// repo is the release directory: the repository root.
var repo = filepath.Join("..", "..", "..")

// previousCommit is the commit the release's previous version is built
// from: the last one that shipped etcd 3.6.16 (the release an operator
// upgrades from to etcd 3.7), as the etcdrelease suite's upgrade spec uses.
const previousCommit = "569bddfc52210349a951b0ab91b8c07ec6b05481"

// previousVersion is the previous release's version: below the dev
// versions (0+dev.N) this repository's builds get.
const previousVersion = "0"

var _ = It("runs the acceptance-tests errand: every scenario passes", func(ctx SpecContext) {
	if os.Geteuid() != 0 {
		Skip("deploying on localbosh needs root")
	}
	_, err := os.Stat(filepath.Join(repo, "blobs", "etcd"))
	Expect(err).NotTo(HaveOccurred(), "the release's blobs are missing; run scripts/build-blobs")
	start := time.Now()
	direct := os.Getenv("EATS_DIRECT") == "1"

	bosh, err := testdirector.Start(ctx, testdirector.Options{ServeOnGateway: !direct})
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func(ctx SpecContext) { Expect(bosh.Cleanup(ctx)).To(Succeed()) }, NodeTimeout(15*time.Minute))

	By("uploading the previous version, built from " + commit())
	tarball := previousRelease(ctx)
	task, err := bosh.Client().UploadReleaseFile(ctx, tarball)
	Expect(err).NotTo(HaveOccurred())
	run, err := bosh.Wait(ctx, task)
	Expect(err).NotTo(HaveOccurred())
	Expect(run.Err()).NotTo(HaveOccurred())
	By("uploading this release")
	current, err := bosh.UploadReleaseDir(ctx, repo)
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("releases uploaded after %s\n", time.Since(start).Round(time.Second))

	var output string
	var passed bool
	if direct {
		output, passed = runDirect(ctx, bosh, current.Version)
	} else {
		output, passed = runErrand(ctx, bosh, current.Version)
	}
	if path := os.Getenv("EATS_OUTPUT"); path != "" {
		_ = os.WriteFile(path, []byte(output), 0o644)
	}
	fmt.Fprintf(os.Stdout, "\n%s\nEATS took %s (releases, errand and every scenario)\n", table(output), time.Since(start).Round(time.Second))
	if !passed {
		// The whole output goes to the spec's log; the failure itself
		// carries only what failed, so that it stays readable at the end
		// of a long run's log.
		GinkgoWriter.Println(output)
		verdictLine = brief(output)
	}
	Expect(passed).To(BeTrue(), "the acceptance suite failed (its whole output is in this spec's log above):\n%s", failures(output))
}, SpecTimeout(75*time.Minute))

func commit() string {
	if c := os.Getenv("EATS_PREVIOUS_COMMIT"); c != "" {
		return c
	}
	return previousCommit
}

// previousRelease builds the previous version from the pinned commit once
// and keeps its tarball in the cache, as the blobs are.
func previousRelease(ctx context.Context) string {
	GinkgoHelper()
	cache := os.Getenv("CACHE_DIR")
	if cache == "" {
		home, err := os.UserHomeDir()
		Expect(err).NotTo(HaveOccurred())
		cache = filepath.Join(home, ".cache", "etcd-release")
	}
	full, err := exec.CommandContext(ctx, "git", "-C", repo, "rev-parse", "--verify", commit()+"^{commit}").Output()
	Expect(err).NotTo(HaveOccurred(), "commit %s is not in this repository", commit())
	sha := strings.TrimSpace(string(full))
	tarball := filepath.Join(cache, "previous-release", "etcd-"+sha+".tgz")
	if _, err := os.Stat(tarball); err == nil {
		return tarball
	}
	Expect(os.MkdirAll(filepath.Dir(tarball), 0o755)).To(Succeed())
	dir := filepath.Join(GinkgoT().TempDir(), "etcd-release")
	Expect(os.MkdirAll(dir, 0o755)).To(Succeed())
	shell(ctx, fmt.Sprintf("git -C %q archive %s | tar -x -C %q", repo, sha, dir))
	// The blobs are the ones config/blobs.yml names at that commit; the
	// machine's are checked against it when the release is created.
	shell(ctx, fmt.Sprintf("cp -a %q %q", filepath.Join(repo, "blobs"), filepath.Join(dir, "blobs")))
	tmp := tarball + ".partial"
	_, err = release.Create(ctx, dir, release.CreateOptions{Force: true, Version: previousVersion, Tarball: tmp})
	Expect(err).NotTo(HaveOccurred(), "building the previous release from %s", sha)
	Expect(os.Rename(tmp, tarball)).To(Succeed())
	return tarball
}

func shell(ctx context.Context, script string) {
	GinkgoHelper()
	out, err := exec.CommandContext(ctx, "sh", "-c", script).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "%s: %s", script, out)
}

func parallelNodes() int {
	n, err := strconv.Atoi(os.Getenv("EATS_PARALLEL_NODES"))
	if err != nil || n < 1 {
		return 3
	}
	return n
}

// runErrand deploys eats.yml and runs its errand.
func runErrand(ctx context.Context, bosh *testdirector.Director, version string) (string, bool) {
	GinkgoHelper()
	creds := bosh.Credentials()
	data, err := os.ReadFile(filepath.Join(repo, "manifests", "bosh-lite", "eats.yml"))
	Expect(err).NotTo(HaveOccurred())
	var doc map[string]any
	Expect(yaml.Unmarshal(data, &doc)).To(Succeed())
	values := vars.Static{"director_target": bosh.GatewayURL(), "director_username": creds.Username,
		"director_password": creds.Password, "director_ca_cert": string(creds.CACertPEM)}
	interpolated, err := vars.Interpolate(doc, vars.Sources{Static: values}, vars.Options{ExpectAll: true})
	Expect(err).NotTo(HaveOccurred())
	doc = interpolated.(map[string]any)
	props := doc["instance_groups"].([]any)[0].(map[string]any)["jobs"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	tests := props["etcd"].(map[string]any)["acceptance_tests"].(map[string]any)
	tests["parallel_nodes"] = parallelNodes()
	tests["ginkgo_flags"] = os.Getenv("EATS_GINKGO_FLAGS")
	tests["etcd_release_version"] = version
	tests["latest_etcd_release_version"] = previousVersion
	manifest, err := yaml.Marshal(doc)
	Expect(err).NotTo(HaveOccurred())

	By("deploying eats.yml (compiles the suite)")
	start := time.Now()
	run, err := bosh.Deploy(ctx, manifest, director.DeployOptions{})
	Expect(err).NotTo(HaveOccurred())
	Expect(run.Err()).NotTo(HaveOccurred())
	GinkgoWriter.Printf("eats deployed in %s\n", time.Since(start).Round(time.Second))

	By("running the acceptance-tests errand")
	_, results, err := bosh.Client().RunErrand(ctx, "eats", "acceptance-tests", director.ErrandRequest{}, nil)
	Expect(err).NotTo(HaveOccurred())
	Expect(results).To(HaveLen(1))
	return results[0].Stdout + results[0].Stderr, results[0].ExitCode == 0
}

// runDirect runs the suite from this machine against the director's
// loopback address.
func runDirect(ctx context.Context, bosh *testdirector.Director, version string) (string, bool) {
	GinkgoHelper()
	creds := bosh.Credentials()
	cfg := map[string]any{
		"bosh": map[string]any{"target": bosh.Client().URL(), "username": creds.Username, "password": creds.Password,
			"director_ca_cert": string(creds.CACertPEM)},
		"etcd_release_version": version, "latest_etcd_release_version": previousVersion, "enable_turbulence_tests": true,
	}
	data, err := json.Marshal(cfg)
	Expect(err).NotTo(HaveOccurred())
	path, err := filepath.Abs(filepath.Join(GinkgoT().TempDir(), "eats.json"))
	Expect(err).NotTo(HaveOccurred())
	Expect(os.WriteFile(path, data, 0o600)).To(Succeed())
	args := []string{"tool", "ginkgo", fmt.Sprintf("--procs=%d", parallelNodes()), "--timeout=3h"}
	args = append(args, strings.Fields(os.Getenv("EATS_GINKGO_FLAGS"))...)
	cmd := exec.CommandContext(ctx, "go", append(args, "../../acceptance-tests")...)
	cmd.Env = append(os.Environ(), "EATS_CONFIG="+path)
	var out bytes.Buffer
	var w io.Writer = &out
	if path := os.Getenv("EATS_OUTPUT"); path != "" {
		// Written as it comes, to follow a long run.
		f, err := os.Create(path + ".live")
		Expect(err).NotTo(HaveOccurred())
		defer f.Close()
		w = io.MultiWriter(&out, f)
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = cmd.Run()
	return out.String(), err == nil
}

// table is the load table the suite prints at its end (its report after
// the suite): the last block of "|" lines starting with the header, however
// Ginkgo indented it, and the summary after it ("EATS: ..." and a
// "[state] spec" line for each spec pending or failed).
func table(output string) string {
	var last, block, summary []string
	in, inSummary := false, false
	for _, line := range strings.Split(output, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "| scenario |"):
			block, in = []string{line}, true
		case in && strings.HasPrefix(line, "|"):
			block = append(block, line)
		case in:
			last, in = block, false
		}
		switch {
		case strings.HasPrefix(line, "EATS: "):
			summary, inSummary = []string{line}, true
		case inSummary && strings.HasPrefix(line, "["):
			summary = append(summary, "  "+line)
		default:
			inSummary = false
		}
	}
	if in {
		last = block
	}
	if last == nil {
		last = []string{"(the suite printed no load table)"}
	}
	if summary != nil {
		last = append(append(last, ""), summary...)
	}
	return strings.Join(last, "\n")
}

// ansi matches the terminal colour codes Ginkgo writes.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

// failures is what a failing run of the suite says about its failures:
// each spec's failure message (from its "[FAILED] message" line to the
// "In [It] at:" line that ends it) and the suite's closing summary (from
// "Summarizing" to "FAIL!"). It is the whole output when neither is there
// (a suite that did not start).
func failures(output string) string {
	var out []string
	inMessage, inSummary := false, false
	for _, line := range strings.Split(ansi.ReplaceAllString(output, ""), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "[FAILED] ") && !strings.HasPrefix(trimmed, "[FAILED] in ["):
			inMessage = true
			out = append(out, "")
		case strings.HasPrefix(trimmed, "Summarizing "):
			inSummary = true
			out = append(out, "")
		}
		if inMessage || inSummary {
			out = append(out, line)
		}
		if strings.HasPrefix(trimmed, "In [") {
			inMessage = false
		}
		if strings.HasPrefix(trimmed, "FAIL!") {
			inSummary = false
		}
	}
	if len(out) == 0 {
		return output
	}
	return strings.Join(out, "\n")
}

// brief is failures on one line: each failed spec as the suite's summary
// names it, then the first line of each failure message.
func brief(output string) string {
	var specs, messages []string
	for _, line := range strings.Split(ansi.ReplaceAllString(output, ""), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "[FAIL] "):
			specs = append(specs, strings.TrimPrefix(trimmed, "[FAIL] "))
		case strings.HasPrefix(trimmed, "[FAILED] ") && !strings.HasPrefix(trimmed, "[FAILED] in ["):
			messages = append(messages, strings.TrimPrefix(trimmed, "[FAILED] "))
		}
	}
	if len(specs) == 0 && len(messages) == 0 {
		return "EATS failed before any scenario reported (the errand's output is in the spec's log)"
	}
	return fmt.Sprintf("EATS failed: %s; because: %s", strings.Join(specs, "; "), strings.Join(messages, "; "))
}

var _ = It("picks each failure message and the summary out of a failed run", func() {
	out := "noise\n  \x1b[38;5;9m[FAILED] in [It] - a_test.go:3\x1b[0m\n  << Timeline\n\n  [FAILED] the load of scale 5 -> 3\n  Expected\n      16 failed\n  In [It] at: a_test.go:3 @ now\n--------\n" +
		"more noise\n\nSummarizing 1 Failure:\n  [FAIL] scaling [It] 3 -> 5 -> 3\n  a_test.go:3\n\nRan 6 of 16 Specs in 3s\nFAIL! -- 2 Passed | 1 Failed\n\nGinkgo ran 1 suite\n"
	got := failures(out)
	Expect(got).To(ContainSubstring("[FAILED] the load of scale 5 -> 3\n  Expected\n      16 failed\n  In [It] at: a_test.go:3"))
	Expect(got).To(ContainSubstring("Summarizing 1 Failure:\n  [FAIL] scaling [It] 3 -> 5 -> 3"))
	Expect(got).To(HaveSuffix("FAIL! -- 2 Passed | 1 Failed"))
	Expect(got).NotTo(ContainSubstring("noise"))
	Expect(got).NotTo(ContainSubstring("[FAILED] in [It]"))
	Expect(failures("the errand did not start")).To(Equal("the errand did not start"))
	Expect(brief(out)).To(Equal("EATS failed: scaling [It] 3 -> 5 -> 3; because: the load of scale 5 -> 3"))
	Expect(brief("the errand did not start")).To(ContainSubstring("before any scenario reported"))
})

var _ = It("finds the suite's load table in its output, however indented", func() {
	out := "noise\n    | scenario | TLS |\n    | --- | --- |\n    | a | yes |\n  done\n| scenario | TLS |\n| --- | --- |\n| a | yes |\n| b | no |\n\n" +
		"  EATS: 1 passed, 0 failed, 1 pending, 0 skipped in 3s\n    [pending] faults x\n  Ran 2 of 2 Specs\n"
	Expect(table(out)).To(Equal("| scenario | TLS |\n| --- | --- |\n| a | yes |\n| b | no |\n\nEATS: 1 passed, 0 failed, 1 pending, 0 skipped in 3s\n  [pending] faults x"))
	Expect(table("nothing")).To(ContainSubstring("no load table"))
})
