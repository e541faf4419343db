package api

import (
	"net/http"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// localCPI names the "CPI" of localbosh VMs (network + mount namespaces).
const localCPI = "localbosh_namespaces"

func (s *Server) routeInfo(mux *http.ServeMux) {
	mux.Handle("GET /info", s.handle(s.info))
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) error {
	info := director.Info{
		Name: s.opts.Name, UUID: s.uuid, Version: s.opts.Version, CPI: localCPI,
		UserAuthentication: director.UserAuthentication{Type: "basic", Options: map[string]any{}},
		Features:           director.Features{ConfigServer: director.ConfigServerFeature{Extras: director.ConfigServerExtras{URLs: []string{}}}},
	}
	if user := userOf(r); user != "" {
		info.User = &user
	}
	return writeJSON(w, http.StatusOK, info)
}
