package director

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Deployments lists the deployments.
func (c *Client) Deployments(ctx context.Context) ([]DeploymentSummary, error) {
	var deps []DeploymentSummary
	err := c.getJSON(ctx, "/deployments", &deps)
	return deps, err
}

// Deployment fetches the manifest last deployed as name.
func (c *Client) Deployment(ctx context.Context, name string) ([]byte, error) {
	var dep DeploymentManifest
	if err := c.getJSON(ctx, "/deployments/"+escape(name), &dep); err != nil {
		return nil, fmt.Errorf("fetching deployment %q: %w", name, err)
	}
	return []byte(dep.Manifest), nil
}

// Deploy creates or updates the deployment the manifest names and returns
// the "create deployment" task it starts.
func (c *Client) Deploy(ctx context.Context, manifest []byte, opts DeployOptions) (Task, error) {
	q := url.Values{}
	setTrue(q, "recreate", opts.Recreate)
	setTrue(q, "fix", opts.Fix)
	setTrue(q, "dry_run", opts.DryRun)
	if len(opts.SkipDrain) > 0 {
		q.Set("skip_drain", strings.Join(opts.SkipDrain, ","))
	}
	if opts.Canaries != "" {
		q.Set("canaries", opts.Canaries)
	}
	if opts.MaxInFlight != "" {
		q.Set("max_in_flight", opts.MaxInFlight)
	}
	task, err := c.startTask(ctx, request{
		method: http.MethodPost, path: withQuery("/deployments", q),
		body: bytes.NewReader(manifest), length: int64(len(manifest)), contentType: "text/yaml",
	})
	if err != nil {
		return Task{}, fmt.Errorf("deploying: %w", err)
	}
	return task, nil
}

// DeleteDeployment deletes a deployment and its instances; force ignores
// errors while deleting. It returns the "delete deployment" task.
func (c *Client) DeleteDeployment(ctx context.Context, name string, force bool) (Task, error) {
	q := url.Values{}
	setTrue(q, "force", force)
	task, err := c.startTask(ctx, request{method: http.MethodDelete, path: withQuery("/deployments/"+escape(name), q)})
	if err != nil {
		return Task{}, fmt.Errorf("deleting deployment %q: %w", name, err)
	}
	return task, nil
}

// ChangeJobState starts, stops, restarts or recreates an instance group, or
// one instance of it when id (an instance ID or index) is set.
func (c *Client) ChangeJobState(ctx context.Context, deployment, group, id string, opts JobStateOptions) (Task, error) {
	path := "/deployments/" + escape(deployment) + "/jobs/" + escape(group)
	if id != "" {
		path += "/" + escape(id)
	}
	q := url.Values{"state": {opts.State}}
	setTrue(q, "skip_drain", opts.SkipDrain)
	setTrue(q, "fix", opts.Fix)
	task, err := c.startTask(ctx, request{
		method: http.MethodPut, path: withQuery(path, q),
		body: bytes.NewReader(opts.Manifest), length: int64(len(opts.Manifest)), contentType: "text/yaml",
	})
	if err != nil {
		return Task{}, fmt.Errorf("changing %s of deployment %q to %s: %w", InstanceSlug{Group: group, ID: id}, deployment, opts.State, err)
	}
	return task, nil
}

func setTrue(q url.Values, key string, on bool) {
	if on {
		q.Set(key, "true")
	}
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
