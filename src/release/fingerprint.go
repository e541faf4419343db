package release

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"
)

// sourceFile is one file that goes into a job or package archive.
type sourceFile struct {
	path        string // where it is on disk
	rel         string // its name inside the archive and in the fingerprint
	excludeMode bool   // packaging and pre_packaging are fingerprinted without a mode
}

// fileEntry is a sourceFile after fingerprinting: what the archive will hold.
type fileEntry struct {
	sourceFile
	digest     string      // "sha256:<hex>" of the content, or of linkTarget for a kept symlink
	perm       os.FileMode // 0755 or 0644, as bosh-cli normalises them
	linkTarget string      // non-empty when the entry is archived as a symlink
}

// fingerprint computes a job's or package's fingerprint exactly as bosh-cli
// does (release/resource/fingerprint.go, algorithm "v2"): SHA-256 hex of
// "v2", then per file in relative-path order the relative path, the file's
// "sha256:<hex>" digest and its mode ("100755" if any execute bit is set,
// else "100644"; "symlink" for a symlink kept as such; nothing for
// excludeMode files), then the sorted extra chunks (package dependencies)
// joined by ",".
//
// followSymlinks is true for jobs: a symlinked template is digested by its
// target's content, and its mode comes from the link itself, which on Linux
// always has execute bits, so it counts as "100755" (bosh-cli does the same).
// For packages symlinks are kept: the digest is of the link target string.
func fingerprint(files []sourceFile, chunks []string, followSymlinks bool) (string, []fileEntry, error) {
	entries := make([]fileEntry, 0, len(files))
	for _, f := range files {
		e, err := describeFile(f, followSymlinks)
		if err != nil {
			return "", nil, err
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b fileEntry) int { return strings.Compare(a.rel, b.rel) })

	var b strings.Builder
	b.WriteString("v2")
	for _, e := range entries {
		b.WriteString(e.rel)
		b.WriteString(e.digest)
		if !e.excludeMode {
			b.WriteString(modeString(e))
		}
	}
	if len(chunks) > 0 {
		sorted := slices.Sorted(slices.Values(chunks))
		b.WriteString(strings.Join(sorted, ","))
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:]), entries, nil
}

func describeFile(f sourceFile, followSymlinks bool) (fileEntry, error) {
	info, err := os.Lstat(f.path)
	if err != nil {
		return fileEntry{}, fmt.Errorf("fingerprinting %s: %w", f.path, err)
	}
	e := fileEntry{sourceFile: f, perm: 0o644}
	if info.Mode().Perm()&0o111 != 0 {
		e.perm = 0o755
	}
	switch {
	case info.Mode()&os.ModeSymlink != 0 && !followSymlinks:
		target, err := os.Readlink(f.path)
		if err != nil {
			return fileEntry{}, fmt.Errorf("fingerprinting %s: %w", f.path, err)
		}
		e.linkTarget = target
		e.digest = digestString(target)
		return e, nil
	}
	// os.Stat and os.Open follow a symlink, which is what followSymlinks asks for.
	target, err := os.Stat(f.path)
	if err != nil {
		return fileEntry{}, fmt.Errorf("fingerprinting %s: %w", f.path, err)
	}
	if !target.Mode().IsRegular() {
		return fileEntry{}, fmt.Errorf("fingerprinting %s: it is a %s, expected a regular file", f.path, kindOf(target.Mode()))
	}
	e.digest, err = fileDigest(f.path)
	if err != nil {
		return fileEntry{}, fmt.Errorf("fingerprinting %s: %w", f.path, err)
	}
	return e, nil
}

func modeString(e fileEntry) string {
	switch {
	case e.linkTarget != "":
		return "symlink"
	case e.perm&0o111 != 0:
		return "100755"
	}
	return "100644"
}

// kindOf names a non-regular file type for error messages.
func kindOf(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeSymlink != 0:
		return "symlink"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeDevice != 0:
		return "device"
	}
	return "special file"
}
