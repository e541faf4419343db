package release

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
)

// writeArchive writes a's archive to w. Files stream from where they are
// into the gzipped tar in one pass, each digested again on the way so a file
// that changed since fingerprinting fails the build instead of giving an
// archive its fingerprint does not describe (bosh-cli compares a staging
// copy's fingerprint for the same reason). A package with pre_packaging is
// copied to a staging directory first because the script may change it.
func writeArchive(ctx context.Context, a *artifact, releaseDir string, w io.Writer, scriptOutput io.Writer) error {
	tz, err := newTgzWriter(w, "./", archiveCompression)
	if err != nil {
		return err
	}
	if a.prePackaging == "" {
		err = archiveEntries(tz, a.entries)
	} else {
		err = archivePrePackaged(ctx, tz, a, releaseDir, scriptOutput)
	}
	if err != nil {
		return fmt.Errorf("archiving %s: %w", a.label(), err)
	}
	return tz.close()
}

func archiveEntries(tz *tgzWriter, entries []fileEntry) error {
	for _, e := range entries {
		if e.linkTarget != "" {
			if err := tz.addSymlink(e.rel, e.linkTarget); err != nil {
				return err
			}
			continue
		}
		if err := copyVerified(e, func(size int64, r io.Reader) error {
			return tz.addFile(e.rel, e.perm, size, r)
		}); err != nil {
			return err
		}
	}
	return nil
}

// copyVerified hands e's content to consume and then checks it still has
// the digest it was fingerprinted with.
func copyVerified(e fileEntry, consume func(size int64, r io.Reader) error) error {
	f, err := os.Open(e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	h := sha256.New()
	if err := consume(info.Size(), io.TeeReader(f, h)); err != nil {
		return err
	}
	if got := sha256Prefix + hex.EncodeToString(h.Sum(nil)); got != e.digest {
		return fmt.Errorf("%s changed while the release was being built; run create-release again", e.path)
	}
	return nil
}

// archivePrePackaged does what bosh-cli does for a package with a
// pre_packaging script: copy the package's files into a staging directory,
// run `bash -x <package>/pre_packaging` there with BUILD_DIR (the staging
// directory) and RELEASE_DIR set, remove the script's copy, and archive what
// the staging directory then holds.
func archivePrePackaged(ctx context.Context, tz *tgzWriter, a *artifact, releaseDir string, scriptOutput io.Writer) error {
	staging, err := os.MkdirTemp("", "release-staging-"+a.name+"-")
	if err != nil {
		return fmt.Errorf("creating staging directory: %w", err)
	}
	defer os.RemoveAll(staging)

	for _, e := range a.entries {
		if err := stageEntry(staging, e); err != nil {
			return err
		}
	}
	if err := runPrePackaging(ctx, a.prePackaging, staging, releaseDir, scriptOutput); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(staging, "pre_packaging")); err != nil {
		return fmt.Errorf("removing pre_packaging from the staging directory: %w", err)
	}
	return archiveTree(tz, staging)
}

func stageEntry(staging string, e fileEntry) error {
	dst := filepath.Join(staging, filepath.FromSlash(e.rel))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if e.linkTarget != "" {
		return os.Symlink(e.linkTarget, dst)
	}
	return copyVerified(e, func(_ int64, r io.Reader) error {
		out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, e.perm)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, r); err != nil {
			out.Close()
			return fmt.Errorf("staging %s: %w", e.rel, err)
		}
		return out.Close()
	})
}

func runPrePackaging(ctx context.Context, script, staging, releaseDir string, scriptOutput io.Writer) error {
	var tail bytes.Buffer
	out := io.Writer(&tail)
	if scriptOutput != nil {
		out = io.MultiWriter(&tail, scriptOutput)
	}
	cmd := exec.CommandContext(ctx, "bash", "-x", script)
	cmd.Dir = staging
	cmd.Env = append(os.Environ(), "BUILD_DIR="+staging, "RELEASE_DIR="+releaseDir)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("running %s: %w; its output:\n%s", script, err, lastBytes(tail.Bytes(), 4096))
	}
	return nil
}

// archiveTree archives dir's content in directory-walk order, with file
// modes normalised to 0755 or 0644 as for source files.
func archiveTree(tz *tgzWriter, dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.IsDir():
			return tz.addDir(rel)
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return tz.addSymlink(rel, target)
		case !info.Mode().IsRegular():
			return fmt.Errorf("pre_packaging left %s, a %s; packages may hold only files, directories and symlinks", rel, kindOf(info.Mode()))
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		perm := os.FileMode(0o644)
		if info.Mode().Perm()&0o111 != 0 {
			perm = 0o755
		}
		return tz.addFile(rel, perm, info.Size(), f)
	})
}

func lastBytes(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
