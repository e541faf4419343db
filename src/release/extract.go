package release

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// extractTgz unpacks a job or package archive into dest. Entries may be
// directories, regular files and symlinks (packages keep symlinks). No entry
// may land outside dest, neither by its name nor through a symlink an
// earlier entry created.
func extractTgz(archive, dest string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name, err := entryName(hdr.Name)
		if err != nil {
			return err
		}
		if name == "" {
			continue // the archive's root, "./"
		}
		target := filepath.Join(dest, filepath.FromSlash(name))
		if err := noSymlinkBetween(dest, name); err != nil {
			return err
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(target, 0o755)
		case tar.TypeReg:
			err = writeEntry(target, os.FileMode(hdr.Mode).Perm(), tr)
		case tar.TypeSymlink:
			err = os.Symlink(hdr.Linkname, target)
		default:
			err = fmt.Errorf("entry %s has unsupported type %q; expected a file, directory or symlink", hdr.Name, hdr.Typeflag)
		}
		if err != nil {
			return err
		}
	}
}

// entryName cleans a tar entry name to a relative slash path ("" for the
// root) and refuses names that climb out of the archive.
func entryName(raw string) (string, error) {
	clean := path.Clean(strings.TrimPrefix(raw, "./"))
	if clean == "." {
		return "", nil
	}
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("entry %q points outside the archive", raw)
	}
	return clean, nil
}

// noSymlinkBetween refuses an entry whose parent directories within dest
// include a symlink, which could redirect the write elsewhere.
func noSymlinkBetween(dest, name string) error {
	dir := dest
	parts := strings.Split(name, "/")
	for _, part := range parts[:len(parts)-1] {
		dir = filepath.Join(dir, part)
		info, err := os.Lstat(dir)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if info.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("entry %q would be written through the symlink %s", name, dir)
		}
	}
	return nil
}

func writeEntry(target string, perm os.FileMode, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
