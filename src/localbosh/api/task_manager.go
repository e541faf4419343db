package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
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
	kindUpdateStemcell   = "update_stemcell"
	kindRunErrand        = "run_errand"
	kindVMs              = "vms"
	kindCloudCheckScan   = "cck_scan"
	kindCloudCheckApply  = "cck_apply"
	// kindCloudCheckScanAndFix is the resurrector's task.
	kindCloudCheckScanAndFix = "cck_scan_and_fix"
	kindDeleteOrphanDisks    = "delete_orphan_disks"
	kindAttachDisk           = "attach_disk"
)

var listedByDefault = []string{kindUpdateDeployment, kindDeleteDeployment, kindUpdateRelease, kindUpdateStemcell, kindRunErrand,
	kindCloudCheckScan, kindCloudCheckApply, kindCloudCheckScanAndFix, kindDeleteOrphanDisks, kindAttachDisk}

// DefaultLockTimeout is how long a task waits for its deployment's lock
// held by another task before it fails, as the director's deployment lock.
const DefaultLockTimeout = 10 * time.Second

// cancelledResult is the result of a cancelled task, as the director's.
const cancelledResult = "task cancelled"

// taskSpec describes a task to start.
type taskSpec struct {
	kind        string
	description string
	// deployment is shown on the task. With exclusive set, the task takes
	// the deployment's lock ("lock:deployment:<name>") when it starts,
	// waiting up to the lock timeout for a task holding it, and fails as
	// the director's task does when the lock stays taken.
	deployment string
	exclusive  bool
	// lockTimeout overrides the task manager's lock timeout (0: the
	// manager's); a negative one fails at once, as the director's cloud
	// check scan does, with lockFailure as its message when set.
	lockTimeout time.Duration
	lockFailure string
	user        string
	contextID   string
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

	lockTimeout time.Duration

	mu     sync.Mutex
	tasks  map[int]*storedTask
	nextID int
	// pending counts, per deployment, the exclusive tasks queued or running.
	pending map[string]int
	// locks holds, per deployment, the lock an exclusive task holds;
	// released is closed (and replaced) whenever a lock is released.
	locks    map[string]heldLock
	released chan struct{}
	// cancels holds the cancellation of every unfinished task.
	cancels map[int]*cancellation
	ctx     context.Context
	wg      sync.WaitGroup
}

// heldLock is a deployment lock and the task holding it.
type heldLock struct {
	taskID  int
	uid     string
	expires time.Time
}

// lockExpiry is how far ahead a held lock's expiry is reported; the lock is
// renewed as long as its task runs, so GET /locks shows it in the future.
const lockExpiry = 60 * time.Second

// openTaskManager loads the tasks under dir and marks those that were
// unfinished when the previous server stopped as failed.
func openTaskManager(dir string, logger *slog.Logger, now func() time.Time) (*taskManager, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating task directory: %w", err)
	}
	m := &taskManager{dir: dir, logger: logger, now: now, lockTimeout: DefaultLockTimeout, tasks: map[int]*storedTask{}, nextID: 1,
		pending: map[string]int{}, locks: map[string]heldLock{}, released: make(chan struct{}), cancels: map[int]*cancellation{}}
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

	if spec.exclusive {
		m.pending[spec.deployment]++
	}
	c := newCancellation()
	m.cancels[id] = c
	m.wg.Add(1)
	go m.run(m.ctx, st.Task, spec, c)
	return st.Task, nil
}

func (m *taskManager) run(ctx context.Context, task director.Task, spec taskSpec, c *cancellation) {
	defer m.wg.Done()
	defer m.finished(task.ID, spec)
	if err := m.update(task.ID, func(t *director.Task) {
		if t.State == director.StateCancelling {
			return // cancelled while queued: the checkpoint below ends it
		}
		t.State = director.StateProcessing
		t.StartedAt = m.now().Unix()
	}); err != nil {
		m.logger.Error("task not started", "task", task.ID, "error", err.Error())
		return
	}
	out := newTaskOutput(task.ID, m.taskDir(task.ID), m.logger, m.now)
	out.cancel = c
	defer out.close()
	out.Debugf("starting task %d: %s", task.ID, task.Description)

	var result string
	err := out.Checkpoint() // cancelled while queued?
	if err == nil && spec.exclusive {
		err = m.lock(ctx, task.ID, spec, c)
		if err == nil {
			defer m.unlock(spec.deployment, task.ID)
		}
	}
	if err == nil {
		result, err = runRecovering(ctx, spec.run, out)
	}
	if err != nil && ctx.Err() != nil {
		out.Debugf("stopped by director shutdown: %v", err)
		return
	}
	state := director.StateDone
	switch {
	case err != nil && c.requested():
		state, result = director.StateCancelled, cancelledResult
		out.Debugf("task %d cancelled (%v)", task.ID, err)
	case err != nil:
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

// busy reports whether an exclusive task of the deployment is queued or running.
func (m *taskManager) busy(deployment string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pending[deployment] > 0
}

// finished forgets a task that returned.
func (m *taskManager) finished(id int, spec taskSpec) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.cancels, id)
	if spec.exclusive {
		if m.pending[spec.deployment]--; m.pending[spec.deployment] <= 0 {
			delete(m.pending, spec.deployment)
		}
	}
}

// lock takes the deployment's lock for task id, waiting for the task
// holding it up to the lock timeout; then it fails as the director's lock
// does, naming the task that holds it. A cancel ends the wait.
func (m *taskManager) lock(ctx context.Context, id int, spec taskSpec, c *cancellation) error {
	timeout := cmp.Or(spec.lockTimeout, m.lockTimeout)
	deadline := time.NewTimer(max(timeout, 0))
	defer deadline.Stop()
	name := "lock:deployment:" + spec.deployment
	uid := newUUID()
	for {
		m.mu.Lock()
		held, taken := m.locks[spec.deployment]
		if !taken {
			m.locks[spec.deployment] = heldLock{taskID: id, uid: uid, expires: m.now().Add(lockExpiry)}
			m.mu.Unlock()
			return nil
		}
		released := m.released
		holder := m.tasks[held.taskID]
		m.mu.Unlock()
		if timeout < 0 {
			if spec.lockFailure != "" {
				return errors.New(spec.lockFailure)
			}
			return lockTimeoutError(name, uid, holder)
		}
		select {
		case <-released:
		case <-deadline.C:
			return lockTimeoutError(name, uid, holder)
		case <-c.done:
			return errTaskCancelled
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func lockTimeoutError(name, uid string, holder *storedTask) error {
	message := "Lock is gone"
	if holder != nil {
		message = fmt.Sprintf("Locking task id is %d, description: '%s'", holder.Task.ID, holder.Task.Description)
	}
	return director.NewError(http.StatusInternalServerError, director.CodeDirectorError, "Failed to acquire lock for %s uid: %s. %s", name, uid, message)
}

// unlock releases the deployment's lock task id holds.
func (m *taskManager) unlock(deployment string, id int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locks[deployment].taskID == id {
		delete(m.locks, deployment)
		close(m.released)
		m.released = make(chan struct{})
	}
}

// locked reports whether a task holds the deployment's lock.
func (m *taskManager) locked(deployment string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.locks[deployment]
	return ok
}

// heldLocks lists the deployment locks held now, for GET /locks.
func (m *taskManager) heldLocks() []director.Lock {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []director.Lock{}
	for _, dep := range slices.Sorted(maps.Keys(m.locks)) {
		held := m.locks[dep]
		expires := m.now().Add(lockExpiry)
		out = append(out, director.Lock{Type: "deployment", Resource: []string{dep},
			Timeout: fmt.Sprintf("%d.%06d", expires.Unix(), expires.Nanosecond()/1000), TaskID: strconv.Itoa(held.taskID)})
	}
	return out
}

// cancel asks a queued or running task to stop at its next checkpoint, as
// the director does: the task is "cancelling" until it stops, then
// "cancelled". Other states are the director's 400.
func (m *taskManager) cancel(id int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.tasks[id]
	if !ok {
		return director.NewError(http.StatusNotFound, director.CodeTaskNotFound, "Task %d not found", id)
	}
	c := m.cancels[id]
	if c == nil || (st.Task.State != director.StateQueued && st.Task.State != director.StateProcessing) {
		return director.NewError(http.StatusBadRequest, director.CodeTaskUnexpectedState, "Cannot cancel task %d: invalid state (%s)", id, st.Task.State)
	}
	st.Task.State = director.StateCancelling
	if err := m.save(st); err != nil {
		return err
	}
	c.request()
	return nil
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

// kind is a task's type ("update_deployment", ...), empty if unknown.
func (m *taskManager) kind(id int) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if st, ok := m.tasks[id]; ok {
		return st.Kind
	}
	return ""
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

// errTaskCancelled is what a checkpoint of a cancelled task returns.
var errTaskCancelled = director.NewError(http.StatusOK, director.CodeTaskCancelled, "Task cancelled")

// ErrTaskCancelled reports whether err comes from a checkpoint of a
// cancelled task (TaskLog.Checkpoint).
func ErrTaskCancelled(err error) bool { return errors.Is(err, errTaskCancelled) }

// cancellation is a task's cancel request, closed once asked.
type cancellation struct {
	once sync.Once
	done chan struct{}
}

func newCancellation() *cancellation { return &cancellation{done: make(chan struct{})} }

func (c *cancellation) request() { c.once.Do(func() { close(c.done) }) }

func (c *cancellation) requested() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}
