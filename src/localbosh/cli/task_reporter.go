package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// taskReporter prints director tasks as the bosh CLI does:
//
//	Task 12
//
//	Task 12 | 10:01:02 | Preparing deployment: Preparing deployment (00:00:01)
//	Task 12 | 10:01:03 | Updating instance etcd: etcd/0 (canary) (00:00:12)
//	                   L Error: ...
//
//	Task 12 Started  Mon Jan  2 10:01:02 UTC 2006
//	Task 12 Finished Mon Jan  2 10:01:15 UTC 2006
//	Task 12 Duration 00:00:13
//	Task 12 done
//
// An item's finish is appended to its start line when nothing came between
// them, else printed on a line of its own. Raw outputs (debug, result) are
// printed as they come.
type taskReporter struct {
	ui UI

	events map[int][]director.TaskEvent // events kept per task, for durations
	last   *director.TaskEvent          // last event kept, of any task
	marker taskMarker                   // what was printed last
}

type taskMarker struct {
	id   int
	kind int
}

const (
	markerNone = iota
	markerStarted
	markerOutput
	markerEnded
)

// Time layouts of the bosh CLI's task output.
const (
	eventTimeLayout = "15:04:05"
	fullTimeLayout  = time.UnixDate
)

func newTaskReporter(ui UI) *taskReporter {
	return &taskReporter{ui: ui, events: map[int][]director.TaskEvent{}}
}

// Started prints "Task <id>".
func (r *taskReporter) Started(id int) {
	if r.marker.kind == markerStarted {
		r.ui.EndLinef("")
	}
	r.marker = taskMarker{id: id, kind: markerStarted}
	r.events[id] = nil
	r.ui.BeginLinef("Task %d", id)
}

// Event prints one event of task id.
func (r *taskReporter) Event(id int, ev director.TaskEvent) {
	r.beginOutput(id, true)
	defer func() { r.marker = taskMarker{id: id, kind: markerOutput} }()

	start := r.startOf(id, ev)
	if r.last != nil && sameItem(*r.last, ev) {
		// The item's finish right after its start: complete the start line.
		switch ev.State {
		case director.EventFinished:
			r.ui.PrintBlock(fmt.Sprintf(" (%s)", durationSince(start, ev)))
		case director.EventFailed:
			r.ui.PrintBlock(fmt.Sprintf(" (%s)", durationSince(start, ev)))
			r.ui.PrintErrorBlock(itemError(id, ev))
		}
		r.keep(id, ev)
		return
	}
	if r.last != nil && ev.State != director.EventInProgress && (ev.Type == "deprecation" || ev.Error != nil) {
		r.ui.PrintBlock("\n")
	}
	prefix := fmt.Sprintf("\nTask %d | %s | ", id, eventTime(ev).Format(eventTimeLayout))
	desc := ev.Stage
	if len(ev.Tags) > 0 {
		desc += " " + strings.Join(ev.Tags, ", ")
	}
	switch {
	case ev.Type == "deprecation":
		r.ui.PrintBlock(prefix)
		r.ui.PrintErrorBlock("Deprecation: " + ev.Message)
	case ev.Type == "warning":
		r.ui.PrintBlock(prefix)
		r.ui.PrintErrorBlock("Warning: " + ev.Message)
	case ev.State == director.EventStarted:
		r.ui.PrintBlock(prefix + fmt.Sprintf("%s: %s", desc, ev.Task))
	case ev.State == director.EventFinished:
		r.ui.PrintBlock(prefix + fmt.Sprintf("%s: %s (%s)", desc, ev.Task, durationSince(start, ev)))
	case ev.State == director.EventFailed:
		r.ui.PrintBlock(prefix + fmt.Sprintf("%s: %s (%s)", desc, ev.Task, durationSince(start, ev)))
		r.ui.PrintErrorBlock(itemError(id, ev))
	case ev.Error != nil:
		r.ui.PrintBlock(prefix)
		r.ui.PrintErrorBlock("Error: " + ev.Error.Message)
	}
	r.keep(id, ev)
}

// Chunk prints raw output of task id.
func (r *taskReporter) Chunk(id int, chunk string) {
	r.beginOutput(id, false)
	r.marker = taskMarker{id: id, kind: markerOutput}
	r.ui.PrintBlock(chunk)
}

// Finished prints the task's times and final state.
func (r *taskReporter) Finished(id int, state string) {
	if events := r.events[id]; len(events) > 0 {
		first, last := events[0], events[len(events)-1]
		// The event lines do not end in a newline: end the last one here, a
		// block, so that piped output (which drops lines) ends it too.
		r.ui.PrintBlock("\n")
		r.ui.BeginLinef("\nTask %d Started  %s\nTask %d Finished %s\nTask %d Duration %s",
			id, eventTime(first).Format(fullTimeLayout), id, eventTime(last).Format(fullTimeLayout),
			id, formatDuration(eventTime(last).Sub(eventTime(first))))
	}
	if r.marker == (taskMarker{id: id, kind: markerStarted}) {
		r.ui.EndLinef(". %s", capitalize(state))
	} else {
		r.ui.BeginLinef("\nTask %d %s\n", id, state)
	}
	r.marker = taskMarker{id: id, kind: markerEnded}
}

// beginOutput separates the first output of a task from its "Task N" line.
func (r *taskReporter) beginOutput(id int, events bool) {
	if r.marker != (taskMarker{id: id, kind: markerStarted}) {
		return
	}
	r.ui.BeginLinef("\n")
	if !events {
		r.ui.BeginLinef("\n")
	}
}

// keep records ev for durations and for joining a finish to its start;
// progress events are not kept.
func (r *taskReporter) keep(id int, ev director.TaskEvent) {
	if ev.State == director.EventInProgress {
		return
	}
	r.events[id] = append(r.events[id], ev)
	r.last = &ev
}

// startOf finds the started event of ev's item, if ev ends an item.
func (r *taskReporter) startOf(id int, ev director.TaskEvent) *director.TaskEvent {
	for i := range r.events[id] {
		if sameItem(r.events[id][i], ev) {
			return &r.events[id][i]
		}
	}
	return nil
}

// sameItem reports whether two events are about the same item of a stage.
func sameItem(a, b director.TaskEvent) bool {
	return a.Stage != "" && a.Stage == b.Stage && slices.Equal(a.Tags, b.Tags) && a.Task == b.Task
}

// itemError is the "L Error:" line under a failed item, indented to sit
// under the item's text.
func itemError(id int, ev director.TaskEvent) string {
	msg := ""
	if ev.Data != nil {
		msg = ev.Data.Error
	}
	indent := strings.Repeat(" ", len("Task ")+len(strconv.Itoa(id))+len(" | 15:04:05 |")-1)
	return "\n" + indent + "L Error: " + msg
}

func eventTime(ev director.TaskEvent) time.Time { return time.Unix(ev.Time, 0).UTC() }

func durationSince(start *director.TaskEvent, ev director.TaskEvent) string {
	if start == nil {
		return ""
	}
	return formatDuration(eventTime(ev).Sub(eventTime(*start)))
}

// formatDuration prints whole hours, minutes and seconds: "00:01:05".
func formatDuration(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s%3600/60, s%60)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
