package testdirector

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// TaskRun is a finished task with the events it wrote.
type TaskRun struct {
	Task   director.Task
	Events []director.TaskEvent
}

// Succeeded reports whether the task ended done.
func (r TaskRun) Succeeded() bool { return r.Task.Succeeded() }

// Err is nil for a task that ended done, else an error with its state,
// result and the items that failed, for assertion messages.
func (r TaskRun) Err() error {
	if r.Succeeded() {
		return nil
	}
	var failed []string
	for _, e := range r.Events {
		if e.State == director.EventFailed && e.Data != nil {
			failed = append(failed, fmt.Sprintf("%s %s: %s", e.Stage, e.Task, e.Data.Error))
		}
	}
	msg := fmt.Sprintf("task %d (%s) ended %s: %s", r.Task.ID, r.Task.Description, r.Task.State, r.Task.Result)
	if len(failed) > 0 {
		msg += "\nfailed items:\n  " + strings.Join(failed, "\n  ")
	}
	return errors.New(msg)
}

// Failure is the message of the task's error event, or "".
func (r TaskRun) Failure() string {
	for _, e := range r.Events {
		if e.Error != nil {
			return e.Error.Message
		}
	}
	return ""
}

// Started lists the items of a stage in the order they started, as
// "Updating instance" items read: "logger/<id> (0) (canary)".
func (r TaskRun) Started(stage string) []string {
	var items []string
	for _, e := range r.Events {
		if e.Stage == stage && e.State == director.EventStarted {
			items = append(items, e.Task)
		}
	}
	return items
}

// Wait follows a task to its end, collecting its events. A task that ends
// in error is a TaskRun, not an error; err is for failing to follow it.
func (d *Director) Wait(ctx context.Context, task director.Task) (TaskRun, error) {
	run := TaskRun{Task: task}
	final, err := d.client.WaitTask(ctx, task.ID, func(e director.TaskEvent) { run.Events = append(run.Events, e) })
	run.Task = final
	var taskErr *director.TaskError
	if err != nil && !errors.As(err, &taskErr) {
		return run, err
	}
	return run, nil
}

// Deploy deploys a manifest and waits for the task. A manifest the
// director rejects before starting a task is an error (a *director.Error).
func (d *Director) Deploy(ctx context.Context, manifest []byte, opts director.DeployOptions) (TaskRun, error) {
	task, err := d.client.Deploy(ctx, manifest, opts)
	if err != nil {
		return TaskRun{}, err
	}
	return d.Wait(ctx, task)
}

// DeployDoc deploys a manifest given as a document (maps and lists) that
// marshals to YAML.
func (d *Director) DeployDoc(ctx context.Context, doc any, opts director.DeployOptions) (TaskRun, error) {
	manifest, err := yaml.Marshal(doc)
	if err != nil {
		return TaskRun{}, fmt.Errorf("marshalling the manifest: %w", err)
	}
	return d.Deploy(ctx, manifest, opts)
}

// DeleteDeployment deletes a deployment and waits for the task.
func (d *Director) DeleteDeployment(ctx context.Context, name string, force bool) (TaskRun, error) {
	task, err := d.client.DeleteDeployment(ctx, name, force)
	if err != nil {
		return TaskRun{}, err
	}
	return d.Wait(ctx, task)
}

// ChangeJobState starts, stops, restarts or recreates a group's instances
// (or one, by id or index) and waits for the task.
func (d *Director) ChangeJobState(ctx context.Context, deployment, group, id, state string) (TaskRun, error) {
	task, err := d.client.ChangeJobState(ctx, deployment, group, id, director.JobStateOptions{State: state})
	if err != nil {
		return TaskRun{}, err
	}
	return d.Wait(ctx, task)
}
