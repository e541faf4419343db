package release

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// localBlobstore is BOSH's "local" blobstore provider: one file per blob,
// named by its ID, in options.blobstore_path.
type localBlobstore struct {
	dir string
}

// path is where blob id lives. IDs come from index files, so one that could
// name a file outside the blobstore is refused.
func (b localBlobstore) path(id string) (string, error) {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, `/\`) {
		return "", fmt.Errorf("blob ID %q is not a plain file name", id)
	}
	return filepath.Join(b.dir, id), nil
}

// put copies the file at src into the blobstore under a new random ID.
func (b localBlobstore) put(src string) (string, error) {
	id, err := newUUID()
	if err != nil {
		return "", err
	}
	dst, err := b.path(id)
	if err != nil {
		return "", err
	}
	in, err := os.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	err = writeFileAtomic(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("copying %s into blobstore %s: %w", src, b.dir, err)
	}
	return id, nil
}

// newUUID returns a random (version 4) UUID, the form BOSH blobstore IDs
// and release index keys take.
func newUUID() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", fmt.Errorf("generating a UUID: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]), nil
}
