// Command localbosh-bench measures localbosh deploying this repository's
// etcd release on a fresh test director (its own state, bridge and subnet)
// and prints a table: release build and upload, first deploy with package
// compilation, a deploy once compiled, a rolling property change, and
// scaling 3 -> 5.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/testdirector"
	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
)

func main() {
	repo := flag.String("repo", ".", "the release directory (the repository root)")
	flag.Parse()
	if err := run(context.Background(), *repo); err != nil {
		fmt.Fprintln(os.Stderr, "localbosh-bench:", err)
		os.Exit(1)
	}
}

type row struct {
	what    string
	elapsed time.Duration
	note    string
}

func run(ctx context.Context, repo string) error {
	bosh, err := testdirector.Start(ctx, testdirector.Options{})
	if err != nil {
		return err
	}
	defer bosh.Cleanup(context.WithoutCancel(ctx))

	var rows []row
	measure := func(what string, fn func() (string, error)) error {
		start := time.Now()
		note, err := fn()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		rows = append(rows, row{what, time.Since(start), note})
		return nil
	}
	deploy := func(ops string) func() (string, error) {
		return func() (string, error) {
			manifest, err := manifestWith(repo, ops)
			if err != nil {
				return "", err
			}
			r, err := bosh.Deploy(ctx, manifest, director.DeployOptions{})
			if err == nil {
				err = r.Err()
			}
			return fmt.Sprintf("%d instances updated", len(r.Started("Updating instance"))), err
		}
	}
	steps := []struct {
		what string
		fn   func() (string, error)
	}{
		{"create and upload the release (fresh build)", func() (string, error) {
			_, err := bosh.UploadReleaseDir(ctx, repo)
			return "", err
		}},
		{"first deploy of 3 members, compiling packages", deploy("")},
		{"delete the deployment", func() (string, error) {
			r, err := bosh.DeleteDeployment(ctx, "etcd", false)
			if err == nil {
				err = r.Err()
			}
			return "", err
		}},
		{"deploy 3 members, packages compiled", deploy("")},
		{"rolling property change of 3 members", deploy(heartbeat)},
		{"scale 3 -> 5", deploy(heartbeat + fiveInstances)},
		{"scale 5 -> 3", deploy(heartbeat)},
	}
	for _, s := range steps {
		if err := measure(s.what, s.fn); err != nil {
			return err
		}
	}

	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "localbosh step\tseconds\tnote")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%.1f\t%s\n", r.what, r.elapsed.Seconds(), r.note)
	}
	return w.Flush()
}

const heartbeat = `
- type: replace
  path: /instance_groups/name=etcd/jobs/name=etcd/properties/etcd/heartbeat_interval_in_milliseconds?
  value: 60
`

const fiveInstances = `
- type: replace
  path: /instance_groups/name=etcd/instances
  value: 5
`

// manifestWith is manifests/bosh-lite/etcd.yml with ops applied.
func manifestWith(repo, ops string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(repo, "manifests", "bosh-lite", "etcd.yml"))
	if err != nil {
		return nil, err
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if ops != "" {
		parsed, err := opsfile.Parse("bench-ops.yml", []byte(ops))
		if err != nil {
			return nil, err
		}
		if doc, err = parsed.Apply(doc); err != nil {
			return nil, err
		}
	}
	return yaml.Marshal(doc)
}
