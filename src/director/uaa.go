package director

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Connect builds a client and asks the director how it authenticates
// (GET /info, which needs no credentials): with "basic" it sends
// cfg.Username and cfg.Password as basic auth; with "uaa" it gets a token
// for them as a UAA client (the client-credentials grant, as `bosh` does
// with BOSH_CLIENT and BOSH_CLIENT_SECRET) from the UAA URL /info names,
// trusting cfg.CACert there too, and renews it before it expires.
func Connect(ctx context.Context, cfg Config) (*Client, Info, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, Info{}, err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return nil, Info{}, fmt.Errorf("asking the director at %s how it authenticates: %w", c.URL(), err)
	}
	switch info.UserAuthentication.Type {
	case "", "basic":
		return c, info, nil
	case "uaa":
		raw, _ := info.UserAuthentication.Options["url"].(string)
		if raw == "" {
			return nil, info, fmt.Errorf("director %s uses UAA but /info names no UAA url", c.URL())
		}
		tokenURL, err := url.Parse(strings.TrimSuffix(raw, "/") + "/oauth/token")
		if err != nil {
			return nil, info, fmt.Errorf("director %s names UAA url %q: %w", c.URL(), raw, err)
		}
		c.uaa = &uaaTokens{url: tokenURL.String(), client: cfg.Username, secret: cfg.Password, http: c.http}
		if _, err := c.uaa.token(ctx); err != nil {
			return nil, info, err
		}
		return c, info, nil
	default:
		return nil, info, fmt.Errorf("director %s authenticates with %q: only basic and uaa are supported", c.URL(), info.UserAuthentication.Type)
	}
}

// uaaTokens holds a client-credentials token and renews it.
type uaaTokens struct {
	url, client, secret string
	http                *http.Client

	mu      sync.Mutex
	access  string
	expires time.Time
}

// token returns a token valid for at least another minute.
func (u *uaaTokens) token(ctx context.Context) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.access != "" && time.Until(u.expires) > time.Minute {
		return u.access, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.url, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(url.QueryEscape(u.client), url.QueryEscape(u.secret))
	resp, err := u.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("getting a UAA token from %s: %w", u.url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("getting a UAA token from %s for client %q: HTTP %d: %s (check BOSH_CLIENT and BOSH_CLIENT_SECRET)",
			u.url, u.client, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("reading the UAA token from %s: no access_token in %q", u.url, body)
	}
	u.access, u.expires = tok.AccessToken, time.Now().Add(time.Duration(tok.ExpiresIn)*time.Second)
	return u.access, nil
}
