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
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// fetchArchive copies the release or stemcell (what) at loc (an http or
// https URL; see checkLocation) into dir, up to limit bytes, checks its
// digest when loc gives one, and returns the copy's path. A copy, because
// the backend's tarball is removed after use.
func fetchArchive(ctx context.Context, out *taskOutput, what, dir string, loc director.ReleaseLocation, limit int64) (string, error) {
	src, err := openURL(ctx, what, loc.Location)
	if err != nil {
		return "", err
	}
	defer src.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating upload directory: %w", err)
	}
	f, err := os.CreateTemp(dir, what+"-*.tgz")
	if err != nil {
		return "", fmt.Errorf("storing %s from %s: %w", what, loc.Location, err)
	}
	digest, expected, err := digestFor(loc.SHA1)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	out.Debugf("fetching %s from %s", what, loc.Location)
	n, copyErr := io.Copy(io.MultiWriter(f, digest), io.LimitReader(src, limit+1))
	closeErr := f.Close()
	if err := firstError(copyErr, closeErr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("fetching %s from %s: %w", what, loc.Location, err)
	}
	if n > limit {
		os.Remove(f.Name())
		return "", uploadTooLarge(what, limit)
	}
	if got := hex.EncodeToString(digest.Sum(nil)); expected != "" && got != expected {
		os.Remove(f.Name())
		return "", director.NewError(http.StatusBadRequest, director.CodeReleaseSHA1Mismatch,
			"%s SHA1 '%s' does not match the expected SHA1 '%s' of %s", capitalized(what), got, loc.SHA1, loc.Location)
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
		return nil, "", badRequest(director.CodeValidationInvalidValue, "sha1 %q is neither sha256:<hex> nor a 40-hex SHA-1", sum)
	}
}

// checkLocation accepts what the BOSH director downloads: an http or
// https URL. A path or file:// URL on the director's machine is refused: the
// director would read any file as root for whoever may call the API. The
// CLI uploads a local file itself (upload-release PATH, or file://PATH).
func checkLocation(what, location string) error {
	if location == "" {
		return badRequest(director.CodeValidationMissingField, "%s upload needs a 'location': an http:// or https:// URL", what)
	}
	u, err := url.Parse(location)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return badRequest(director.CodeValidationInvalidValue,
			"%s location %q: the director fetches only an http:// or https:// URL; upload a file on this machine as the %s tarball itself (upload-%s PATH)", what, location, what, what)
	}
	return nil
}

func openURL(ctx context.Context, what, location string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, location, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching %s from %s: %w", what, location, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s from %s: %w", what, location, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("fetching %s from %s: HTTP %s", what, location, resp.Status)
	}
	return resp.Body, nil
}

func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
