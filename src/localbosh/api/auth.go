package api

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/http"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

const (
	contextIDHeader = "X-Bosh-Context-Id"
	maxContextIDLen = 64
)

type userKey struct{}

// userOf is the authenticated user of a request, "" if none.
func userOf(r *http.Request) string {
	user, _ := r.Context().Value(userKey{}).(string)
	return user
}

// authenticate lets through requests with the director's basic-auth
// credentials, and GET /info without them; it answers others as the director
// does: 401, a WWW-Authenticate challenge and a plain-text body.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		authorized := ok && s.credentialsMatch(user, pass)
		if !authorized && !(r.Method == http.MethodGet && r.URL.Path == "/info") {
			w.Header().Set("WWW-Authenticate", `Basic realm="BOSH Director"`)
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, "Not authorized: '%s'\n", r.URL.Path)
			return
		}
		if len(r.Header.Get(contextIDHeader)) > maxContextIDLen {
			s.writeError(w, r, badRequest(director.CodeContextIDViolatedMax,
				"%s cannot be more than %d characters in length", contextIDHeader, maxContextIDLen))
			return
		}
		if authorized {
			r = r.WithContext(context.WithValue(r.Context(), userKey{}, user))
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) credentialsMatch(user, pass string) bool {
	userOK := subtle.ConstantTimeCompare([]byte(user), []byte(s.opts.Username)) == 1
	passOK := subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.Password)) == 1
	return userOK && passOK
}
