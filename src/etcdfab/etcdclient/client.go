// Package etcdclient is etcdfab's adapter over the etcd v3 client: member
// management, status and health, in terms of cluster.Member.
package etcdclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cluster"
)

// Client talks to an etcd cluster through a fixed set of endpoints.
type Client struct {
	endpoints []string
	c         *clientv3.Client
	tls       *tls.Config
}

// Dial prepares a client for endpoints; it does not block on connecting, so
// every call needs a context with a deadline. When tlsConfig names a
// ServerName, every member's certificate is checked against it, whatever
// address the endpoint gives: etcdfab dials members by IP, their
// certificates name the DNS suffix.
func Dial(endpoints []string, tlsConfig *tls.Config) (*Client, error) {
	c, err := NewV3(endpoints, tlsConfig)
	if err != nil {
		return nil, err
	}
	return &Client{endpoints: endpoints, c: c, tls: tlsConfig}, nil
}

// NewV3 is a plain etcd v3 client for endpoints, with Dial's handling of
// tlsConfig.ServerName, for callers that want the whole client API.
func NewV3(endpoints []string, tlsConfig *tls.Config) (*clientv3.Client, error) {
	if len(endpoints) == 0 {
		return nil, errors.New("no etcd endpoints to dial")
	}
	cfg := clientv3.Config{Endpoints: endpoints, TLS: tlsConfig, Logger: zap.NewNop(),
		DialOptions: []grpc.DialOption{grpc.WithConnectParams(reconnect)}}
	if tlsConfig != nil && tlsConfig.ServerName != "" {
		// grpc checks a certificate against the endpoint's host, never
		// against tls.Config.ServerName; this credential fixes the name.
		cfg.DialOptions = append(cfg.DialOptions, grpc.WithTransportCredentials(
			namedTLS{TransportCredentials: credentials.NewTLS(tlsConfig), name: tlsConfig.ServerName}))
	}
	c, err := clientv3.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating etcd client for %s: %w", strings.Join(endpoints, ","), err)
	}
	return c, nil
}

// reconnect bounds grpc's wait between attempts to reach a member at 1 s.
// grpc's default grows to 2 minutes, so after a member had been down for
// a while (a restart in a long deploy) its clients kept failing for
// seconds after it was back.
var reconnect = grpc.ConnectParams{
	Backoff:           backoff.Config{BaseDelay: 100 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: time.Second},
	MinConnectTimeout: 5 * time.Second,
}

// namedTLS verifies servers against a fixed name.
type namedTLS struct {
	credentials.TransportCredentials
	name string
}

func (n namedTLS) ClientHandshake(ctx context.Context, _ string, conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	return n.TransportCredentials.ClientHandshake(ctx, n.name, conn)
}

func (n namedTLS) Clone() credentials.TransportCredentials {
	return namedTLS{TransportCredentials: n.TransportCredentials.Clone(), name: n.name}
}

// Close releases the client's connections.
func (c *Client) Close() error { return c.c.Close() }

// Members lists the cluster's members with the ID of the cluster that
// answered. A linearizable list goes through the leader and a quorum, so it
// is the cluster's own word, not one member's possibly stale view.
func (c *Client) Members(ctx context.Context) (cluster.List, error) {
	resp, err := c.c.MemberList(ctx)
	if err != nil {
		return cluster.List{}, fmt.Errorf("listing members through %s: %w", c.describe(), err)
	}
	return cluster.List{From: c.describe(), ClusterID: resp.Header.ClusterId, Members: members(resp.Members)}, nil
}

// AddLearner adds a non-voting member at peerURL and returns it with the
// member list that includes it.
func (c *Client) AddLearner(ctx context.Context, peerURL string) (cluster.Member, []cluster.Member, error) {
	resp, err := c.c.MemberAddAsLearner(ctx, []string{peerURL})
	if err != nil {
		return cluster.Member{}, nil, fmt.Errorf("adding learner %s through %s: %w", peerURL, c.describe(), err)
	}
	return member(resp.Member), members(resp.Members), nil
}

// Promote makes a learner a voting member; etcd refuses until it caught up.
func (c *Client) Promote(ctx context.Context, id uint64) error {
	if _, err := c.c.MemberPromote(ctx, id); err != nil {
		return fmt.Errorf("promoting member %x through %s: %w", id, c.describe(), err)
	}
	return nil
}

// Remove removes a member.
func (c *Client) Remove(ctx context.Context, id uint64) error {
	if _, err := c.c.MemberRemove(ctx, id); err != nil {
		return fmt.Errorf("removing member %x through %s: %w", id, c.describe(), err)
	}
	return nil
}

// UpdatePeerURLs replaces a member's advertised peer URLs.
func (c *Client) UpdatePeerURLs(ctx context.Context, id uint64, peerURLs []string) error {
	if _, err := c.c.MemberUpdate(ctx, id, peerURLs); err != nil {
		return fmt.Errorf("updating peer URLs of member %x to %s through %s: %w", id, strings.Join(peerURLs, ","), c.describe(), err)
	}
	return nil
}

// Status is one member's view of itself and the cluster.
type Status struct {
	ClusterID uint64
	MemberID  uint64
	Leader    uint64
	RaftIndex uint64
	IsLearner bool
	Errors    []string
	// Version is the member's etcd (server) version, StorageVersion the
	// version its data is stored for; Downgrade is the cluster's downgrade
	// target while a downgrade is enabled, or empty.
	Version        string
	StorageVersion string
	Downgrade      string
}

// Status asks the member at endpoint for its status.
func (c *Client) Status(ctx context.Context, endpoint string) (Status, error) {
	resp, err := c.c.Status(ctx, endpoint)
	if err != nil {
		return Status{}, fmt.Errorf("getting status of %s: %w", endpoint, err)
	}
	return Status{
		ClusterID: resp.Header.ClusterId,
		MemberID:  resp.Header.MemberId,
		Leader:    resp.Leader,
		RaftIndex: resp.RaftIndex,
		IsLearner: resp.IsLearner,
		Errors:    resp.Errors,

		Version:        resp.Version,
		StorageVersion: resp.StorageVersion,
		Downgrade:      downgradeTarget(resp.DowngradeInfo),
	}, nil
}

func downgradeTarget(d *etcdserverpb.DowngradeInfo) string {
	if d == nil || !d.Enabled {
		return ""
	}
	return d.TargetVersion
}

// Versions is what etcd's version API (GET /version on a client URL)
// answers: the member's server version, the cluster's version (the lowest
// minor its members run, or a downgrade's target) and its storage version.
type Versions struct {
	Server  string `json:"etcdserver"`
	Cluster string `json:"etcdcluster"`
	Storage string `json:"storage"`
}

// Versions asks the member at endpoint (a client URL) for its versions.
func (c *Client) Versions(ctx context.Context, endpoint string) (Versions, error) {
	var v Versions
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(endpoint, "/")+"/version", nil)
	if err != nil {
		return v, fmt.Errorf("asking %s for its versions: %w", endpoint, err)
	}
	tr := &http.Transport{TLSClientConfig: c.tls, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return v, fmt.Errorf("asking %s for its versions: %w", endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return v, fmt.Errorf("asking %s for its versions: HTTP %s", endpoint, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&v); err != nil {
		return v, fmt.Errorf("parsing the versions %s answers: %w", endpoint, err)
	}
	return v, nil
}

// Snapshot streams a snapshot of the member's data into w.
func (c *Client) Snapshot(ctx context.Context, w io.Writer) (int64, error) {
	rc, err := c.c.Snapshot(ctx)
	if err != nil {
		return 0, fmt.Errorf("starting a snapshot through %s: %w", c.describe(), err)
	}
	defer rc.Close()
	n, err := io.Copy(w, rc)
	if err != nil {
		return n, fmt.Errorf("receiving a snapshot through %s: %w", c.describe(), err)
	}
	return n, nil
}

// Downgrade asks the cluster to validate, enable or cancel a downgrade to
// target (major.minor, for example 3.6), and returns the cluster version it
// answers with.
func (c *Client) Downgrade(ctx context.Context, action string, target string) (string, error) {
	actions := map[string]clientv3.DowngradeAction{
		"validate": clientv3.DowngradeValidate, "enable": clientv3.DowngradeEnable, "cancel": clientv3.DowngradeCancel,
	}
	a, ok := actions[action]
	if !ok {
		return "", fmt.Errorf("unknown downgrade action %q; use validate, enable or cancel", action)
	}
	resp, err := c.c.Downgrade(ctx, a, target)
	if err != nil {
		return "", fmt.Errorf("downgrade %s %s through %s: %w", action, target, c.describe(), err)
	}
	return resp.Version, nil
}

// MoveLeader hands leadership to another voting member; it must reach the
// current leader, so the client should hold the leader's endpoint.
func (c *Client) MoveLeader(ctx context.Context, to uint64) error {
	if _, err := c.c.MoveLeader(ctx, to); err != nil {
		return fmt.Errorf("moving leadership to %x through %s: %w", to, c.describe(), err)
	}
	return nil
}

// CheckQuorum does a linearizable read, which succeeds only when the member
// answering is part of a cluster with a leader and quorum.
func (c *Client) CheckQuorum(ctx context.Context) error {
	if _, err := c.c.Get(ctx, "etcdfab-health-check"); err != nil {
		return fmt.Errorf("linearizable read through %s: %w", c.describe(), err)
	}
	return nil
}

func (c *Client) describe() string { return strings.Join(c.endpoints, ",") }

// IsBusyWithMembership reports refusals of a membership change that pass by
// themselves: another learner is still catching up (etcd admits one at a
// time), or the leader has not yet heard from a majority since the last
// change.
func IsBusyWithMembership(err error) bool {
	return errors.Is(err, rpctypes.ErrTooManyLearners) || errors.Is(err, rpctypes.ErrUnhealthy) ||
		errors.Is(err, rpctypes.ErrTimeout) || errors.Is(err, rpctypes.ErrTimeoutDueToLeaderFail) ||
		errors.Is(err, rpctypes.ErrTimeoutDueToConnectionLost) || errors.Is(err, rpctypes.ErrNoLeader)
}

// IsPeerURLExist: a member with that peer URL is already listed.
func IsPeerURLExist(err error) bool { return errors.Is(err, rpctypes.ErrPeerURLExist) }

// IsLearnerNotReady: the learner has not caught up with the leader yet.
func IsLearnerNotReady(err error) bool { return errors.Is(err, rpctypes.ErrMemberLearnerNotReady) }

// IsTooManyLearners: etcd admits no further learner until one is promoted
// or removed.
func IsTooManyLearners(err error) bool { return errors.Is(err, rpctypes.ErrTooManyLearners) }

// IsMemberNotLearner: the member was promoted already.
func IsMemberNotLearner(err error) bool { return errors.Is(err, rpctypes.ErrMemberNotLearner) }

// IsMemberNotFound: the member is already gone.
func IsMemberNotFound(err error) bool { return errors.Is(err, rpctypes.ErrMemberNotFound) }

// ErrNotListening: nothing accepts connections at an endpoint.
var ErrNotListening = errors.New("nothing listens there")

// Listening checks with a plain TCP connection that something accepts
// connections at endpoint (a URL). A gRPC call to an address where nothing
// listens waits for its whole deadline; this answers at once.
func Listening(ctx context.Context, endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("parsing endpoint %q: %w", endpoint, err)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrNotListening, endpoint, err)
	}
	return conn.Close()
}

// IsUnreachable reports errors that mean no etcd answered at all, as
// opposed to an etcd that answered with a refusal.
func IsUnreachable(err error) bool {
	if errors.Is(err, ErrNotListening) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return true
	}
	var etcdErr rpctypes.EtcdError
	if errors.As(err, &etcdErr) {
		return false
	}
	s, ok := status.FromError(errors.Unwrap(err))
	if !ok {
		s, ok = status.FromError(err)
	}
	return ok && (s.Code() == codes.Unavailable || s.Code() == codes.DeadlineExceeded)
}

// TLSConfig builds a client TLS configuration from PEM files: the CA bundle
// to verify servers with, and the certificate and key to present.
func TLSConfig(caFile, certFile, keyFile string) (*tls.Config, error) {
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading CA bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", caFile)
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading client certificate %s and key %s: %w", certFile, keyFile, err)
	}
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
}

func members(pbs []*etcdserverpb.Member) []cluster.Member {
	out := make([]cluster.Member, 0, len(pbs))
	for _, m := range pbs {
		out = append(out, member(m))
	}
	return out
}

func member(m *etcdserverpb.Member) cluster.Member {
	return cluster.Member{ID: m.ID, Name: m.Name, PeerURLs: m.PeerURLs, ClientURLs: m.ClientURLs, IsLearner: m.IsLearner}
}
