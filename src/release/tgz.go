package release

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"
)

// archiveEpoch is every entry's mtime. Fixed times, owners and order make an
// archive a function of its content, so rebuilding it gives the same digest.
var archiveEpoch = time.Unix(0, 0)

// tgzWriter writes a deterministic gzipped tar. Callers add entries in a
// fixed order; missing parent directories are added first, mode 0755.
type tgzWriter struct {
	gz     *gzip.Writer
	tw     *tar.Writer
	prefix string // "./" in job and package archives, which bosh-cli makes with `tar -C dir .`
	dirs   map[string]bool
}

// Compression levels: job and package archives often hold blobs that are
// compressed already, so recompressing them hard buys nothing but minutes on
// a 100 MB toolchain; a release tarball holds only compressed archives.
const (
	archiveCompression = gzip.BestSpeed
	tarballCompression = gzip.NoCompression
)

func newTgzWriter(w io.Writer, prefix string, level int) (*tgzWriter, error) {
	gz, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, err
	}
	t := &tgzWriter{gz: gz, tw: tar.NewWriter(gz), prefix: prefix, dirs: map[string]bool{}}
	if prefix != "" {
		if err := t.writeHeader(&tar.Header{Typeflag: tar.TypeDir, Name: prefix, Mode: 0o755}); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// addDir adds directory name (slash-separated, relative).
func (t *tgzWriter) addDir(name string) error {
	if t.dirs[name] {
		return nil
	}
	if err := t.addParents(name); err != nil {
		return err
	}
	t.dirs[name] = true
	return t.writeHeader(&tar.Header{Typeflag: tar.TypeDir, Name: t.prefix + name + "/", Mode: 0o755})
}

// addFile adds a regular file of exactly size bytes read from content.
func (t *tgzWriter) addFile(name string, perm os.FileMode, size int64, content io.Reader) error {
	if err := t.addParents(name); err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: t.prefix + name, Mode: int64(perm.Perm()), Size: size}
	if err := t.writeHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(t.tw, content)
	if err != nil {
		return fmt.Errorf("archiving %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("archiving %s: read %d bytes, expected %d; did the file change during the build?", name, n, size)
	}
	return nil
}

// addSymlink adds a symlink to target.
func (t *tgzWriter) addSymlink(name, target string) error {
	if err := t.addParents(name); err != nil {
		return err
	}
	return t.writeHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: t.prefix + name, Linkname: target, Mode: 0o777})
}

// close flushes the tar and gzip streams; it does not close the underlying writer.
func (t *tgzWriter) close() error {
	if err := t.tw.Close(); err != nil {
		return fmt.Errorf("finishing tar stream: %w", err)
	}
	if err := t.gz.Close(); err != nil {
		return fmt.Errorf("finishing gzip stream: %w", err)
	}
	return nil
}

func (t *tgzWriter) addParents(name string) error {
	dir := path.Dir(name)
	if dir == "." || t.dirs[dir] {
		return nil
	}
	return t.addDir(dir)
}

func (t *tgzWriter) writeHeader(hdr *tar.Header) error {
	hdr.ModTime = archiveEpoch
	hdr.Format = tar.FormatPAX // PAX where a name is too long for USTAR; otherwise plain USTAR headers
	if err := t.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("archiving %s: %w", strings.TrimPrefix(hdr.Name, t.prefix), err)
	}
	return nil
}
