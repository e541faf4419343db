package release

import (
	"fmt"
	"path/filepath"
)

// finalBuilds is .final_builds/ and the blobstore holding its archives:
// every job and package archive that is part of a final release.
type finalBuilds struct {
	dir       string
	blobstore *localBlobstore // nil when config/final.yml configures none
}

// find attaches the final archive of a's fingerprint to a, if one is
// recorded. Its digest in the release manifest is the recorded one.
func (f finalBuilds) find(a *artifact) (bool, error) {
	indexPath := buildIndexPath(f.dir, a)
	ix, err := readBuildIndex(indexPath)
	if err != nil {
		return false, err
	}
	entry, ok := ix.lookup(a.fingerprint)
	if !ok {
		return false, nil
	}
	if f.blobstore == nil {
		return false, fmt.Errorf("%s records %s/%s in blob %s, but config/final.yml configures no blobstore to fetch it from; add blobstore.options.blobstore_path",
			indexPath, a.name, a.fingerprint, entry.BlobstoreID)
	}
	path, err := f.blobstore.path(entry.BlobstoreID)
	if err != nil {
		return false, fmt.Errorf("%s: %w", indexPath, err)
	}
	if err := checkFileDigest(path, entry.SHA1); err != nil {
		return false, fmt.Errorf("final build of %s (%s, blob %s) is not usable: %w; restore the blob or remove the entry from %s",
			a.label(), a.fingerprint, entry.BlobstoreID, err, indexPath)
	}
	a.archivePath, a.sha1 = path, entry.SHA1
	return true, nil
}

// add uploads a's archive to the blobstore and records it.
func (f finalBuilds) add(a *artifact) error {
	if f.blobstore == nil {
		return fmt.Errorf("a final release needs a blobstore for its archives; set blobstore.provider: local and blobstore.options.blobstore_path in config/final.yml")
	}
	id, err := f.blobstore.put(a.archivePath)
	if err != nil {
		return fmt.Errorf("uploading %s: %w", a.label(), err)
	}
	indexPath := buildIndexPath(f.dir, a)
	ix, err := readBuildIndex(indexPath)
	if err != nil {
		return err
	}
	ix.Builds[a.fingerprint] = buildEntry{Version: a.fingerprint, BlobstoreID: id, SHA1: a.sha1}
	if err := ix.write(indexPath); err != nil {
		return err
	}
	a.archivePath, err = f.blobstore.path(id)
	return err
}

func finalBuildsDir(releaseDir string) string {
	return filepath.Join(releaseDir, ".final_builds")
}
