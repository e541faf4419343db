package release

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// devBuilds is .dev_builds/: the archives built for dev releases, found
// again by fingerprint so an unchanged job or package is never re-archived.
// Its index files are bosh-cli's; the archives themselves, which bosh-cli
// keeps in ~/.bosh/cache, sit beside them as <fingerprint>.tgz so a release
// directory carries its own cache.
type devBuilds struct {
	dir string
}

func (d devBuilds) archivePath(a *artifact) string {
	return filepath.Join(d.dir, string(a.kind), a.name, a.fingerprint+".tgz")
}

// find attaches a cached archive of a's fingerprint to a, if there is one
// whose content still has the recorded digest. A damaged or missing cached
// archive is simply rebuilt.
func (d devBuilds) find(a *artifact) (bool, error) {
	ix, err := readBuildIndex(buildIndexPath(d.dir, a))
	if err != nil {
		return false, err
	}
	entry, ok := ix.lookup(a.fingerprint)
	if !ok {
		return false, nil
	}
	path := d.archivePath(a)
	if err := checkFileDigest(path, entry.SHA1); err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrDigestMismatch) {
			return false, nil
		}
		return false, fmt.Errorf("checking cached archive of %s: %w", a.label(), err)
	}
	a.archivePath, a.sha1 = path, entry.SHA1
	return true, nil
}

// attachCached attaches a's cached archive to a. The archive must have
// digest want, the one a recorded release manifest holds for it; unlike in
// find, a missing or damaged archive is an error, as nothing rebuilds it here.
func (d devBuilds) attachCached(a *artifact, want string) error {
	path := d.archivePath(a)
	if err := checkFileDigest(path, want); err != nil {
		return fmt.Errorf("cached archive %s of %s, for which the release manifest records %s: %w; run create-release again to rebuild it",
			path, a.label(), want, err)
	}
	a.archivePath, a.sha1 = path, want
	return nil
}

// build writes a's archive with write, digesting it on the way, and records it.
func (d devBuilds) build(a *artifact, write func(io.Writer) error) error {
	path := d.archivePath(a)
	h := sha256.New()
	err := writeFileAtomic(path, func(w io.Writer) error {
		return write(io.MultiWriter(w, h))
	})
	if err != nil {
		return err
	}
	sha := sha256Prefix + hex.EncodeToString(h.Sum(nil))

	indexPath := buildIndexPath(d.dir, a)
	ix, err := readBuildIndex(indexPath)
	if err != nil {
		return err
	}
	ix.Builds[a.fingerprint] = buildEntry{Version: a.fingerprint, SHA1: sha}
	if err := ix.write(indexPath); err != nil {
		return err
	}
	a.archivePath, a.sha1 = path, sha
	return nil
}
