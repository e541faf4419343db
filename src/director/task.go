package director

import "encoding/json"

// Task states, as the director reports them. Only StateDone is a success.
const (
	StateQueued     = "queued"
	StateProcessing = "processing"
	StateCancelling = "cancelling"
	StateCancelled  = "cancelled"
	StateDone       = "done"
	StateError      = "error"
	StateTimeout    = "timeout"
)

// Task output types for GET /tasks/:id/output?type=.
const (
	OutputEvent  = "event"
	OutputResult = "result"
	OutputDebug  = "debug"
)

// Task is one director task (GET /tasks/:id). Zero Timestamp, StartedAt and
// Result travel as JSON null, as the director sends them while a task is
// queued or running; Deployment travels as null when empty.
type Task struct {
	ID          int    `json:"id"`
	State       string `json:"state"`
	Description string `json:"description"`
	// Timestamp is when the task finished (unix seconds), 0 while it runs.
	Timestamp int64 `json:"timestamp"`
	// StartedAt is when the task left the queue (unix seconds), 0 while queued.
	StartedAt  int64  `json:"started_at"`
	Result     string `json:"result"`
	User       string `json:"user"`
	Deployment string `json:"deployment"`
	ContextID  string `json:"context_id"`
}

// IsRunning reports whether the task has not reached a final state yet.
func (t Task) IsRunning() bool {
	return t.State == StateQueued || t.State == StateProcessing || t.State == StateCancelling
}

// Succeeded reports whether the task finished in the one success state, done.
func (t Task) Succeeded() bool { return t.State == StateDone }

// taskJSON is Task with the nullable fields as pointers.
type taskJSON struct {
	ID          int     `json:"id"`
	State       string  `json:"state"`
	Description string  `json:"description"`
	Timestamp   *int64  `json:"timestamp"`
	StartedAt   *int64  `json:"started_at"`
	Result      *string `json:"result"`
	User        string  `json:"user"`
	Deployment  *string `json:"deployment"`
	ContextID   string  `json:"context_id"`
}

// MarshalJSON writes null for the fields a running task does not have yet.
func (t Task) MarshalJSON() ([]byte, error) {
	out := taskJSON{ID: t.ID, State: t.State, Description: t.Description, User: t.User, ContextID: t.ContextID}
	if t.Timestamp != 0 {
		out.Timestamp = &t.Timestamp
	}
	if t.StartedAt != 0 {
		out.StartedAt = &t.StartedAt
	}
	if !t.IsRunning() {
		out.Result = &t.Result
	}
	if t.Deployment != "" {
		out.Deployment = &t.Deployment
	}
	return json.Marshal(out)
}

// TaskFilter selects tasks for GET /tasks. Zero values do not filter.
type TaskFilter struct {
	States     []string
	Deployment string
	ContextID  string
	Limit      int
	// Verbose 1 (the director's default) lists only deployment, release and
	// errand tasks; 2 lists every task.
	Verbose int
}

// Lock is one lock of GET /locks: a deployment's lock held by a task.
type Lock struct {
	Type     string   `json:"type"`
	Resource []string `json:"resource"`
	// Timeout is when the lock expires, unix seconds with microseconds ("1443889622.996411").
	Timeout string `json:"timeout"`
	TaskID  string `json:"task_id"`
}
