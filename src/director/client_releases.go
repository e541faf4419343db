package director

import (
	"context"
	"fmt"
	"net/http"
	"os"
)

// Releases lists the uploaded releases.
func (c *Client) Releases(ctx context.Context) ([]Release, error) {
	var releases []Release
	err := c.getJSON(ctx, "/releases", &releases)
	return releases, err
}

// UploadReleaseFile streams a release tarball to the director and returns
// the "create release" task it starts.
func (c *Client) UploadReleaseFile(ctx context.Context, path string) (Task, error) {
	f, err := os.Open(path)
	if err != nil {
		return Task{}, fmt.Errorf("opening release tarball: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Task{}, fmt.Errorf("reading release tarball %s: %w", path, err)
	}
	if info.Size() == 0 {
		return Task{}, fmt.Errorf("release tarball %s is empty: create it again with create-release --tarball", path)
	}
	task, err := c.startTask(ctx, request{
		method: http.MethodPost, path: "/releases", body: f, length: info.Size(),
		contentType: "application/x-compressed",
	})
	if err != nil {
		return Task{}, fmt.Errorf("uploading release %s: %w", path, err)
	}
	return task, nil
}

// UploadReleaseURL asks the director to fetch a release tarball itself from
// location (a URL, or for localbosh an absolute path on its machine), checked
// against sha1 ("sha256:<hex>" or 40-hex SHA-1) when given.
func (c *Client) UploadReleaseURL(ctx context.Context, location, sha1 string) (Task, error) {
	body, err := jsonBody(ReleaseLocation{Location: location, SHA1: sha1})
	if err != nil {
		return Task{}, fmt.Errorf("encoding release location: %w", err)
	}
	task, err := c.startTask(ctx, request{
		method: http.MethodPost, path: "/releases", body: body, length: int64(body.Len()),
		contentType: "application/json",
	})
	if err != nil {
		return Task{}, fmt.Errorf("uploading release from %s: %w", location, err)
	}
	return task, nil
}
