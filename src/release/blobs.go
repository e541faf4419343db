package release

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// blobRecord is one entry of config/blobs.yml, keyed by its path under blobs/.
type blobRecord struct {
	Size     int64  `yaml:"size"`
	ObjectID string `yaml:"object_id,omitempty"`
	SHA      string `yaml:"sha"`
}

// syncBlobs fetches, as bosh-cli does before building, every blob that
// config/blobs.yml records as uploaded (it has an object_id) and that is
// missing from blobs/ or differs from its recorded digest. Blobs without an
// object_id exist only locally and are used as they are.
func syncBlobs(releaseDir string, store *localBlobstore) error {
	indexPath := filepath.Join(releaseDir, "config", "blobs.yml")
	var records map[string]blobRecord
	if _, err := readYAML(indexPath, &records); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(records)) {
		rec := records[name]
		if rec.ObjectID == "" {
			continue
		}
		local, err := blobLocalPath(releaseDir, name)
		if err != nil {
			return fmt.Errorf("%s: %w", indexPath, err)
		}
		if checkFileDigest(local, rec.SHA) == nil {
			continue
		}
		if store == nil {
			return fmt.Errorf("blob %s is missing or differs from config/blobs.yml, and config/final.yml configures no blobstore to fetch it from", name)
		}
		if err := fetchBlob(store, rec, local); err != nil {
			return fmt.Errorf("fetching blob %s: %w", name, err)
		}
	}
	return nil
}

func blobLocalPath(releaseDir, name string) (string, error) {
	clean := filepath.ToSlash(filepath.Clean(name))
	if filepath.IsAbs(name) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("blob path %q leaves blobs/", name)
	}
	return filepath.Join(releaseDir, "blobs", filepath.FromSlash(clean)), nil
}

func fetchBlob(store *localBlobstore, rec blobRecord, dst string) error {
	src, err := store.path(rec.ObjectID)
	if err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("%w; is blobstore_path in config/final.yml right?", err)
	}
	defer in.Close()
	return writeFileAtomic(dst, func(w io.Writer) error {
		d := newDigester()
		if _, err := io.Copy(io.MultiWriter(w, d), in); err != nil {
			return err
		}
		if err := d.check(rec.SHA); err != nil {
			return fmt.Errorf("blobstore object %s: %w", rec.ObjectID, err)
		}
		return nil
	})
}
