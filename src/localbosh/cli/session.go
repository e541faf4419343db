package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// Session is what a running command works with: the global options, the
// UI, the outside world, and the director once asked for.
type Session struct {
	Options GlobalOptions
	UI      UI
	Deps    Deps

	reporter  *taskReporter
	client    Director
	contextID string
}

func newSession(opts GlobalOptions, ui UI, deps Deps) *Session {
	return &Session{Options: opts, UI: ui, Deps: deps, reporter: newTaskReporter(ui)}
}

// Director connects to the director the global options name (the local
// one by default) and says which, as the bosh CLI does:
// "Using environment 'https://...' as client 'admin'".
func (s *Session) Director() (Director, error) {
	if s.client != nil {
		return s.client, nil
	}
	env, err := resolveEnvironment(s.Options, s.Deps.Getenv)
	if err != nil {
		return nil, err
	}
	// Tasks started by this run carry one context id, so that a task the
	// client starts and waits for itself (run-errand) can be found by it.
	s.contextID = "localbosh-cli-" + rand.Text()
	env.config.ContextID = s.contextID
	client, err := s.Deps.NewDirector(env.config)
	if err != nil {
		return nil, fmt.Errorf("connecting to director %s: %w", env.name, err)
	}
	s.UI.PrintLinef("Using environment '%s' as client '%s'", env.name, env.config.Username)
	s.client = client
	return client, nil
}

// DeploymentName is the -d deployment, which commands on a deployment need.
func (s *Session) DeploymentName() (string, error) {
	if s.Options.Deployment == "" {
		return "", errors.New("Expected non-empty deployment name: pass -d NAME or set BOSH_DEPLOYMENT")
	}
	s.UI.PrintLinef("Using deployment '%s'", s.Options.Deployment)
	return s.Options.Deployment, nil
}

// FollowTask prints a started task's events until it ends. A task that does
// not end done is returned as a *director.TaskError.
func (s *Session) FollowTask(ctx context.Context, client Director, task director.Task) (director.Task, error) {
	return s.followTask(ctx, client, task.ID, director.OutputEvent)
}

// followTask prints task id's output of one type: events decoded, other
// types as they are.
func (s *Session) followTask(ctx context.Context, client Director, id int, outputType string) (director.Task, error) {
	s.reporter.Started(id)
	final, err := client.FollowTask(ctx, id, outputType, func(line []byte) error {
		if outputType != director.OutputEvent {
			s.reporter.Chunk(id, string(line)+"\n")
			return nil
		}
		var ev director.TaskEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("decoding event of task %d %q: %w", id, line, err)
		}
		s.reporter.Event(id, ev)
		return nil
	})
	if final.State != "" && !final.IsRunning() {
		s.reporter.Finished(id, final.State)
	}
	return final, err
}

// currentTaskID finds the task this run started last, by the context id
// every task of this run carries.
func (s *Session) currentTaskID(ctx context.Context, client Director) (int, error) {
	tasks, err := client.Tasks(ctx, director.TaskFilter{ContextID: s.contextID, Limit: 1, Verbose: 2})
	if err != nil {
		return 0, fmt.Errorf("finding the task just started: %w", err)
	}
	if len(tasks) == 0 {
		return 0, fmt.Errorf("finding the task just started: the director lists no task with context id %s", s.contextID)
	}
	return tasks[0].ID, nil
}

// ReadInput reads a file a command is given, or standard input for "-".
func (s *Session) ReadInput(path string) ([]byte, error) {
	if path == "-" {
		data, err := io.ReadAll(s.Deps.Stdin)
		if err != nil {
			return nil, fmt.Errorf("reading standard input: %w", err)
		}
		return data, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}
