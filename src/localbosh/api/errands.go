package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

func (s *Server) routeErrands(mux *http.ServeMux) {
	mux.Handle("POST /deployments/{deployment}/errands/{errand}/runs", s.handle(s.runErrand))
	mux.Handle("GET /deployments/{deployment}/errands", s.handle(listOf(s, s.backend.Errands)))
	mux.Handle("GET /deployments/{deployment}/variables", s.handle(listOf(s, s.backend.Variables)))
}

// listOf answers a GET of a deployment's list (errands, variables) from
// the backend, [] when empty.
func listOf[T any](s *Server, list func(context.Context, string) ([]T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		name, err := s.existingDeployment(r)
		if err != nil {
			return err
		}
		items, err := list(r.Context(), name)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, nonNil(items))
	}
}

// runErrand starts a "run errand" task whose result output holds one
// director.ErrandResult line per instance, and whose result counts them.
func (s *Server) runErrand(w http.ResponseWriter, r *http.Request) error {
	errand, err := pathName(r, "errand", "errand name", boshname.Identifier)
	if err != nil {
		return err
	}
	name, err := s.existingDeployment(r)
	if err != nil {
		return err
	}
	req := ErrandRequest{Deployment: name, Errand: errand}
	if err := decodeJSON(r, &req.ErrandRequest); err != nil {
		return err
	}
	return s.startTask(w, r, taskSpec{
		kind: kindRunErrand, description: fmt.Sprintf("run errand %s from deployment %s", req.Errand, name),
		deployment: name, exclusive: true,
		run: func(ctx context.Context, out *taskOutput) (string, error) {
			results, runErr := s.backend.RunErrand(ctx, out, req)
			for _, res := range results {
				if err := out.result(res); err != nil {
					return "", err
				}
			}
			return director.ErrandSummary(results), runErr
		},
	})
}
