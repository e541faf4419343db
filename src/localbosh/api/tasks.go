package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

func (s *Server) routeTasks(mux *http.ServeMux) {
	mux.Handle("GET /tasks", s.handle(s.listTasks))
	mux.Handle("GET /tasks/{id}", s.handle(s.getTask))
	mux.Handle("GET /tasks/{id}/output", s.handle(s.serveTaskOutput))
	mux.Handle("DELETE /task/{id}", s.handle(s.cancelTask))
	mux.Handle("POST /tasks/cancel", s.handle(s.cancelTasks))
	mux.Handle("GET /locks", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return writeJSON(w, http.StatusOK, s.tasks.heldLocks())
	}))
}

// cancelTask is DELETE /task/:id (bosh cancel-task): 204, the task is
// cancelling until its next checkpoint; a finished task is a 400.
func (s *Server) cancelTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.tasks.cancel(id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// cancellableStates are the states POST /tasks/cancel may select.
var cancellableStates = []string{director.StateQueued, director.StateProcessing}

// cancelTasks is POST /tasks/cancel (bosh cancel-tasks): every task of
// the given types, states (queued, processing; both when none) and
// deployment is asked to cancel; 204.
func (s *Server) cancelTasks(w http.ResponseWriter, r *http.Request) error {
	var selector struct {
		Deployment string   `json:"deployment"`
		States     []string `json:"states"`
		Types      []string `json:"types"`
	}
	if err := decodeJSON(r, &selector); err != nil {
		return err
	}
	for _, state := range selector.States {
		if !slices.Contains(cancellableStates, state) {
			return badRequest(director.CodeValidationInvalidValue, "%s is not one of the cancellable states: %s", state, strings.Join(cancellableStates, ", "))
		}
	}
	if len(selector.States) == 0 {
		selector.States = cancellableStates
	}
	for _, task := range s.tasks.list(director.TaskFilter{States: selector.States, Deployment: selector.Deployment, Verbose: 2}) {
		if len(selector.Types) > 0 && !slices.Contains(selector.Types, s.tasks.kind(task.ID)) {
			continue
		}
		if err := s.tasks.cancel(task.ID); err != nil {
			s.logger.Info("task not cancelled", "task", task.ID, "error", err.Error())
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	filter := director.TaskFilter{Deployment: q.Get("deployment"), ContextID: q.Get("context_id"), Verbose: 1}
	if states := q.Get("state"); states != "" {
		filter.States = strings.Split(states, ",")
	}
	if v := q.Get("verbose"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return badRequest(director.CodeValidationInvalidValue, "verbose %q must be 1 or 2", v)
		}
		filter.Verbose = n
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			return badRequest(director.CodeValidationInvalidValue, "limit %q must be a number", l)
		}
		filter.Limit = max(n, 1)
	}
	return writeJSON(w, http.StatusOK, nonNil(s.tasks.list(filter)))
}

func (s *Server) getTask(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	task, err := s.tasks.get(id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, task)
}
