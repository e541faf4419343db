package director

import (
	"bytes"
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
	"strings"
	"time"
)

// DefaultPort is the director's port when a URL names none.
const DefaultPort = "25555"

// DefaultPollInterval is how often WaitTask polls, as the bosh CLI does.
const DefaultPollInterval = 500 * time.Millisecond

// Config says how to reach a director.
type Config struct {
	// URL is "https://host:port", "host:port" or "host" (port 25555).
	URL string
	// CACert is the PEM of the CA that signed the director's certificate;
	// empty trusts the system roots.
	CACert []byte
	// Username and Password are the basic-auth credentials (BOSH_CLIENT,
	// BOSH_CLIENT_SECRET); against a director whose /info names UAA they
	// are a UAA client's id and secret (see Connect).
	Username string
	Password string
	// HTTPClient, when set, is used instead of a client built from CACert
	// (its redirect policy is replaced: the client follows task redirects itself).
	HTTPClient *http.Client
	// ContextID is sent as X-Bosh-Context-Id and recorded on the tasks it starts (<= 64 chars).
	ContextID string
	// PollInterval is how often task state and output are polled; 0 = DefaultPollInterval.
	PollInterval time.Duration
}

// Client talks to a BOSH director.
type Client struct {
	base *url.URL
	cfg  Config
	http *http.Client
	poll time.Duration
	uaa  *uaaTokens // set by Connect when the director uses UAA
}

// New checks cfg and builds a client. It does not contact the director.
func New(cfg Config) (*Client, error) {
	base, err := normalizeURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if len(cfg.ContextID) > 64 {
		return nil, fmt.Errorf("context id %q is %d characters long: the director accepts at most 64", cfg.ContextID, len(cfg.ContextID))
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient, err = newHTTPClient(cfg.CACert)
		if err != nil {
			return nil, err
		}
	} else {
		copied := *httpClient
		httpClient = &copied
	}
	// Task starters answer with a redirect to /tasks/<id>; follow it ourselves,
	// by path against the configured URL, as the bosh CLI does: the director
	// may name itself by an address this machine cannot reach.
	httpClient.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	poll := cfg.PollInterval
	if poll <= 0 {
		poll = DefaultPollInterval
	}
	return &Client{base: base, cfg: cfg, http: httpClient, poll: poll}, nil
}

// URL is the director's base URL.
func (c *Client) URL() string { return c.base.String() }

func normalizeURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("director URL is empty: set BOSH_ENVIRONMENT (for example https://10.244.0.1:25555)")
	}
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("parsing director URL %q: %w", raw, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("director URL %q has scheme %q: use https://host:port", raw, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("director URL %q names no host: use https://host:port", raw)
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), DefaultPort)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

func newHTTPClient(caPEM []byte) (*http.Client, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(bytes.TrimSpace(caPEM)) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, errors.New("director CA certificate holds no PEM certificate: set BOSH_CA_CERT to the CA's PEM or to a file holding it")
		}
		tlsConfig.RootCAs = pool
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConfig
	return &http.Client{Transport: transport}, nil
}

// request is one HTTP call to the director.
type request struct {
	method      string
	path        string // may carry a query
	body        io.Reader
	length      int64 // body length; 0 with a body = unknown
	contentType string
	header      http.Header
}

// do sends req and returns the response with a 2xx or 3xx status; any other
// status becomes an *Error. The caller closes the body.
func (c *Client) do(ctx context.Context, req request) (*http.Response, error) {
	target := c.base.String() + req.path
	httpReq, err := http.NewRequestWithContext(ctx, req.method, target, req.body)
	if err != nil {
		return nil, fmt.Errorf("building request %s %s: %w", req.method, req.path, err)
	}
	if req.length > 0 {
		httpReq.ContentLength = req.length
	}
	for k, vs := range req.header {
		for _, v := range vs {
			httpReq.Header.Add(k, v)
		}
	}
	if req.contentType != "" {
		httpReq.Header.Set("Content-Type", req.contentType)
	}
	switch {
	case c.uaa != nil:
		token, err := c.uaa.token(ctx)
		if err != nil {
			return nil, err
		}
		httpReq.Header.Set("Authorization", "bearer "+token)
	case c.cfg.Username != "" || c.cfg.Password != "":
		httpReq.SetBasicAuth(c.cfg.Username, c.cfg.Password)
	}
	if c.cfg.ContextID != "" {
		httpReq.Header.Set("X-Bosh-Context-Id", c.cfg.ContextID)
	}
	resp, err := c.http.Do(httpReq)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.method, target, err)
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return resp, fmt.Errorf("%s %s: %w", req.method, req.path, readError(resp))
	}
	return resp, nil
}

// readError turns a failed response into an *Error, from its {code,
// description} body when it has one.
func readError(resp *http.Response) *Error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	de := &Error{StatusCode: resp.StatusCode}
	if json.Unmarshal(body, de) == nil && de.Description != "" {
		return de
	}
	de.Code = 0
	de.Description = strings.TrimSpace(string(body))
	if resp.StatusCode == http.StatusUnauthorized {
		de.Description += " (check BOSH_CLIENT and BOSH_CLIENT_SECRET)"
	}
	return de
}

// getJSON decodes the body of GET path into out.
func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding response of GET %s: %w", path, err)
	}
	return nil
}

// startTask sends a task-starting request and follows its redirect to the
// task, returning the task as the director reports it right after.
func (c *Client) startTask(ctx context.Context, req request) (Task, error) {
	resp, err := c.do(ctx, req)
	if err != nil {
		return Task{}, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusFound, http.StatusSeeOther, http.StatusMovedPermanently, http.StatusTemporaryRedirect:
	default:
		return Task{}, fmt.Errorf("%s %s: expected a redirect to the started task, got HTTP %d", req.method, req.path, resp.StatusCode)
	}
	loc, err := resp.Location()
	if err != nil {
		return Task{}, fmt.Errorf("%s %s: reading the task redirect: %w", req.method, req.path, err)
	}
	var task Task
	if err := c.getJSON(ctx, loc.Path, &task); err != nil {
		return Task{}, fmt.Errorf("reading the task started by %s %s: %w", req.method, req.path, err)
	}
	return task, nil
}

// escape quotes one path segment. "." and ".." are sent escaped, as the
// director's own names never are, so that no HTTP stack takes them for a
// step up the path and the director sees (and refuses) them as names.
func escape(segment string) string {
	if segment == "." || segment == ".." {
		return strings.ReplaceAll(segment, ".", "%2E")
	}
	return url.PathEscape(segment)
}

func jsonBody(v any) (*bytes.Buffer, error) {
	buf := &bytes.Buffer{}
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return nil, err
	}
	return buf, nil
}
