// Package eats_test is the etcd acceptance suite (EATS): the operator's
// proof of the release, run as the acceptance-tests errand against any BOSH
// director (localbosh or a real one, basic auth or UAA) or from a checkout
// with EATS_CONFIG set. It reaches the director only through its API
// (package director) and the deployments only over their network: etcd's
// client port, and the release's test jobs (etcd_testconsumer,
// turbulence_agent). Each spec deploys a deployment of its own, named
// <prefix>-<scenario>-<random>, runs a recorded load through its scenario
// and deletes it; every acknowledged write must be read back, the history
// must be linearizable, and failed operations are counted by cause in the
// spec's report.
package eats_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/acceptance-tests/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

func TestEATS(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "etcd acceptance tests (EATS)")
}

// suite is what every process of a run shares, decided once by process 1.
type suite struct {
	Config config.Config
	// Version is the etcd release version under test; Previous the one the
	// upgrade starts from ("" when the director holds no earlier one).
	Version, Previous string
}

var (
	cfg    suite
	bosh   *director.Client
	mfDir  string // etcd.yml and ops/
	runTag string // a word per run, in deployment names
)

var _ = SynchronizedBeforeSuite(func(ctx SpecContext) []byte {
	if os.Getenv("EATS_CONFIG") == "" {
		// `ginkgo -r` over the repository passes by; scripts/test runs the
		// suite as an errand (src/localbosh/eats).
		Skip("EATS_CONFIG is not set: export it as the absolute path of the suite's JSON configuration to run EATS")
	}
	c, err := config.Load(os.Getenv("EATS_CONFIG"))
	Expect(err).NotTo(HaveOccurred())
	client := connect(ctx, c)

	deps, err := client.Deployments(ctx)
	Expect(err).NotTo(HaveOccurred())
	var leftovers []string
	for _, d := range deps {
		if strings.HasPrefix(d.Name, c.DeploymentPrefix+"-") {
			leftovers = append(leftovers, d.Name)
		}
	}
	Expect(leftovers).To(BeEmpty(), "deployments of an earlier run are still there; delete them (bosh -d NAME delete-deployment) before running the suite again")

	s := suite{Config: c}
	s.Version, s.Previous = releaseVersions(ctx, client, c)
	data, err := json.Marshal(s)
	Expect(err).NotTo(HaveOccurred())
	return data
}, func(ctx SpecContext, data []byte) {
	if len(data) == 0 {
		Skip("EATS_CONFIG is not set")
	}
	Expect(json.Unmarshal(data, &cfg)).To(Succeed())
	bosh = connect(ctx, cfg.Config)
	mfDir = cfg.Config.Manifests
	if mfDir == "" {
		mfDir = filepath.Join("..", "..", "manifests", "bosh-lite")
	}
	_, err := os.Stat(filepath.Join(mfDir, "etcd.yml"))
	Expect(err).NotTo(HaveOccurred(), "the manifests (etcd.yml, ops/) are not in %s; set \"manifests\" in EATS_CONFIG", mfDir)
	runTag = fmt.Sprintf("%x", time.Now().UnixNano()&0xfffff)
}, NodeTimeout(2*time.Minute))

// connect reaches the director with the configured credentials, as a UAA
// client when its /info says so.
func connect(ctx context.Context, c config.Config) *director.Client {
	GinkgoHelper()
	client, info, err := director.Connect(ctx, director.Config{URL: c.BOSH.Target, Username: c.BOSH.Username,
		Password: c.BOSH.Password, CACert: []byte(c.BOSH.DirectorCACert), ContextID: "eats"})
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("director %s (%s, %s auth) at %s\n", info.Name, info.Version, info.UserAuthentication.Type, client.URL())
	return client
}

// releaseVersions resolves "latest" in the configured versions against the
// etcd releases the director holds.
func releaseVersions(ctx context.Context, client *director.Client, c config.Config) (current, previous string) {
	GinkgoHelper()
	releases, err := client.Releases(ctx)
	Expect(err).NotTo(HaveOccurred())
	var versions []string
	for _, r := range releases {
		if r.Name == "etcd" {
			for _, v := range r.ReleaseVersions {
				versions = append(versions, v.Version)
			}
		}
	}
	Expect(versions).NotTo(BeEmpty(), "the director holds no etcd release: upload the release under test first")
	slices.SortFunc(versions, func(a, b string) int {
		n, err := release.CompareVersions(a, b)
		Expect(err).NotTo(HaveOccurred())
		return n
	})
	current = c.EtcdReleaseVersion
	if current == "latest" {
		current = versions[len(versions)-1]
	}
	Expect(versions).To(ContainElement(current), "etcd_release_version %s is not uploaded", current)
	previous = c.LatestEtcdReleaseVersion
	if previous == "latest" {
		previous = ""
		for _, v := range versions {
			if n, _ := release.CompareVersions(v, current); n < 0 {
				previous = v
			}
		}
	} else {
		Expect(versions).To(ContainElement(previous), "latest_etcd_release_version %s is not uploaded", previous)
	}
	return current, previous
}

// ReportAfterSuite prints every spec's load rows as one table.
var _ = ReportAfterSuite("the load of every scenario", func(r Report) {
	if os.Getenv("EATS_CONFIG") == "" {
		return
	}
	var rows []string
	for _, spec := range r.SpecReports {
		for _, e := range spec.ReportEntries {
			if e.Name == loadEntry {
				rows = append(rows, e.StringRepresentation())
			}
		}
	}
	slices.Sort(rows)
	table := tableHeader + strings.Join(rows, "\n") + "\n"
	var passed, failed, pending, skipped int
	var notes []string
	for _, spec := range r.SpecReports {
		if spec.LeafNodeType != types.NodeTypeIt {
			continue
		}
		switch {
		case spec.State == types.SpecStatePassed:
			passed++
		case spec.State == types.SpecStatePending:
			pending++
			notes = append(notes, "[pending] "+spec.FullText())
		case spec.State == types.SpecStateSkipped:
			skipped++
		default:
			failed++
			notes = append(notes, "["+spec.State.String()+"] "+spec.FullText())
		}
	}
	table += fmt.Sprintf("\nEATS: %d passed, %d failed, %d pending, %d skipped in %s\n", passed, failed, pending, skipped, r.RunTime.Round(time.Second))
	for _, n := range notes {
		table += "  " + n + "\n"
	}
	fmt.Fprint(GinkgoWriter, table)
	fmt.Print("\n" + table)
	if path := os.Getenv("EATS_TABLE"); path != "" {
		_ = os.WriteFile(path, []byte(table), 0o644)
	}
})
