package api

import (
	"errors"
	"net/http"
	"strconv"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	lbmanifest "github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

func (s *Server) routeConfigs(mux *http.ServeMux) {
	mux.Handle("GET /configs", s.handle(s.listConfigs))
	mux.Handle("POST /configs", s.handle(s.createConfig))
	mux.Handle("POST /cloud_configs", s.handle(s.legacyConfigUpdate(director.ConfigCloud)))
	mux.Handle("POST /runtime_configs", s.handle(s.legacyConfigUpdate(director.ConfigRuntime)))
	mux.Handle("GET /cloud_configs", s.handle(s.legacyConfigList(director.ConfigCloud)))
	mux.Handle("GET /runtime_configs", s.handle(s.legacyConfigList(director.ConfigRuntime)))
}

// legacyConfigList is bosh cloud-config and bosh runtime-config: GET
// /cloud_configs?name=&limit= (and /runtime_configs), the latest versions
// of a named config, newest first, as [{"properties": <YAML>}].
func (s *Server) legacyConfigList(configType string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		name := q.Get("name")
		if name == "" {
			name = "default"
		}
		limit := 1
		if l := q.Get("limit"); l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n < 1 {
				return badRequest(director.CodeValidationInvalidValue, "limit %q must be a positive number", l)
			}
			limit = n
		}
		out := []map[string]string{}
		for _, v := range s.configs.list(configType, name, false) {
			if len(out) == limit {
				break
			}
			out = append(out, map[string]string{"properties": v.Content, "created_at": v.CreatedAt})
		}
		return writeJSON(w, http.StatusOK, out)
	}
}

// listConfigs answers GET /configs?type=&name=&latest=: the latest version
// of each matching config unless latest=false asks for all versions.
func (s *Server) listConfigs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	latest := true
	switch q.Get("latest") {
	case "", "true":
	case "false":
		latest = false
	default:
		return badRequest(director.CodeValidationInvalidValue, "'latest' must be 'true' or 'false'")
	}
	return writeJSON(w, http.StatusOK, s.configs.list(q.Get("type"), q.Get("name"), latest))
}

func (s *Server) createConfig(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireContentType(r, "application/json", "text/json"); err != nil {
		return err
	}
	var req director.ConfigRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	return s.storeConfig(w, req)
}

// legacyConfigUpdate is POST /cloud_configs?name= (and /runtime_configs)
// with a YAML body, the bosh CLI's update-cloud-config and
// update-runtime-config; it answers 201 without a body.
func (s *Server) legacyConfigUpdate(configType string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if _, err := requireContentType(r, "text/yaml"); err != nil {
			return err
		}
		content, err := readDocument(r)
		if err != nil {
			return err
		}
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "default"
		}
		req := director.ConfigRequest{Type: configType, Name: name, Content: string(content)}
		if err := validateConfig(req); err != nil {
			return err
		}
		if _, err := s.configs.update(req); err != nil {
			return err
		}
		w.WriteHeader(http.StatusCreated)
		return nil
	}
}

func (s *Server) storeConfig(w http.ResponseWriter, req director.ConfigRequest) error {
	if err := validateConfig(req); err != nil {
		return err
	}
	stored, err := s.configs.update(req)
	var stale errExpectedLatest
	if errors.As(err, &stale) {
		return writeJSON(w, http.StatusPreconditionFailed, map[string]string{
			"latest_id": stale.latest, "expected_latest_id": stale.expected, "description": stale.Error(),
		})
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, stored)
}

// validateConfig checks a config as the director does: type and name
// given, content a YAML mapping.
func validateConfig(req director.ConfigRequest) error {
	if req.Type == "" {
		return badRequest(director.CodeValidationMissingField, "'type' is required")
	}
	if req.Name == "" {
		return badRequest(director.CodeValidationMissingField, "'name' is required")
	}
	var content map[string]any
	if err := yaml.Unmarshal([]byte(req.Content), &content); err != nil {
		return badRequest(director.CodeBadManifest, "Config must be valid YAML: %v", err)
	}
	if content == nil {
		return badRequest(director.CodeBadManifest, "Config must be valid YAML: a YAML hash is expected, %s config %q is empty", req.Type, req.Name)
	}
	if req.Type == director.ConfigCloud {
		if err := lbmanifest.CheckCloudConfigNames([]byte(req.Content)); err != nil {
			return invalidName(err)
		}
	}
	return nil
}
