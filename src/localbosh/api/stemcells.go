package api

import (
	"net/http"
	"slices"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

func (s *Server) routeStemcells(mux *http.ServeMux) {
	mux.Handle("GET /stemcells", s.handle(s.listStemcells))
	mux.Handle("POST /stemcells", s.handle(s.uploadStemcell))
	mux.Handle("POST /stemcell_uploads", s.handle(s.stemcellNeedsUpload))
}

// stemcellNeedsUpload answers bosh upload-stemcell's first question, POST
// /stemcell_uploads {"stemcell": {"name", "version"}}: {"needed": bool}.
func (s *Server) stemcellNeedsUpload(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Stemcell struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"stemcell"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	stemcells, err := s.backend.Stemcells(r.Context())
	if err != nil {
		return err
	}
	needed := !slices.ContainsFunc(stemcells, func(sc director.Stemcell) bool {
		return sc.Name == body.Stemcell.Name && sc.Version == body.Stemcell.Version
	})
	return writeJSON(w, http.StatusOK, map[string]bool{"needed": needed})
}

func (s *Server) listStemcells(w http.ResponseWriter, r *http.Request) error {
	stemcells, err := s.backend.Stemcells(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, nonNil(stemcells))
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](items []T) []T {
	if items == nil {
		return []T{}
	}
	return items
}
