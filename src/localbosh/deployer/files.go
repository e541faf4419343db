package deployer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"time"
)

// A VM's /var/vcap is its processes' to change, and root in a VM may leave
// symlinks there that lead anywhere on the host. The director therefore
// reaches into a VM's directory only through an os.Root (vm.VM.OpenRoot),
// which refuses every path that a symlink would lead out of it; and it
// copies trees with copyTree, which keeps symlinks as symlinks.

// copyTree copies the directory src under from into dst under to (created,
// or emptied first), keeping modes, owners, modification times and
// symlinks, as installing a package or job on a VM must. Paths are
// slash-separated and relative to their root; "." is the root itself.
func copyTree(from *os.Root, src string, to *os.Root, dst string) error {
	if err := resetDir(to, dst); err != nil {
		return err
	}
	err := fs.WalkDir(from.FS(), src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, target := p, dst
		if p != src {
			rel = p[len(src)+1:]
			if src == "." {
				rel = p
			}
			target = path.Join(dst, rel)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return copyEntry(from, p, to, target, info, p == src)
	})
	if err != nil {
		return fmt.Errorf("copying %s to %s: %w", path.Join(from.Name(), src), path.Join(to.Name(), dst), err)
	}
	return nil
}

// copyEntry copies one entry that WalkDir found (not following symlinks).
func copyEntry(from *os.Root, src string, to *os.Root, dst string, info fs.FileInfo, top bool) error {
	mode := info.Mode()
	switch {
	case mode.IsDir():
		if !top {
			if err := to.Mkdir(dst, 0o700); err != nil {
				return err
			}
		}
	case mode&fs.ModeSymlink != 0:
		link, err := from.Readlink(src)
		if err != nil {
			return err
		}
		if err := to.Symlink(link, dst); err != nil {
			return err
		}
	case mode.IsRegular():
		if err := copyFile(from, src, to, dst); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%s is neither a file, a directory nor a symlink (%s)", src, mode.Type())
	}
	if uid, gid, ok := owner(info); ok {
		if err := to.Lchown(dst, uid, gid); err != nil {
			return err
		}
	}
	if mode&fs.ModeSymlink != 0 {
		return nil
	}
	if err := to.Chmod(dst, mode&(fs.ModePerm|fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
		return err
	}
	return to.Chtimes(dst, time.Now(), info.ModTime())
}

func copyFile(from *os.Root, src string, to *os.Root, dst string) error {
	in, err := from.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := to.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// resetDir empties dir under root, creating it (and its parents) if needed.
func resetDir(root *os.Root, dir string) error {
	if dir != "." {
		if err := root.RemoveAll(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return root.MkdirAll(dir, 0o755)
	}
	entries, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := root.RemoveAll(e.Name()); err != nil {
			return err
		}
	}
	return nil
}

// installPackage copies a package the director keeps (dir, in the state
// directory) to dst in a VM's root.
func installPackage(dir string, vmRoot *os.Root, dst string) error {
	from, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer from.Close()
	return copyTree(from, ".", vmRoot, dst)
}

// keepPackage copies a package a VM compiled (src in its root) to dir, in
// the state directory.
func keepPackage(vmRoot *os.Root, src, dir string) error {
	to, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer to.Close()
	return copyTree(vmRoot, src, to, ".")
}
