package api

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// fetchRelease copies the release at loc (an absolute path, a file:// URL or
// an http(s) URL) into dir, checks its digest when loc gives one, and returns
// the copy's path. A copy, because the backend's tarball is removed after use.
func fetchRelease(ctx context.Context, out *taskOutput, dir string, loc director.ReleaseLocation) (string, error) {
	src, err := openReleaseLocation(ctx, loc.Location)
	if err != nil {
		return "", err
	}
	defer src.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating upload directory: %w", err)
	}
	f, err := os.CreateTemp(dir, "release-*.tgz")
	if err != nil {
		return "", fmt.Errorf("storing release from %s: %w", loc.Location, err)
	}
	digest, expected, err := digestFor(loc.SHA1)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	out.Debugf("fetching release from %s", loc.Location)
	_, copyErr := io.Copy(io.MultiWriter(f, digest), src)
	closeErr := f.Close()
	if err := firstError(copyErr, closeErr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("fetching release from %s: %w", loc.Location, err)
	}
	if got := hex.EncodeToString(digest.Sum(nil)); expected != "" && got != expected {
		os.Remove(f.Name())
		return "", director.NewError(http.StatusBadRequest, director.CodeReleaseSHA1Mismatch,
			"Release SHA1 '%s' does not match the expected SHA1 '%s' of %s", got, loc.SHA1, loc.Location)
	}
	return f.Name(), nil
}

// digestFor parses "sha256:<hex>" or a 40-hex SHA-1; empty checks nothing.
func digestFor(sum string) (hash.Hash, string, error) {
	switch {
	case sum == "":
		return sha256.New(), "", nil
	case strings.HasPrefix(sum, "sha256:"):
		return sha256.New(), strings.ToLower(strings.TrimPrefix(sum, "sha256:")), nil
	case len(sum) == 40:
		return sha1.New(), strings.ToLower(sum), nil
	default:
		return nil, "", badRequest(director.CodeValidationInvalidValue, "release sha1 %q is neither sha256:<hex> nor a 40-hex SHA-1", sum)
	}
}

func openReleaseLocation(ctx context.Context, location string) (io.ReadCloser, error) {
	if filepath.IsAbs(location) {
		return openReleaseFile(location)
	}
	u, err := url.Parse(location)
	if err != nil {
		return nil, badRequest(director.CodeValidationInvalidValue, "release location %q is neither an absolute path nor a URL: %v", location, err)
	}
	switch u.Scheme {
	case "file":
		return openReleaseFile(u.Path)
	case "http", "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
		if err != nil {
			return nil, fmt.Errorf("fetching release from %s: %w", location, err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("fetching release from %s: %w", location, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("fetching release from %s: HTTP %s", location, resp.Status)
		}
		return resp.Body, nil
	default:
		return nil, badRequest(director.CodeValidationInvalidValue, "release location %q: use an absolute path, file://, http:// or https://", location)
	}
}

func openReleaseFile(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, badRequest(director.CodeReleaseInvalidArchive, "opening release tarball on the director's machine: %v", err)
	}
	return f, nil
}
