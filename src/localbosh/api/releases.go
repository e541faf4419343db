package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

func (s *Server) routeReleases(mux *http.ServeMux) {
	mux.Handle("GET /releases", s.handle(s.listReleases))
	mux.Handle("POST /releases", s.handle(s.uploadRelease))
}

func (s *Server) listReleases(w http.ResponseWriter, r *http.Request) error {
	releases, err := s.backend.Releases(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(releases))
}

// uploadRelease takes a tarball in the body (streamed to disk before the
// task starts, as the director does) or a JSON location the task fetches.
func (s *Server) uploadRelease(w http.ResponseWriter, r *http.Request) error {
	return s.uploadArchive(w, r, "release", taskSpec{kind: kindUpdateRelease, description: "create release"}, s.backend.UploadRelease)
}

// uploadStemcell is POST /stemcells (bosh upload-stemcell): a stemcell
// tarball, a light stemcell's included, or a JSON location.
func (s *Server) uploadStemcell(w http.ResponseWriter, r *http.Request) error {
	return s.uploadArchive(w, r, "stemcell", taskSpec{kind: kindUpdateStemcell, description: "create stemcell"}, s.backend.UploadStemcell)
}

// uploadArchive starts the task importing a tarball (of a release or a
// stemcell, what) uploaded in the body or fetched from a JSON location.
func (s *Server) uploadArchive(w http.ResponseWriter, r *http.Request, what string, spec taskSpec, importFn func(context.Context, TaskLog, string) (string, error)) error {
	mediaType, err := requireContentType(r, "application/x-compressed", "application/json")
	if err != nil {
		return err
	}
	var fetch func(ctx context.Context, out *taskOutput) (string, error)
	if mediaType == "application/json" {
		var loc director.ReleaseLocation
		if err := decodeJSON(r, &loc); err != nil {
			return err
		}
		if err := checkLocation(what, loc.Location); err != nil {
			return err
		}
		fetch = func(ctx context.Context, out *taskOutput) (string, error) {
			return fetchArchive(ctx, out, what, s.uploadsDir(), loc, s.opts.MaxUploadBytes)
		}
	} else {
		path, err := s.receiveUpload(r, what)
		if err != nil {
			return err
		}
		fetch = func(context.Context, *taskOutput) (string, error) { return path, nil }
	}
	spec.run = func(ctx context.Context, out *taskOutput) (string, error) {
		path, err := fetch(ctx, out)
		if err != nil {
			return "", err
		}
		defer os.Remove(path)
		return importFn(ctx, out, path)
	}
	return s.startTask(w, r, spec)
}

func (s *Server) uploadsDir() string { return filepath.Join(s.opts.StateDir, "uploads") }

// receiveUpload streams the request body to a file under the uploads
// directory, refusing one over MaxUploadBytes: at once when its length is
// announced, else when that many bytes have come.
func (s *Server) receiveUpload(r *http.Request, what string) (string, error) {
	limit := s.opts.MaxUploadBytes
	if r.ContentLength > limit {
		return "", uploadTooLarge(what, limit)
	}
	if err := os.MkdirAll(s.uploadsDir(), 0o700); err != nil {
		return "", fmt.Errorf("creating upload directory: %w", err)
	}
	f, err := os.CreateTemp(s.uploadsDir(), what+"-*.tgz")
	if err != nil {
		return "", fmt.Errorf("storing uploaded %s: %w", what, err)
	}
	n, copyErr := io.Copy(f, io.LimitReader(r.Body, limit+1))
	closeErr := f.Close()
	if copyErr != nil || closeErr != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("storing uploaded %s in %s: %w", what, s.uploadsDir(), firstError(copyErr, closeErr))
	}
	if n > limit {
		os.Remove(f.Name())
		return "", uploadTooLarge(what, limit)
	}
	if n == 0 {
		os.Remove(f.Name())
		return "", badRequest(director.CodeReleaseInvalidArchive, "the uploaded %s tarball is empty", what)
	}
	return f.Name(), nil
}

// uploadTooLarge is the 413 for a tarball over the limit.
func uploadTooLarge(what string, limit int64) *director.Error {
	return director.NewError(http.StatusRequestEntityTooLarge, director.CodeReleaseInvalidArchive,
		"the %s tarball is over %d bytes, the most this director takes (api.Options.MaxUploadBytes)", what, limit)
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
