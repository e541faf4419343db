package api

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// taskOutput appends to the output files of one task (event, result, debug
// under the task's directory). Each line is one write under the mutex, so a
// reader never sees half a line it cannot tell apart from a whole one: the
// output handler serves up to the last newline only.
type taskOutput struct {
	id     int
	dir    string
	logger *slog.Logger
	now    func() time.Time

	// cancel is the task's cancel request (nil: never cancelled).
	cancel *cancellation

	mu    sync.Mutex
	files map[string]*os.File
}

var _ TaskLog = (*taskOutput)(nil)

func newTaskOutput(id int, dir string, logger *slog.Logger, now func() time.Time) *taskOutput {
	return &taskOutput{id: id, dir: dir, logger: logger, now: now, files: map[string]*os.File{}}
}

func (o *taskOutput) Event(e director.TaskEvent) {
	if e.Time == 0 {
		e.Time = o.now().Unix()
	}
	o.logIfFailed(o.appendJSON(director.OutputEvent, e))
}

func (o *taskOutput) Warning(message string) {
	o.Event(director.TaskEvent{Type: "warning", Message: message})
}

func (o *taskOutput) Debugf(format string, args ...any) {
	msg := strings.TrimRight(fmt.Sprintf(format, args...), "\n")
	line := fmt.Sprintf("D, [%s] [task:%d] DEBUG -- localbosh: %s\n", o.now().UTC().Format("2006-01-02T15:04:05.000000Z"), o.id, msg)
	o.logIfFailed(o.append(director.OutputDebug, []byte(line)))
}

// Checkpoint returns the task-cancelled error once the task was asked to
// cancel, nil before.
func (o *taskOutput) Checkpoint() error {
	if o.cancel != nil && o.cancel.requested() {
		return errTaskCancelled
	}
	return nil
}

// result appends one JSON line to the result output.
func (o *taskOutput) result(v any) error {
	return o.appendJSON(director.OutputResult, v)
}

// fail appends the task failure line of the event output.
func (o *taskOutput) fail(code int, message string) {
	o.Event(director.TaskEvent{Error: &director.TaskEventError{Code: code, Message: message}})
}

func (o *taskOutput) appendJSON(outputType string, v any) error {
	line, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s line of task %d: %w", outputType, o.id, err)
	}
	return o.append(outputType, append(line, '\n'))
}

func (o *taskOutput) append(outputType string, line []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	f, ok := o.files[outputType]
	if !ok {
		var err error
		f, err = os.OpenFile(filepath.Join(o.dir, outputType), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("opening %s output of task %d: %w", outputType, o.id, err)
		}
		o.files[outputType] = f
	}
	if _, err := f.Write(line); err != nil {
		return fmt.Errorf("writing %s output of task %d (is %s full?): %w", outputType, o.id, o.dir, err)
	}
	return nil
}

func (o *taskOutput) logIfFailed(err error) {
	if err != nil {
		o.logger.Error("task output lost", "task", o.id, "error", err.Error())
	}
}

// close closes the output files; later writes reopen them.
func (o *taskOutput) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for name, f := range o.files {
		o.logIfFailed(f.Close())
		delete(o.files, name)
	}
}
