package api

import (
	"context"
	"net/http"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// allGroups is the group of PUT /deployments/:d/jobs/* (every instance).
const allGroups = "*"

var jobStates = []string{director.JobStarted, director.JobStopped, director.JobRestart, director.JobRecreate}

func (s *Server) routeJobs(mux *http.ServeMux) {
	mux.Handle("PUT /deployments/{deployment}/jobs/{group}", s.handle(s.changeJobState))
	mux.Handle("PUT /deployments/{deployment}/jobs/{group}/{instance}", s.handle(s.changeJobState))
}

// changeJobState starts, stops, restarts or recreates an instance group or
// one instance. The body is empty (keep the deployed manifest, as the bosh
// CLI's start/stop/restart/recreate send) or a manifest to deploy with it.
func (s *Server) changeJobState(w http.ResponseWriter, r *http.Request) error {
	group := r.PathValue("group")
	if group != allGroups {
		var err error
		if group, err = pathName(r, "group", "instance group name", boshname.Identifier); err != nil {
			return err
		}
	}
	instance := r.PathValue("instance")
	if instance != "" {
		var err error
		if instance, err = pathName(r, "instance", "instance id", boshname.Identifier); err != nil {
			return err
		}
	}
	name, err := s.existingDeployment(r)
	if err != nil {
		return err
	}
	state := r.URL.Query().Get("state")
	if !slices.Contains(jobStates, state) {
		return badRequest(director.CodeInvalidInstanceState, "state %q is not one of %v", state, jobStates)
	}
	manifest, err := readDocument(r)
	if err != nil {
		return err
	}
	req := JobStateRequest{
		Deployment: name, InstanceGroup: group, Instance: instance,
		State: state, SkipDrain: queryTrue(r, "skip_drain"), Fix: queryTrue(r, "fix"),
	}
	if len(manifest) > 0 {
		if _, err := manifestName(manifest); err != nil {
			return err
		}
		req.Manifest = manifest
		req.CloudConfigs, _ = s.latestConfigs()
	}
	return s.startTask(w, r, taskSpec{
		kind: kindUpdateDeployment, description: "create deployment", deployment: name, exclusive: true,
		run: func(ctx context.Context, out *taskOutput) (string, error) {
			return "/deployments/" + name, s.backend.ChangeJobState(ctx, out, req)
		},
	})
}
