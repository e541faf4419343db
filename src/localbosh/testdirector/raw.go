package testdirector

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Response is a raw answer of the director.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Request sends one request as written, with the director's credentials,
// and does not follow redirects: for tests that replay what another
// client (the bosh CLI) sends and check each answer.
func (d *Director) Request(ctx context.Context, method, path string, header http.Header, body string) (Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "https://"+d.addr+path, strings.NewReader(body))
	if err != nil {
		return Response{}, err
	}
	if body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.SetBasicAuth(d.creds.Username, d.creds.Password)
	c := &http.Client{Transport: d.transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		return Response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: data}, err
}

// FollowTaskAsCLI waits for a task as the bosh CLI's task client does: it
// polls GET /tasks/:id, reads the event output with Range requests from
// the offset it reached (206 with more, 416 nothing new, 204 none yet),
// and once the task is over, GET /tasks/:id/output?type=result. It returns
// the final task state, the event output and the result output.
func (d *Director) FollowTaskAsCLI(ctx context.Context, id int) (state string, events, result []byte, err error) {
	offset := 0
	for {
		resp, err := d.Request(ctx, http.MethodGet, fmt.Sprintf("/tasks/%d", id), nil, "")
		if err != nil {
			return "", nil, nil, err
		}
		if resp.Status != http.StatusOK {
			return "", nil, nil, fmt.Errorf("GET /tasks/%d: HTTP %d %s", id, resp.Status, resp.Body)
		}
		state = taskState(resp.Body)
		out, err := d.Request(ctx, http.MethodGet, fmt.Sprintf("/tasks/%d/output?type=event", id),
			http.Header{"Range": {"bytes=" + strconv.Itoa(offset) + "-"}}, "")
		if err != nil {
			return "", nil, nil, err
		}
		switch out.Status {
		case http.StatusPartialContent, http.StatusOK:
			events = append(events, out.Body...)
			offset += len(out.Body)
		case http.StatusRequestedRangeNotSatisfiable, http.StatusNoContent:
		default:
			return "", nil, nil, fmt.Errorf("GET event output of task %d: HTTP %d", id, out.Status)
		}
		if state != "queued" && state != "processing" && state != "cancelling" {
			res, err := d.Request(ctx, http.MethodGet, fmt.Sprintf("/tasks/%d/output?type=result", id), nil, "")
			if err != nil {
				return "", nil, nil, err
			}
			return state, events, res.Body, nil
		}
		select {
		case <-ctx.Done():
			return "", nil, nil, ctx.Err()
		case <-time.After(d.opts.PollInterval):
		}
	}
}

func taskState(body []byte) string {
	var t struct {
		State string `json:"state"`
	}
	_ = json.Unmarshal(body, &t)
	return t.State
}
