// Package testconsumer is the etcd_testconsumer job: a client of the
// deployment's etcd cluster, on a VM of the deployment, with the HTTP API the
// original release's test consumer had. PUT /kv/<key> writes the request
// body, GET /kv/<key> reads it back linearizably (404 when absent), and GET
// /leader names the member every endpoint reports as its leader, so the
// acceptance suite sees the cluster as a client inside the deployment does.
package testconsumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Server serves the test consumer's API over an etcd client.
type Server struct {
	client    *clientv3.Client
	endpoints []string
	timeout   time.Duration
	mux       *http.ServeMux
}

// New serves over client, whose endpoints are asked for their leader.
func New(client *clientv3.Client, timeout time.Duration) *Server {
	s := &Server{client: client, endpoints: client.Endpoints(), timeout: timeout, mux: http.NewServeMux()}
	s.mux.HandleFunc("PUT /kv/{key...}", s.put)
	s.mux.HandleFunc("GET /kv/{key...}", s.get)
	s.mux.HandleFunc("GET /leader", s.leader)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) put(w http.ResponseWriter, r *http.Request) {
	value, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	if _, err := s.client.Put(ctx, r.PathValue("key"), string(value)); err != nil {
		http.Error(w, fmt.Sprintf("writing %s: %v", r.PathValue("key"), err), http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	resp, err := s.client.Get(ctx, r.PathValue("key"))
	if err != nil {
		http.Error(w, fmt.Sprintf("reading %s: %v", r.PathValue("key"), err), http.StatusServiceUnavailable)
		return
	}
	if len(resp.Kvs) == 0 {
		http.Error(w, "no key "+r.PathValue("key"), http.StatusNotFound)
		return
	}
	_, _ = w.Write(resp.Kvs[0].Value)
}

// Leader is the body of GET /leader.
type Leader struct {
	// Name is the leader's member name ("etcd-1"), ID its member ID in hex.
	Name string `json:"name"`
	ID   string `json:"id"`
	// Views maps each endpoint to the leader ID it reports, or to its error.
	Views map[string]string `json:"views"`
}

// ErrNoLeader means no endpoint named a leader, or they named different ones.
var ErrNoLeader = errors.New("no single leader")

func (s *Server) leader(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
	defer cancel()
	l, err := s.Leader(ctx)
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(l)
}

// Leader asks every endpoint for its leader; they must agree.
func (s *Server) Leader(ctx context.Context) (Leader, error) {
	l := Leader{Views: map[string]string{}}
	var leader uint64
	var disagree []string
	for _, ep := range s.endpoints {
		st, err := s.client.Status(ctx, ep)
		if err != nil {
			l.Views[ep] = "error: " + err.Error()
			continue
		}
		l.Views[ep] = fmt.Sprintf("%x", st.Leader)
		switch {
		case st.Leader == 0:
		case leader == 0:
			leader = st.Leader
		case leader != st.Leader:
			disagree = append(disagree, ep)
		}
	}
	if leader == 0 || len(disagree) > 0 {
		return l, fmt.Errorf("%w: %v", ErrNoLeader, l.Views)
	}
	l.ID = fmt.Sprintf("%x", leader)
	members, err := s.client.MemberList(ctx)
	if err != nil {
		return l, fmt.Errorf("listing members: %w", err)
	}
	for _, m := range members.Members {
		if m.ID == leader {
			l.Name = m.Name
		}
	}
	if l.Name == "" {
		return l, fmt.Errorf("leader %s is not in the member list", l.ID)
	}
	return l, nil
}

// Endpoints are the client URLs the consumer uses.
func (s *Server) Endpoints() string { return strings.Join(s.endpoints, ",") }
