package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// restartedResult is the result of a task that was queued or running when
// the server stopped.
const restartedResult = "director restarted while the task was running"

// Task kinds, as the director types its tasks. GET /tasks without verbose=2
// lists only the kinds in listedByDefault.
const (
	kindUpdateDeployment = "update_deployment"
	kindDeleteDeployment = "delete_deployment"
	kindUpdateRelease    = "update_release"
	kindRunErrand        = "run_errand"
	kindVMs              = "vms"
)

var listedByDefault = []string{kindUpdateDeployment, kindDeleteDeployment, kindUpdateRelease, kindRunErrand}

// taskSpec describes a task to start.
type taskSpec struct {
	kind        string
	description string
	// deployment is shown on the task. With exclusive set, the task waits
	// until earlier exclusive tasks of the same deployment have finished.
	deployment string
	exclusive  bool
	user       string
	contextID  string
	// run is the task body: it returns the task result, or an error.
	run func(ctx context.Context, out *taskOutput) (string, error)
}

// storedTask is the task.json file of a task directory.
type storedTask struct {
	Task director.Task `json:"task"`
	Kind string        `json:"kind"`
}

// taskManager numbers, queues, runs and persists tasks under dir/<id>/.
type taskManager struct {
	dir    string
	logger *slog.Logger
	now    func() time.Time

	mu     sync.Mutex
	tasks  map[int]*storedTask
	nextID int
	// tails holds, per deployment, the done channel of the exclusive task
	// queued last; the next one waits for it, which keeps them in order.
	tails map[string]chan struct{}
	ctx   context.Context
	wg    sync.WaitGroup
}

// openTaskManager loads the tasks under dir and marks those that were
// unfinished when the previous server stopped as failed.
func openTaskManager(dir string, logger *slog.Logger, now func() time.Time) (*taskManager, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating task directory: %w", err)
	}
	m := &taskManager{dir: dir, logger: logger, now: now, tasks: map[int]*storedTask{}, nextID: 1, tails: map[string]chan struct{}{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading task directory: %w", err)
	}
	for _, e := range entries {
		id, err := strconv.Atoi(e.Name())
		if err != nil || !e.IsDir() {
			continue
		}
		st, err := m.load(id)
		if err != nil {
			return nil, err
		}
		m.tasks[id] = st
		m.nextID = max(m.nextID, id+1)
		if st.Task.IsRunning() {
			if err := m.failInterrupted(st); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *taskManager) taskDir(id int) string { return filepath.Join(m.dir, strconv.Itoa(id)) }

func (m *taskManager) load(id int) (*storedTask, error) {
	path := filepath.Join(m.taskDir(id), "task.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading task %d: %w (remove %s if the task is of no interest)", id, err, m.taskDir(id))
	}
	var st storedTask
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("decoding %s: %w (remove %s if the task is of no interest)", path, err, m.taskDir(id))
	}
	return &st, nil
}

func (m *taskManager) failInterrupted(st *storedTask) error {
	out := newTaskOutput(st.Task.ID, m.taskDir(st.Task.ID), m.logger, m.now)
	out.fail(director.CodeDirectorError, restartedResult)
	out.close()
	st.Task.State = director.StateError
	st.Task.Result = restartedResult
	st.Task.Timestamp = m.now().Unix()
	return m.save(st)
}

// save writes task.json atomically, so a crash never leaves half a file.
func (m *taskManager) save(st *storedTask) error {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encoding task %d: %w", st.Task.ID, err)
	}
	dir := m.taskDir(st.Task.ID)
	tmp := filepath.Join(dir, "task.json.tmp")
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("saving task %d: %w", st.Task.ID, err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "task.json")); err != nil {
		return fmt.Errorf("saving task %d: %w", st.Task.ID, err)
	}
	return nil
}

// begin lets tasks run until ctx is done. Tasks cut short by ctx keep their
// unfinished state on disk; the next openTaskManager fails them.
func (m *taskManager) begin(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ctx = ctx
}

// wait returns when every task goroutine has returned.
func (m *taskManager) wait() { m.wg.Wait() }

// start records a queued task and runs it in the background.
func (m *taskManager) start(spec taskSpec) (director.Task, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ctx == nil || m.ctx.Err() != nil {
		return director.Task{}, director.NewError(http.StatusServiceUnavailable, director.CodeSystemError, "the director is stopping: retry once it is back")
	}
	id := m.nextID
	if err := os.Mkdir(m.taskDir(id), 0o700); err != nil {
		return director.Task{}, fmt.Errorf("creating directory of task %d: %w", id, err)
	}
	m.nextID++
	st := &storedTask{Kind: spec.kind, Task: director.Task{
		ID: id, State: director.StateQueued, Description: spec.description,
		User: spec.user, Deployment: spec.deployment, ContextID: spec.contextID,
	}}
	if err := m.save(st); err != nil {
		return director.Task{}, err
	}
	m.tasks[id] = st

	var prev chan struct{}
	done := make(chan struct{})
	if spec.exclusive {
		prev = m.tails[spec.deployment]
		m.tails[spec.deployment] = done
	}
	m.wg.Add(1)
	go m.run(m.ctx, st.Task, spec, prev, done)
	return st.Task, nil
}

func (m *taskManager) run(ctx context.Context, task director.Task, spec taskSpec, prev, done chan struct{}) {
	defer m.wg.Done()
	defer m.release(spec.deployment, done)
	if prev != nil {
		select {
		case <-prev:
		case <-ctx.Done():
			return
		}
	}
	if err := m.update(task.ID, func(t *director.Task) {
		t.State = director.StateProcessing
		t.StartedAt = m.now().Unix()
	}); err != nil {
		m.logger.Error("task not started", "task", task.ID, "error", err.Error())
		return
	}
	out := newTaskOutput(task.ID, m.taskDir(task.ID), m.logger, m.now)
	defer out.close()
	out.Debugf("starting task %d: %s", task.ID, task.Description)

	result, err := runRecovering(ctx, spec.run, out)
	if err != nil && ctx.Err() != nil {
		out.Debugf("stopped by director shutdown: %v", err)
		return
	}
	state := director.StateDone
	if err != nil {
		state = director.StateError
		code, message := errorCodeAndMessage(err)
		out.Debugf("task failed: %v", err)
		out.fail(code, message)
		result = message
	}
	if err := m.update(task.ID, func(t *director.Task) {
		t.State = state
		t.Result = result
		t.Timestamp = m.now().Unix()
	}); err != nil {
		m.logger.Error("task result lost", "task", task.ID, "error", err.Error())
	}
	m.logger.Info("task finished", "task", task.ID, "description", task.Description, "state", state, "result", result)
}

// runRecovering runs a task body, turning a panic into the task's failure
// so that one bug fails one task rather than the director.
func runRecovering(ctx context.Context, run func(context.Context, *taskOutput) (string, error), out *taskOutput) (result string, err error) {
	defer func() {
		if p := recover(); p != nil {
			out.Debugf("panic: %v\n%s", p, debug.Stack())
			err = fmt.Errorf("localbosh bug: the task panicked (%v); the stack is in the task's debug output", p)
		}
	}()
	return run(ctx, out)
}

// busy reports whether a task holding the deployment is queued or running.
func (m *taskManager) busy(deployment string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.tails[deployment]
	return ok
}

// release closes done and forgets it as the deployment's tail if no later task queued.
func (m *taskManager) release(deployment string, done chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	close(done)
	if m.tails[deployment] == done {
		delete(m.tails, deployment)
	}
}

func (m *taskManager) update(id int, change func(*director.Task)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.tasks[id]
	change(&st.Task)
	return m.save(st)
}

// get returns a task, or the director's TaskNotFound error.
func (m *taskManager) get(id int) (director.Task, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.tasks[id]
	if !ok {
		return director.Task{}, director.NewError(http.StatusNotFound, director.CodeTaskNotFound, "Task %d not found", id)
	}
	return st.Task, nil
}

// list returns the tasks matching filter, newest first.
func (m *taskManager) list(filter director.TaskFilter) []director.Task {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []director.Task
	for _, st := range m.tasks {
		t := st.Task
		switch {
		case len(filter.States) > 0 && !slices.Contains(filter.States, t.State):
		case filter.Deployment != "" && t.Deployment != filter.Deployment:
		case filter.ContextID != "" && t.ContextID != filter.ContextID:
		case filter.Verbose < 2 && !slices.Contains(listedByDefault, st.Kind):
		default:
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b director.Task) int { return cmp.Compare(b.ID, a.ID) })
	if filter.Limit > 0 && len(out) > filter.Limit {
		out = out[:filter.Limit]
	}
	return out
}

// errorCodeAndMessage is how a task failure is reported: with the code of
// the director error it wraps (else the generic code 100), and the
// description of a bare director error or the message of any other.
func errorCodeAndMessage(err error) (int, string) {
	if de, ok := err.(*director.Error); ok {
		return de.Code, de.Description
	}
	var de *director.Error
	if errors.As(err, &de) {
		return de.Code, err.Error()
	}
	return director.CodeDirectorError, err.Error()
}
