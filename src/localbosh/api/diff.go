package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifestdiff"
)

// CodeDeploymentInvalidConfigReference is the director's error for a deploy
// context naming a config that does not exist.
const CodeDeploymentInvalidConfigReference = 190025

// diffResponse is the body of POST /deployments/:d/diff.
type diffResponse struct {
	Context *diffContext        `json:"context,omitempty"`
	Diff    []manifestdiff.Line `json:"diff"`
	Error   string              `json:"error,omitempty"`
}

// diffContext names the config versions the diff compared with; the bosh
// CLI sends it back as the deploy's context, so the deploy uses the very
// configs the operator saw the diff against.
type diffContext struct {
	CloudConfigIDs   []int `json:"cloud_config_ids"`
	RuntimeConfigIDs []int `json:"runtime_config_ids"`
}

// diffDeployment answers POST /deployments/:d/diff?redact=, which `bosh
// deploy` sends before it deploys (and stops when it fails): the manifest
// with the latest cloud and runtime configs against what the deployment was
// last deployed with (nothing for a new deployment). A manifest the diff
// cannot read is answered 200 with an empty diff and an error, as the
// director does.
func (s *Server) diffDeployment(w http.ResponseWriter, r *http.Request) error {
	name, err := deploymentName(r)
	if err != nil {
		return err
	}
	body, err := readDocument(r)
	if err != nil {
		return err
	}
	resp, err := s.diff(r, name, body)
	if err != nil {
		return writeJSON(w, http.StatusOK, diffResponse{Diff: []manifestdiff.Line{}, Error: "Unable to diff manifest: " + err.Error()})
	}
	return writeJSON(w, http.StatusOK, resp)
}

func (s *Server) diff(r *http.Request, name string, body []byte) (diffResponse, error) {
	var check map[string]any
	if err := yaml.Unmarshal(body, &check); err != nil {
		return diffResponse{}, fmt.Errorf("Incorrect YAML structure of the uploaded manifest: %v", err)
	}
	after, err := manifestdiff.Parse(body)
	if err != nil {
		return diffResponse{}, err
	}
	before := manifestdiff.NewMap()
	if deployed, err := s.backend.Manifest(r.Context(), name); err == nil {
		after.Set("name", name) // the diff shows the deployment's name, whatever the manifest says
		m, err := manifestdiff.Parse(deployed)
		if err != nil {
			return diffResponse{}, fmt.Errorf("the deployed manifest: %w", err)
		}
		cloud, runtime := s.deployedWith(name)
		if before, err = mergeConfigs(m, cloud, runtime); err != nil {
			return diffResponse{}, err
		}
	} else if director.ErrorCode(err) != director.CodeDeploymentNotFound {
		return diffResponse{}, err
	}
	cloud, runtime := s.latestConfigs()
	if after, err = mergeConfigs(after, cloud, runtime); err != nil {
		return diffResponse{}, err
	}
	redact := r.URL.Query().Get("redact") != "false"
	ctx := &diffContext{CloudConfigIDs: []int{}, RuntimeConfigIDs: []int{}}
	for _, v := range cloud {
		n, _ := strconv.Atoi(v.ID)
		ctx.CloudConfigIDs = append(ctx.CloudConfigIDs, n)
	}
	for _, v := range runtime {
		n, _ := strconv.Atoi(v.ID)
		ctx.RuntimeConfigIDs = append(ctx.RuntimeConfigIDs, n)
	}
	lines := manifestdiff.Diff(before, after, redact)
	if lines == nil {
		lines = []manifestdiff.Line{}
	}
	return diffResponse{Context: ctx, Diff: lines}, nil
}

func mergeConfigs(m *manifestdiff.Map, cloud, runtime []director.ConfigVersion) (*manifestdiff.Map, error) {
	parse := func(versions []director.ConfigVersion) ([]*manifestdiff.Map, error) {
		var out []*manifestdiff.Map
		for _, v := range versions {
			c, err := manifestdiff.Parse([]byte(v.Content))
			if err != nil {
				return nil, fmt.Errorf("%s config %q (ID %s): %w", v.Type, v.Name, v.ID, err)
			}
			out = append(out, c)
		}
		return out, nil
	}
	c, err := parse(cloud)
	if err != nil {
		return nil, err
	}
	rt, err := parse(runtime)
	if err != nil {
		return nil, err
	}
	return manifestdiff.Merge(m, c, rt), nil
}

// latestConfigs are the latest version of every named cloud and runtime
// config, oldest name first, as a deploy without a context uses.
func (s *Server) latestConfigs() (cloud, runtime []director.ConfigVersion) {
	return oldestFirst(s.configs.list(director.ConfigCloud, "", true)), oldestFirst(s.configs.list(director.ConfigRuntime, "", true))
}

func oldestFirst(versions []director.ConfigVersion) []director.ConfigVersion {
	out := make([]director.ConfigVersion, 0, len(versions))
	for i := len(versions) - 1; i >= 0; i-- {
		out = append(out, versions[i])
	}
	return out
}

// deployedWith are the configs a deployment was last deployed with; the
// latest ones for a deployment deployed before localbosh recorded them.
func (s *Server) deployedWith(deployment string) (cloud, runtime []director.ConfigVersion) {
	ids, ok := s.deployed.get(deployment)
	if !ok {
		return s.latestConfigs()
	}
	cloud, errC := s.configs.byIDs(director.ConfigCloud, ids.Cloud)
	runtime, errR := s.configs.byIDs(director.ConfigRuntime, ids.Runtime)
	if errC != nil || errR != nil {
		return s.latestConfigs()
	}
	return cloud, runtime
}

// deployConfigs are the configs a deploy uses: those its context names (the
// bosh CLI sends the diff's), else the latest.
func (s *Server) deployConfigs(r *http.Request) (cloud, runtime []director.ConfigVersion, err error) {
	raw := r.URL.Query().Get("context")
	if raw == "" {
		cloud, runtime = s.latestConfigs()
		return cloud, runtime, nil
	}
	var ctx struct {
		CloudConfigIDs   []json.Number `json:"cloud_config_ids"`
		RuntimeConfigIDs []json.Number `json:"runtime_config_ids"`
	}
	if err := json.Unmarshal([]byte(raw), &ctx); err != nil {
		return nil, nil, badRequest(director.CodeValidationInvalidValue, "context %q is not the JSON of a deploy context: %v", raw, err)
	}
	strs := func(ns []json.Number) []string {
		out := []string{}
		for _, n := range ns {
			out = append(out, n.String())
		}
		return out
	}
	if cloud, err = s.configs.byIDs(director.ConfigCloud, strs(ctx.CloudConfigIDs)); err == nil {
		runtime, err = s.configs.byIDs(director.ConfigRuntime, strs(ctx.RuntimeConfigIDs))
	}
	if err != nil {
		return nil, nil, badRequest(CodeDeploymentInvalidConfigReference, "Context includes invalid config ID (%v)", err)
	}
	return cloud, runtime, nil
}
