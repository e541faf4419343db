package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// uploadReleaseCmd is `upload-release [URL|PATH]`: upload a release tarball
// file (a path, or a file:// URL, as the bosh CLI reads those itself), have
// the director fetch one from an http(s) URL, or, with no argument, upload
// the latest dev release of the release directory.
type uploadReleaseCmd struct {
	dir  string
	sha1 string
}

func (c *uploadReleaseCmd) Flags(fs *flagSet) {
	fs.stringFlag(&c.dir, "dir", "", "DIR", "Release directory path if not current working directory")
	fs.stringFlag(&c.sha1, "sha1", "", "DIGEST", "SHA1 of the remote release (is not used with local files)")
}

func (c *uploadReleaseCmd) Run(ctx context.Context, s *Session, args []string) error {
	source := arg(args, 0)
	if source == "" {
		dir := c.dir
		if dir == "" {
			dir = "."
		}
		tmp, err := os.MkdirTemp("", "localbosh-upload-release-")
		if err != nil {
			return fmt.Errorf("creating a temporary directory for the release tarball: %w", err)
		}
		defer os.RemoveAll(tmp)
		source = filepath.Join(tmp, "release.tgz")
		if _, err := release.WriteDevReleaseTarball(dir, "", source); err != nil {
			return fmt.Errorf("uploading the latest dev release (choose the release directory with --dir, or give a release tarball or URL): %w", err)
		}
	}
	client, err := s.Director()
	if err != nil {
		return err
	}
	source = strings.TrimPrefix(source, "file://")
	var task director.Task
	if isReleaseURL(source) {
		task, err = client.UploadReleaseURL(ctx, source, c.sha1)
	} else {
		task, err = client.UploadReleaseFile(ctx, source)
	}
	if err != nil {
		return err
	}
	_, err = s.FollowTask(ctx, client, task)
	return err
}

// isReleaseURL tells a URL the director fetches itself from a local file.
func isReleaseURL(source string) bool {
	for _, scheme := range []string{"http://", "https://"} {
		if strings.HasPrefix(source, scheme) {
			return true
		}
	}
	return false
}
