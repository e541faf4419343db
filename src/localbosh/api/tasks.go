package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

func (s *Server) routeTasks(mux *http.ServeMux) {
	mux.Handle("GET /tasks", s.handle(s.listTasks))
	mux.Handle("GET /tasks/{id}", s.handle(s.getTask))
	mux.Handle("GET /tasks/{id}/output", s.handle(s.serveTaskOutput))
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
