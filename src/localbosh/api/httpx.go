package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// maxDocumentBytes bounds manifests, configs and JSON bodies read into memory.
const maxDocumentBytes = 32 << 20

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle writes a returned error as the director does: JSON {code,
// description} with the error's status; errors that are not director errors
// are internal (500, code 100).
func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var de *director.Error
	if !errors.As(err, &de) {
		de = director.NewError(http.StatusInternalServerError, director.CodeDirectorError, "%s", err.Error())
	}
	status := de.StatusCode
	if status == 0 {
		status = http.StatusBadRequest
	}
	level := s.logger.Info
	if status >= 500 {
		level = s.logger.Error
	}
	level("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "code", de.Code, "error", err.Error())
	_ = writeJSON(w, status, de)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, err = w.Write(body)
	return err
}

// badRequest is a 400 director error.
func badRequest(code int, format string, args ...any) *director.Error {
	return director.NewError(http.StatusBadRequest, code, format, args...)
}

// requireContentType refuses a body of another media type than want.
func requireContentType(r *http.Request, want ...string) (string, error) {
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil {
		for _, w := range want {
			if mediaType == w {
				return mediaType, nil
			}
		}
	}
	return "", director.NewError(http.StatusUnsupportedMediaType, director.CodeValidationInvalidValue,
		"%s %s needs Content-Type %q, got %q", r.Method, r.URL.Path, want[0], r.Header.Get("Content-Type"))
}

// readDocument reads a request body that must fit in memory.
func readDocument(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading request body of %s %s: %w", r.Method, r.URL.Path, err)
	}
	if len(body) > maxDocumentBytes {
		return nil, director.NewError(http.StatusRequestEntityTooLarge, director.CodeValidationInvalidValue,
			"request body of %s %s is over %d bytes", r.Method, r.URL.Path, maxDocumentBytes)
	}
	return body, nil
}

// queryTrue reports whether a boolean query parameter is "true", the only
// value the director takes as true.
func queryTrue(r *http.Request, key string) bool { return r.URL.Query().Get(key) == "true" }

// decodeJSON reads a JSON request body into v; an empty body leaves v as is.
func decodeJSON(r *http.Request, v any) error {
	body, err := readDocument(r)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest(director.CodeValidationInvalidType, "Invalid JSON request body of %s %s: %v", r.Method, r.URL.Path, err)
	}
	return nil
}

// pathID parses the {id} path value of a task route.
func pathID(r *http.Request) (int, error) {
	raw, err := pathName(r, "id", "task id", boshname.TaskID)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(raw)
}

// pathName is a path value (URL-decoded, so "%2e%2e" is ".." and "%2F" a
// slash) checked against the director's rule for what it names: a 400
// naming the field and the rule otherwise.
func pathName(r *http.Request, key, field string, rule boshname.Rule) (string, error) {
	value := r.PathValue(key)
	if err := rule.Check(field, value); err != nil {
		return "", invalidName(err)
	}
	return value, nil
}

// invalidName is the 400 for a name that breaks the director's rules.
func invalidName(err error) *director.Error {
	return badRequest(director.CodeValidationInvalidValue, "%v", err)
}

// startTask starts a task for the request and redirects the client to it,
// as the director answers every task-starting request.
func (s *Server) startTask(w http.ResponseWriter, r *http.Request, spec taskSpec) error {
	spec.user = userOf(r)
	spec.contextID = r.Header.Get(contextIDHeader)
	task, err := s.tasks.start(spec)
	if err != nil {
		return err
	}
	s.logger.Info("task queued", "task", task.ID, "description", task.Description, "user", task.User)
	w.Header().Set("Location", fmt.Sprintf("/tasks/%d", task.ID))
	w.WriteHeader(http.StatusFound)
	return nil
}
