package director

import "encoding/json"

// Event states of a stage item.
const (
	EventStarted    = "started"
	EventInProgress = "in_progress"
	EventFinished   = "finished"
	EventFailed     = "failed"
)

// TaskEvent is one line of a task's event output. It is one of three shapes:
// a stage event (Stage, Tags, Total, Task, Index, State, Progress, Data), a
// task failure (Error set) or a message (Type "warning" or "deprecation").
type TaskEvent struct {
	Time int64 `json:"time"`

	Stage    string          `json:"stage,omitempty"`
	Tags     []string        `json:"tags,omitempty"`
	Total    int             `json:"total,omitempty"`
	Task     string          `json:"task,omitempty"`
	Index    int             `json:"index,omitempty"`
	State    string          `json:"state,omitempty"`
	Progress int             `json:"progress,omitempty"`
	Data     *TaskEventData  `json:"data,omitempty"`
	Error    *TaskEventError `json:"error,omitempty"`

	Type    string `json:"type,omitempty"`
	Message string `json:"message,omitempty"`
}

// TaskEventData carries a status note, or the error of a failed item.
type TaskEventData struct {
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// TaskEventError is the last event of a failed task.
type TaskEventError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// stageEventJSON is a stage event with every field present, as the director
// writes them (tags [] and progress 0 included).
type stageEventJSON struct {
	Time     int64          `json:"time"`
	Stage    string         `json:"stage"`
	Tags     []string       `json:"tags"`
	Total    int            `json:"total"`
	Task     string         `json:"task"`
	Index    int            `json:"index"`
	State    string         `json:"state"`
	Progress int            `json:"progress"`
	Data     *TaskEventData `json:"data,omitempty"`
}

// MarshalJSON writes the shape that matches the event's kind.
func (e TaskEvent) MarshalJSON() ([]byte, error) {
	switch {
	case e.Error != nil:
		return json.Marshal(struct {
			Time  int64           `json:"time"`
			Error *TaskEventError `json:"error"`
		}{e.Time, e.Error})
	case e.Type != "":
		return json.Marshal(struct {
			Time    int64  `json:"time"`
			Type    string `json:"type"`
			Message string `json:"message"`
		}{e.Time, e.Type, e.Message})
	default:
		tags := e.Tags
		if tags == nil {
			tags = []string{}
		}
		return json.Marshal(stageEventJSON{
			Time: e.Time, Stage: e.Stage, Tags: tags, Total: e.Total, Task: e.Task,
			Index: e.Index, State: e.State, Progress: e.Progress, Data: e.Data,
		})
	}
}
