package director

import (
	"context"
	"fmt"
	"net/http"
)

// Instances lists every instance of a deployment, with or without a VM,
// with VM details (format=full). The director answers with a task whose
// result output holds one JSON line per instance; Instances waits for it.
func (c *Client) Instances(ctx context.Context, deployment string) ([]Instance, error) {
	return c.instanceDetails(ctx, deployment, "instances")
}

// VMs lists the instances of a deployment that have a VM, with VM details.
func (c *Client) VMs(ctx context.Context, deployment string) ([]Instance, error) {
	return c.instanceDetails(ctx, deployment, "vms")
}

func (c *Client) instanceDetails(ctx context.Context, deployment, resource string) ([]Instance, error) {
	path := "/deployments/" + escape(deployment) + "/" + resource + "?format=full"
	task, err := c.startTask(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return nil, fmt.Errorf("listing %s of deployment %q: %w", resource, deployment, err)
	}
	_, instances, err := taskResultLines[Instance](ctx, c, task.ID, nil)
	if err != nil {
		return nil, fmt.Errorf("listing %s of deployment %q: %w", resource, deployment, err)
	}
	return instances, nil
}

// RunErrand runs an errand and waits for it, handing its events to onEvent
// (may be nil). It returns the task and one result per instance the errand
// ran on; a non-zero exit code is a result, not an error.
func (c *Client) RunErrand(ctx context.Context, deployment, errand string, req ErrandRequest, onEvent func(TaskEvent)) (Task, []ErrandResult, error) {
	if req.Instances == nil {
		req.Instances = []InstanceSlug{}
	}
	body, err := jsonBody(req)
	if err != nil {
		return Task{}, nil, fmt.Errorf("encoding errand request: %w", err)
	}
	path := "/deployments/" + escape(deployment) + "/errands/" + escape(errand) + "/runs"
	task, err := c.startTask(ctx, request{
		method: http.MethodPost, path: path, body: body, length: int64(body.Len()), contentType: "application/json",
	})
	if err != nil {
		return Task{}, nil, fmt.Errorf("running errand %q of deployment %q: %w", errand, deployment, err)
	}
	final, results, err := taskResultLines[ErrandResult](ctx, c, task.ID, onEvent)
	if err != nil {
		return final, results, fmt.Errorf("running errand %q of deployment %q: %w", errand, deployment, err)
	}
	return final, results, nil
}
