// Package status is how etcdfab instances tell each other, before and while
// etcd runs, whether they hold data and of which cluster: a small HTTP(S)
// endpoint beside etcd's peer port, authenticated with the peer
// certificates when peer TLS is on. etcd itself answers nothing until it
// has quorum, so without this a node could not tell a cluster that is down
// from no cluster at all.
package status

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
)

// Phase is where an instance's etcdfab is.
type Phase string

const (
	// Waiting: etcd does not run; etcdfab waits for peers or a cluster.
	Waiting Phase = "waiting"
	// Refused: the local data contradicts what answered; etcd is not
	// started until an operator acts (Message says what).
	Refused Phase = "refused"
	// Starting: etcd runs but is not a healthy voting member yet.
	Starting Phase = "starting"
	// Joining: etcd runs as a learner catching up with the leader.
	Joining Phase = "joining"
	// Running: a healthy voting member of a cluster with quorum.
	Running Phase = "running"
)

// Report is one instance's answer.
type Report struct {
	Name    string `json:"name"`
	Phase   Phase  `json:"phase"`
	Message string `json:"message,omitempty"`
	// HasData: a member's data is on this instance's disk (or etcd was
	// started to create it), of ClusterID (0 until known) and MemberID.
	HasData   bool        `json:"has_data"`
	ClusterID identity.ID `json:"cluster_id,omitempty"`
	MemberID  identity.ID `json:"member_id,omitempty"`
	// Leader is the leader this member's etcd follows; 0 when its etcd
	// does not answer (not running, or without quorum).
	Leader identity.ID `json:"leader,omitempty"`
	// Progress grows while a learner receives the cluster's data.
	Progress int64 `json:"progress,omitempty"`
	// Voters counts the voting members of its cluster as it last knew
	// them; 0 when it does not know.
	Voters int `json:"voters,omitempty"`
}

// Instance turns a report into what cluster's decisions read.
func (r Report) Instance(name string, reach cluster.Reach) cluster.Instance {
	return cluster.Instance{Name: name, Reach: reach, HasData: r.HasData, ClusterID: uint64(r.ClusterID),
		MemberID: uint64(r.MemberID), Leader: uint64(r.Leader), Serving: r.Phase == Running, Voters: r.Voters}
}

// Source gives the current report; it may ask the local etcd, within ctx.
type Source func(ctx context.Context) Report

// Server answers status requests until Close.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// Listen starts answering at addr, over TLS when tlsConfig is given (which
// should require client certificates).
func Listen(addr string, tlsConfig *tls.Config, src Source) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening for status requests on %s (etcd.status_port): %w", addr, err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(src(ctx))
	})
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, ln: ln}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// Close stops answering.
func (s *Server) Close() error { return s.srv.Close() }

// Client asks instances for their reports.
type Client struct {
	http *http.Client
}

// NewClient makes a client; tlsConfig (with the peer certificate and CA)
// when peer TLS is on.
func NewClient(tlsConfig *tls.Config, timeout time.Duration) *Client {
	transport := &http.Transport{TLSClientConfig: tlsConfig, DisableKeepAlives: true,
		DialContext: (&net.Dialer{Timeout: timeout}).DialContext}
	return &Client{http: &http.Client{Transport: transport, Timeout: timeout}}
}

// Fetch asks the instance at url for its report, and tells how it answered.
func (c *Client) Fetch(ctx context.Context, url string) (Report, cluster.Reach, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Report{}, cluster.Unknown, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Report{}, reachOf(err), fmt.Errorf("asking %s for its status: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Report{}, cluster.Unknown, fmt.Errorf("asking %s for its status: %s", url, resp.Status)
	}
	var r Report
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&r); err != nil {
		return Report{}, cluster.Unknown, fmt.Errorf("reading the status of %s: %w", url, err)
	}
	return r, cluster.Answered, nil
}

// reachOf tells "nothing runs there" (refused, no route to the host) from
// everything else, which may hide a running instance.
func reachOf(err error) cluster.Reach {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return cluster.NotStarted
	}
	return cluster.Unknown
}
