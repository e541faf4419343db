package api

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// serveTaskOutput serves GET /tasks/:id/output?type=event|result|debug the
// way the bosh CLI polls it: with `Range: bytes=N-` it answers 206 with what
// was written since N, 416 when nothing new is there, and 204 while the task
// has no output of that type at all. Only whole lines are served, so a
// reader polling mid-write never gets half a line.
func (s *Server) serveTaskOutput(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if _, err := s.tasks.get(id); err != nil {
		return err
	}
	outputType := r.URL.Query().Get("type")
	if outputType == "" {
		outputType = director.OutputDebug
	}
	if outputType == "cpi" { // bosh task --cpi: localbosh has no CPI, so no CPI log
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if outputType != director.OutputEvent && outputType != director.OutputResult && outputType != director.OutputDebug {
		return badRequest(director.CodeValidationInvalidValue, "unknown task output type %q: use event, result, debug or cpi", outputType)
	}
	f, err := os.Open(filepath.Join(s.tasks.taskDir(id), outputType))
	if errors.Is(err, fs.ErrNotExist) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s output of task %d: %w", outputType, id, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("reading %s output of task %d: %w", outputType, id, err)
	}
	size := info.Size()
	start, ranged := rangeStart(r.Header.Get("Range"))
	var chunk []byte
	if start < size {
		chunk = make([]byte, size-start)
		if _, err := f.ReadAt(chunk, start); err != nil {
			return fmt.Errorf("reading %s output of task %d: %w", outputType, id, err)
		}
		chunk = chunk[:bytes.LastIndexByte(chunk, '\n')+1]
	}

	w.Header().Set("Content-Type", "text/plain")
	switch {
	case !ranged:
		w.WriteHeader(http.StatusOK)
	case len(chunk) == 0:
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		return nil
	default:
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+int64(len(chunk))-1, size))
		w.WriteHeader(http.StatusPartialContent)
	}
	_, err = w.Write(chunk)
	return err
}

// rangeStart reads the offset of a "bytes=N-" range. Other forms (suffix,
// bounded or multiple ranges) are not used by BOSH clients and are ignored,
// so the whole output is served, as HTTP allows.
func rangeStart(header string) (int64, bool) {
	spec, ok := strings.CutPrefix(header, "bytes=")
	if !ok {
		return 0, false
	}
	startText, end, ok := strings.Cut(spec, "-")
	if !ok || end != "" {
		return 0, false
	}
	start, err := strconv.ParseInt(startText, 10, 64)
	if err != nil || start < 0 {
		return 0, false
	}
	return start, true
}
