package api

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	lbmanifest "github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

func (s *Server) routeDeployments(mux *http.ServeMux) {
	mux.Handle("GET /deployments", s.handle(s.listDeployments))
	mux.Handle("POST /deployments", s.handle(s.deploy))
	mux.Handle("GET /deployments/{deployment}", s.handle(s.getDeployment))
	mux.Handle("DELETE /deployments/{deployment}", s.handle(s.deleteDeployment))
	mux.Handle("POST /deployments/{deployment}/diff", s.handle(s.diffDeployment))
}

func (s *Server) listDeployments(w http.ResponseWriter, r *http.Request) error {
	deps, err := s.backend.Deployments(r.Context())
	if err != nil {
		return err
	}
	latest, _ := s.latestConfigs()
	for i := range deps {
		deps[i].CloudConfig = "latest"
		if ids, ok := s.deployed.get(deps[i].Name); ok && !slices.Equal(ids.Cloud, idsOf(latest)) {
			deps[i].CloudConfig = "outdated"
		}
		deps[i].Locked = s.tasks.locked(deps[i].Name)
	}
	return writeJSON(w, http.StatusOK, nonNil(deps))
}

func (s *Server) getDeployment(w http.ResponseWriter, r *http.Request) error {
	name, err := deploymentName(r)
	if err != nil {
		return err
	}
	manifest, err := s.backend.Manifest(r.Context(), name)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, director.DeploymentManifest{Manifest: string(manifest)})
}

// deploymentName is the {deployment} of the path, checked by the
// director's rule for deployment names.
func deploymentName(r *http.Request) (string, error) {
	return pathName(r, "deployment", "deployment name", boshname.Identifier)
}

func (s *Server) deploy(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireContentType(r, "text/yaml"); err != nil {
		return err
	}
	manifest, err := readDocument(r)
	if err != nil {
		return err
	}
	name, err := manifestName(manifest)
	if err != nil {
		return err
	}
	opts, err := deployOptions(r)
	if err != nil {
		return err
	}
	description := "create deployment"
	if opts.DryRun {
		description += " (dry run)"
	}
	cloud, runtime, err := s.deployConfigs(r)
	if err != nil {
		return err
	}
	req := DeployRequest{Name: name, Manifest: manifest, CloudConfigs: cloud, RuntimeConfigs: runtime, Options: opts}
	return s.startTask(w, r, taskSpec{
		kind: kindUpdateDeployment, description: description, deployment: name, exclusive: true,
		run: func(ctx context.Context, out *taskOutput) (string, error) {
			if err := s.backend.Deploy(ctx, out, req); err != nil {
				return "", err
			}
			if !opts.DryRun {
				s.recordDeployed(out, name, cloud, runtime)
			}
			return "/deployments/" + name, nil
		},
	})
}

func (s *Server) deleteDeployment(w http.ResponseWriter, r *http.Request) error {
	name, err := s.existingDeployment(r)
	if err != nil {
		return err
	}
	force := queryTrue(r, "force")
	return s.startTask(w, r, taskSpec{
		kind: kindDeleteDeployment, description: "delete deployment " + name, deployment: name, exclusive: true,
		run: func(ctx context.Context, out *taskOutput) (string, error) {
			if err := s.backend.DeleteDeployment(ctx, out, name, force); err != nil {
				return "", err
			}
			s.recordDeployed(out, name, nil, nil)
			return "/deployments/" + name, nil
		},
	})
}

// recordDeployed remembers the configs a deployment was deployed with
// (none: it was deleted).
func (s *Server) recordDeployed(out TaskLog, name string, cloud, runtime []director.ConfigVersion) {
	var ids *configIDs
	if cloud != nil || runtime != nil {
		ids = &configIDs{Cloud: idsOf(cloud), Runtime: idsOf(runtime)}
	}
	if err := s.deployed.set(name, ids); err != nil {
		out.Warning(err.Error())
	}
}

// existingDeployment is the {deployment} of the path, or the director's 404
// when there is no such deployment. A deployment exists from the moment its
// first deploy is accepted, as the director records it then, so tasks can
// be queued behind that deploy.
func (s *Server) existingDeployment(r *http.Request) (string, error) {
	name, err := deploymentName(r)
	if err != nil {
		return "", err
	}
	if s.tasks.busy(name) {
		return name, nil
	}
	if _, err := s.backend.Manifest(r.Context(), name); err != nil {
		return "", err
	}
	return name, nil
}

// manifestName checks that a manifest is a YAML mapping with a name, as the
// director checks before it starts a deploy task, and that its names follow
// the director's rules (they name files in the state directory), and
// returns the name. Every other problem is the deploy task's to report.
func manifestName(manifest []byte) (string, error) {
	if len(strings.TrimSpace(string(manifest))) == 0 {
		return "", badRequest(director.CodeBadManifest, "Manifest should not be empty")
	}
	var doc map[string]any
	if err := yaml.Unmarshal(manifest, &doc); err != nil {
		return "", badRequest(director.CodeBadManifest, "Incorrect YAML structure of the uploaded manifest: %v", err)
	}
	name, _ := doc["name"].(string)
	if name == "" {
		return "", badRequest(director.CodeValidationMissingField, "Deployment manifest must have a 'name' key")
	}
	if err := boshname.Identifier.Check("deployment name", name); err != nil {
		return "", invalidName(err)
	}
	if err := lbmanifest.CheckManifestNames(manifest); err != nil {
		return "", invalidName(err)
	}
	return name, nil
}

// countOrPercent is the form of canaries and max_in_flight overrides.
var countOrPercent = regexp.MustCompile(`^[0-9]+%?$`)

func deployOptions(r *http.Request) (director.DeployOptions, error) {
	q := r.URL.Query()
	opts := director.DeployOptions{
		Recreate: queryTrue(r, "recreate"), Fix: queryTrue(r, "fix"), DryRun: queryTrue(r, "dry_run"),
		Canaries: q.Get("canaries"), MaxInFlight: q.Get("max_in_flight"),
	}
	if skip := q.Get("skip_drain"); skip != "" {
		opts.SkipDrain = strings.Split(skip, ",")
	}
	for key, value := range map[string]string{"canaries": opts.Canaries, "max_in_flight": opts.MaxInFlight} {
		if value != "" && !countOrPercent.MatchString(value) {
			return opts, badRequest(director.CodeValidationInvalidValue, "%s %q must be a number or a percentage such as 50%%", key, value)
		}
	}
	return opts, nil
}
