package turbulence

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one VM's agent.
type Client struct {
	// URL is "http://<ip>:<port>".
	URL                string
	Username, Password string
	HTTP               *http.Client
}

// Drop cuts the VM off from addrs, both ways.
func (c Client) Drop(ctx context.Context, addrs ...string) error {
	return c.call(ctx, http.MethodPut, "/drop", url.Values{"addr": addrs})
}

// Restore removes the drops of addrs, or every drop when none is given.
func (c Client) Restore(ctx context.Context, addrs ...string) error {
	q := url.Values{}
	if len(addrs) > 0 {
		q["addr"] = addrs
	}
	return c.call(ctx, http.MethodDelete, "/drop", q)
}

// Kill sends SIGKILL to the processes running a package's bin/process.
func (c Client) Kill(ctx context.Context, process string) error {
	return c.call(ctx, http.MethodPost, "/kill", url.Values{"process": {process}})
}

// Pause stops (SIGSTOP) the process; Resume continues it.
func (c Client) Pause(ctx context.Context, process string) error {
	return c.call(ctx, http.MethodPost, "/pause", url.Values{"process": {process}})
}

// Resume continues (SIGCONT) a paused process.
func (c Client) Resume(ctx context.Context, process string) error {
	return c.call(ctx, http.MethodPost, "/resume", url.Values{"process": {process}})
}

// Stop stops a job through monit and waits for its process to end; with
// deleteData it then empties /var/vcap/store/<job>.
func (c Client) Stop(ctx context.Context, job string, deleteData bool) error {
	q := url.Values{"job": {job}}
	if deleteData {
		q.Set("delete_data", "true")
	}
	return c.call(ctx, http.MethodPost, "/stop", q)
}

// Start starts a job through monit.
func (c Client) Start(ctx context.Context, job string) error {
	return c.call(ctx, http.MethodPost, "/start", url.Values{"job": {job}})
}

// KillVM kills every process of the VM, the agent included.
func (c Client) KillVM(ctx context.Context) error {
	return c.call(ctx, http.MethodPost, "/kill-vm", nil)
}

// Health succeeds once the agent answers.
func (c Client) Health(ctx context.Context) error {
	return c.call(ctx, http.MethodGet, "/health", nil)
}

func (c Client) call(ctx context.Context, method, path string, q url.Values) error {
	target := strings.TrimSuffix(c.URL, "/") + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.Username, c.Password)
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 3 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("turbulence agent %s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return fmt.Errorf("turbulence agent %s %s: HTTP %d: %s", method, target, resp.StatusCode, e.Error)
		}
		return fmt.Errorf("turbulence agent %s %s: HTTP %d: %s", method, target, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}
