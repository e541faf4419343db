package director

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Task fetches one task.
func (c *Client) Task(ctx context.Context, id int) (Task, error) {
	var task Task
	err := c.getJSON(ctx, fmt.Sprintf("/tasks/%d", id), &task)
	return task, err
}

// Tasks lists tasks, newest first.
func (c *Client) Tasks(ctx context.Context, filter TaskFilter) ([]Task, error) {
	q := url.Values{}
	if len(filter.States) > 0 {
		q.Set("state", strings.Join(filter.States, ","))
	}
	if filter.Deployment != "" {
		q.Set("deployment", filter.Deployment)
	}
	if filter.ContextID != "" {
		q.Set("context_id", filter.ContextID)
	}
	if filter.Limit > 0 {
		q.Set("limit", strconv.Itoa(filter.Limit))
	}
	if filter.Verbose > 0 {
		q.Set("verbose", strconv.Itoa(filter.Verbose))
	}
	path := "/tasks"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var tasks []Task
	err := c.getJSON(ctx, path, &tasks)
	return tasks, err
}

// TaskOutput fetches a task's whole output of one type (OutputEvent,
// OutputResult, OutputDebug); nil when it has none yet.
func (c *Client) TaskOutput(ctx context.Context, id int, outputType string) ([]byte, error) {
	chunk, _, err := c.TaskOutputChunk(ctx, id, outputType, 0)
	return chunk, err
}

// TaskOutputChunk fetches a task's output from byte offset on, with a Range
// request as the bosh CLI makes. It returns the new bytes (none when the
// director answers 416 or 204) and the offset to ask from next.
func (c *Client) TaskOutputChunk(ctx context.Context, id int, outputType string, offset int64) ([]byte, int64, error) {
	path := fmt.Sprintf("/tasks/%d/output?type=%s", id, url.QueryEscape(outputType))
	header := http.Header{}
	header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, header: header})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusRequestedRangeNotSatisfiable {
			return nil, offset, nil
		}
		return nil, offset, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, offset, fmt.Errorf("reading %s output of task %d: %w", outputType, id, err)
	}
	switch resp.StatusCode {
	case http.StatusNoContent:
		return nil, offset, nil
	case http.StatusPartialContent:
		return body, offset + int64(len(body)), nil
	case http.StatusOK:
		// The director ignored the range and sent everything: keep what is new.
		if int64(len(body)) <= offset {
			return nil, offset, nil
		}
		return body[offset:], int64(len(body)), nil
	default:
		return nil, offset, fmt.Errorf("reading %s output of task %d: unexpected HTTP %d", outputType, id, resp.StatusCode)
	}
}

// FollowTask polls a task until it reaches a final state, handing each
// complete line of its outputType output to onLine as it appears (nil onLine
// only waits). It returns the final task; a task that did not end done is
// also returned as a *TaskError.
func (c *Client) FollowTask(ctx context.Context, id int, outputType string, onLine func([]byte) error) (Task, error) {
	var offset int64
	var pending []byte
	for {
		// State first, then output: once a final state is seen, the output
		// fetched after it is complete.
		task, err := c.Task(ctx, id)
		if err != nil {
			return task, fmt.Errorf("waiting for task %d: %w", id, err)
		}
		if onLine != nil {
			var chunk []byte
			chunk, offset, err = c.TaskOutputChunk(ctx, id, outputType, offset)
			if err != nil {
				return task, fmt.Errorf("following task %d: %w", id, err)
			}
			pending = append(pending, chunk...)
			if pending, err = emitLines(pending, onLine); err != nil {
				return task, err
			}
		}
		if !task.IsRunning() {
			if onLine != nil && len(bytes.TrimSpace(pending)) > 0 {
				if err := onLine(pending); err != nil {
					return task, err
				}
			}
			if !task.Succeeded() {
				return task, &TaskError{ID: task.ID, State: task.State, Result: task.Result}
			}
			return task, nil
		}
		if err := sleep(ctx, c.poll); err != nil {
			return task, fmt.Errorf("waiting for task %d: %w", id, err)
		}
	}
}

// WaitTask waits for a task to finish, decoding its events for onEvent (may be nil).
func (c *Client) WaitTask(ctx context.Context, id int, onEvent func(TaskEvent)) (Task, error) {
	var onLine func([]byte) error
	if onEvent != nil {
		onLine = func(line []byte) error {
			var ev TaskEvent
			if err := json.Unmarshal(line, &ev); err != nil {
				return fmt.Errorf("decoding event of task %d %q: %w", id, line, err)
			}
			onEvent(ev)
			return nil
		}
	}
	return c.FollowTask(ctx, id, OutputEvent, onLine)
}

// emitLines hands each complete line of buf to onLine and returns the rest.
func emitLines(buf []byte, onLine func([]byte) error) ([]byte, error) {
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			return buf, nil
		}
		line := buf[:i]
		buf = buf[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := onLine(line); err != nil {
			return buf, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// taskResultLines waits for task id and decodes each line of its result
// output as T. It returns the final task.
func taskResultLines[T any](ctx context.Context, c *Client, id int, onEvent func(TaskEvent)) (Task, []T, error) {
	task, err := c.WaitTask(ctx, id, onEvent)
	if err != nil {
		return task, nil, err
	}
	out, err := c.TaskOutput(ctx, id, OutputResult)
	if err != nil {
		return task, nil, err
	}
	var items []T
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var item T
		if err := dec.Decode(&item); errors.Is(err, io.EOF) {
			return task, items, nil
		} else if err != nil {
			return task, items, fmt.Errorf("decoding result output of task %d: %w", id, err)
		}
		items = append(items, item)
	}
}
