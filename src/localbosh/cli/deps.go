package cli

import (
	"context"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// Director is what the commands need of a director; *director.Client is one.
type Director interface {
	Deployments(ctx context.Context) ([]director.DeploymentSummary, error)
	Deployment(ctx context.Context, name string) ([]byte, error)
	Deploy(ctx context.Context, manifest []byte, opts director.DeployOptions) (director.Task, error)
	DeleteDeployment(ctx context.Context, name string, force bool) (director.Task, error)
	ChangeJobState(ctx context.Context, deployment, group, id string, opts director.JobStateOptions) (director.Task, error)
	Instances(ctx context.Context, deployment string) ([]director.Instance, error)
	VMs(ctx context.Context, deployment string) ([]director.Instance, error)
	RunErrand(ctx context.Context, deployment, errand string, req director.ErrandRequest, onEvent func(director.TaskEvent)) (director.Task, []director.ErrandResult, error)

	Releases(ctx context.Context) ([]director.Release, error)
	UploadReleaseFile(ctx context.Context, path string) (director.Task, error)
	UploadReleaseURL(ctx context.Context, location, sha1 string) (director.Task, error)
	Stemcells(ctx context.Context) ([]director.Stemcell, error)

	UpdateConfig(ctx context.Context, configType, name string, content []byte) (director.ConfigVersion, error)
	LatestConfig(ctx context.Context, configType, name string) (director.ConfigVersion, error)

	Task(ctx context.Context, id int) (director.Task, error)
	Tasks(ctx context.Context, filter director.TaskFilter) ([]director.Task, error)
	FollowTask(ctx context.Context, id int, outputType string, onLine func([]byte) error) (director.Task, error)
}

var _ Director = (*director.Client)(nil)

// Deps are everything the CLI takes from the outside world, so that tests
// run it in-process against a director of their own.
type Deps struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// StdoutIsTTY selects output for people; otherwise only task output,
	// bare tables and errors are printed (as with the bosh CLI), unless --tty.
	StdoutIsTTY bool
	// Getenv reads BOSH_* and LOCALBOSH_STATE_DIR; nil reads nothing.
	Getenv func(string) string
	// Now is the clock, for commands that stamp what they write.
	Now func() time.Time
	// NewDirector makes the director client; nil uses director.New.
	NewDirector func(director.Config) (Director, error)
}

// SystemDeps are the process's standard streams, environment and clock.
func SystemDeps() Deps {
	return Deps{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		StdoutIsTTY: isTerminal(os.Stdout),
		Getenv:      os.Getenv,
		Now:         time.Now,
	}
}

func (d Deps) withDefaults() Deps {
	if d.Stdin == nil {
		d.Stdin = strings.NewReader("")
	}
	if d.Stdout == nil {
		d.Stdout = io.Discard
	}
	if d.Stderr == nil {
		d.Stderr = io.Discard
	}
	if d.Getenv == nil {
		d.Getenv = func(string) string { return "" }
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.NewDirector == nil {
		d.NewDirector = func(cfg director.Config) (Director, error) {
			c, err := director.New(cfg)
			if err != nil {
				return nil, err
			}
			return c, nil
		}
	}
	return d
}

// isTerminal reports whether f is a character device, as terminals are.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
