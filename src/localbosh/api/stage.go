package api

import (
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// Stage reports the items of one stage of a task ("Updating instance",
// "Compiling packages") in the event output, as the director does: each item
// gets a 1-based index in the order it starts, a started event (progress 0)
// and then a finished (100) or failed event carrying the error. Items may
// run concurrently.
type Stage struct {
	log   TaskLog
	name  string
	tags  []string
	total int

	mu   sync.Mutex
	next int
}

// NewStage starts reporting a stage of total items, tagged (usually with the
// instance group name).
func NewStage(log TaskLog, name string, tags []string, total int) *Stage {
	return &Stage{log: log, name: name, tags: tags, total: total}
}

// Run reports item as started, runs fn, and reports it finished or failed
// with fn's error, which it returns. A task asked to cancel runs no more
// items: Run returns the checkpoint's error.
func (s *Stage) Run(item string, fn func() error) error {
	if err := s.log.Checkpoint(); err != nil {
		return err
	}
	s.mu.Lock()
	s.next++
	index := s.next
	s.mu.Unlock()

	s.emit(item, index, director.EventStarted, 0, nil)
	err := fn()
	if err != nil {
		s.emit(item, index, director.EventFailed, 100, &director.TaskEventData{Error: err.Error()})
		return err
	}
	s.emit(item, index, director.EventFinished, 100, nil)
	return nil
}

func (s *Stage) emit(item string, index int, state string, progress int, data *director.TaskEventData) {
	s.log.Event(director.TaskEvent{
		Stage: s.name, Tags: s.tags, Total: s.total, Task: item,
		Index: index, State: state, Progress: progress, Data: data,
	})
}
