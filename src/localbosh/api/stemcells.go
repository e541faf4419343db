package api

import (
	"net/http"
)

func (s *Server) routeStemcells(mux *http.ServeMux) {
	mux.Handle("GET /stemcells", s.handle(s.listStemcells))
	mux.Handle("POST /stemcells", s.handle(s.uploadStemcell))
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
