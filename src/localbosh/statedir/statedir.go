// Package statedir is the one place that turns names into paths under a
// director's state directory. Every element of such a path is one name that
// boshname.Identifier accepts (no '/', never '.' or '..', no control
// characters), the result is inside the state directory, and no directory
// on the way is a symlink, so a path made here never leads out of it.
package statedir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
)

// ErrOutside is the error for a path that would leave the state directory.
var ErrOutside = errors.New("path leaves the state directory")

// Dir is a state directory.
type Dir struct{ root string }

// New takes an absolute path.
func New(root string) (Dir, error) {
	if !filepath.IsAbs(root) {
		return Dir{}, fmt.Errorf("state directory %q must be an absolute path", root)
	}
	return Dir{root: filepath.Clean(root)}, nil
}

// Root is the state directory itself.
func (d Dir) Root() string { return d.root }

// Path is the path of elems under the state directory, for example
// Path("deployments", name, "deployment.json"). An element that is not one
// plain name, or a directory on the way that is a symlink, is an error
// wrapping ErrOutside; nothing is created.
func (d Dir) Path(elems ...string) (string, error) {
	if d.root == "" {
		return "", fmt.Errorf("%w: no state directory given", ErrOutside)
	}
	for _, e := range elems {
		if err := boshname.Identifier.Check("path element", e); err != nil {
			return "", fmt.Errorf("%w (%s): %w", ErrOutside, filepath.Join(elems...), err)
		}
	}
	path := filepath.Join(append([]string{d.root}, elems...)...)
	if rel, err := filepath.Rel(d.root, path); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("%w: %s", ErrOutside, path)
	}
	dir := d.root
	for _, e := range elems[:max(len(elems)-1, 0)] {
		dir = filepath.Join(dir, e)
		info, err := os.Lstat(dir)
		if errors.Is(err, os.ErrNotExist) {
			break
		}
		if err != nil {
			return "", err
		}
		if info.Mode()&os.ModeSymlink != 0 {
			return "", fmt.Errorf("%w: %s is a symlink", ErrOutside, dir)
		}
	}
	return path, nil
}
