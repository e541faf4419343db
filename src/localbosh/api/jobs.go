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

var jobStates = []string{director.JobStarted, director.JobStopped, director.JobDetached, director.JobRestart, director.JobRecreate}

func (s *Server) routeJobs(mux *http.ServeMux) {
	mux.Handle("PUT /deployments/{deployment}/jobs/{group}", s.handle(s.changeJobState))
	mux.Handle("PUT /deployments/{deployment}/jobs/{group}/{instance}", s.handle(s.changeJobState))
	mux.Handle("POST /deployments/{deployment}/instance_groups/{group}/{instance}/actions/{action}", s.handle(s.instanceAction))
}

// instanceAction is the bosh CLI's --no-converge start, stop, restart and
// recreate of one instance (POST .../instance_groups/:g/:id/actions/:a,
// skip_drain, hard): a task "<action> instance" that changes only it.
func (s *Server) instanceAction(w http.ResponseWriter, r *http.Request) error {
	group, err := pathName(r, "group", "instance group name", boshname.Identifier)
	if err != nil {
		return err
	}
	instance, err := pathName(r, "instance", "instance id", boshname.Identifier)
	if err != nil {
		return err
	}
	name, err := s.existingDeployment(r)
	if err != nil {
		return err
	}
	action := r.PathValue("action")
	states := map[string]string{"start": director.JobStarted, "stop": director.JobStopped, "restart": director.JobRestart, "recreate": director.JobRecreate}
	state, ok := states[action]
	if !ok {
		return director.NewError(http.StatusNotFound, director.CodeResourceNotFound, "instance action %q is not one of start, stop, restart, recreate", action)
	}
	if action == "stop" && queryTrue(r, "hard") {
		state = director.JobDetached
	}
	req := JobStateRequest{Deployment: name, InstanceGroup: group, Instance: instance, State: state,
		SkipDrain: queryTrue(r, "skip_drain"), NoConverge: true}
	return s.startTask(w, r, taskSpec{
		kind: kindUpdateDeployment, description: action + " instance", deployment: name, exclusive: true,
		run: func(ctx context.Context, out *taskOutput) (string, error) {
			return "", s.backend.ChangeJobState(ctx, out, req)
		},
	})
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
	opts, err := deployOptions(r)
	if err != nil {
		return err
	}
	req := JobStateRequest{
		Deployment: name, InstanceGroup: group, Instance: instance,
		State: state, SkipDrain: queryTrue(r, "skip_drain"), Fix: queryTrue(r, "fix"),
		Canaries: opts.Canaries, MaxInFlight: opts.MaxInFlight,
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
