package director

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
)

// ScanForProblems starts the cloud check's scan of a deployment
// (POST /deployments/:d/scans) and returns its task.
func (c *Client) ScanForProblems(ctx context.Context, deployment string) (Task, error) {
	body := []byte("{}")
	task, err := c.startTask(ctx, request{method: http.MethodPost, path: "/deployments/" + escape(deployment) + "/scans",
		body: bytes.NewReader(body), length: int64(len(body)), contentType: "application/json"})
	if err != nil {
		return Task{}, fmt.Errorf("scanning deployment %q for problems: %w", deployment, err)
	}
	return task, nil
}

// Problems lists the problems the last scan found.
func (c *Client) Problems(ctx context.Context, deployment string) ([]Problem, error) {
	var problems []Problem
	if err := c.getJSON(ctx, "/deployments/"+escape(deployment)+"/problems", &problems); err != nil {
		return nil, fmt.Errorf("listing the problems of deployment %q: %w", deployment, err)
	}
	return problems, nil
}

// ResolveProblems applies a resolution to each problem, by problem ID
// (PUT /deployments/:d/problems), and returns the task.
func (c *Client) ResolveProblems(ctx context.Context, deployment string, resolutions map[int]string) (Task, error) {
	byID := map[string]string{}
	for id, name := range resolutions {
		byID[strconv.Itoa(id)] = name
	}
	body, err := jsonBody(map[string]any{"resolutions": byID, "max_in_flight_overrides": map[string]string{}})
	if err != nil {
		return Task{}, err
	}
	task, err := c.startTask(ctx, request{method: http.MethodPut, path: "/deployments/" + escape(deployment) + "/problems",
		body: body, length: int64(body.Len()), contentType: "application/json"})
	if err != nil {
		return Task{}, fmt.Errorf("resolving the problems of deployment %q: %w", deployment, err)
	}
	return task, nil
}
