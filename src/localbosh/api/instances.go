package api

import (
	"context"
	"net/http"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

func (s *Server) routeInstances(mux *http.ServeMux) {
	mux.Handle("GET /deployments/{deployment}/instances", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.listInstances(w, r, false)
	}))
	mux.Handle("GET /deployments/{deployment}/vms", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return s.listInstances(w, r, true)
	}))
}

// listInstances answers /instances (every instance) and /vms (instances with
// a VM). With format=full it starts a "retrieve vm-stats" task whose result
// output holds one director.Instance line each, as the director does; such
// tasks do not wait for a deploy of the same deployment to finish. Without
// it, it answers a short list at once.
func (s *Server) listInstances(w http.ResponseWriter, r *http.Request, vmsOnly bool) error {
	name, err := s.existingDeployment(r)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("format") != "full" {
		instances, err := s.backend.Instances(r.Context(), discardLog{}, name)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, summarize(instances, vmsOnly))
	}
	return s.startTask(w, r, taskSpec{
		kind: kindVMs, description: "retrieve vm-stats", deployment: name,
		run: func(ctx context.Context, out *taskOutput) (string, error) {
			instances, err := s.backend.Instances(ctx, out, name)
			if err != nil {
				return "", err
			}
			for _, inst := range instances {
				if vmsOnly && inst.VMCID == "" {
					continue
				}
				if err := out.result(inst); err != nil {
					return "", err
				}
			}
			return "", nil
		},
	})
}

func summarize(instances []director.Instance, vmsOnly bool) []director.InstanceSummary {
	out := []director.InstanceSummary{}
	for _, inst := range instances {
		hasVM := inst.VMCID != ""
		if vmsOnly && !hasVM {
			continue
		}
		sum := director.InstanceSummary{Job: inst.JobName, Index: inst.Index, ID: inst.ID}
		if hasVM {
			cid, agent := inst.VMCID, inst.AgentID
			sum.CID, sum.AgentID = &cid, &agent
		}
		if !vmsOnly {
			sum.ExpectsVM = &hasVM
		}
		out = append(out, sum)
	}
	return out
}

// discardLog is the TaskLog of backend calls made outside a task.
type discardLog struct{}

func (discardLog) Event(director.TaskEvent) {}
func (discardLog) Warning(string)           {}
func (discardLog) Debugf(string, ...any)    {}
func (discardLog) Checkpoint() error        { return nil }
