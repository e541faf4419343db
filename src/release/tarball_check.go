package release

import (
	"archive/tar"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Limits bound what opening an untrusted release tarball may unpack: the
// release tarball itself, and each job or package archive in it.
type Limits struct {
	Bytes   int64 // total size of the entries
	Entries int   // number of entries
}

// DefaultLimits hold the largest releases in use (a Go toolchain package is
// under 1 GiB unpacked) with room to spare.
var DefaultLimits = Limits{Bytes: 16 << 30, Entries: 500_000}

// maxManifestBytes bounds release.MF, which is read into memory.
const maxManifestBytes = 16 << 20

// vcapPrefix is where absolute symlinks of packages may point: a path every
// VM resolves in its own /var/vcap ("bin/java -> /var/vcap/packages/jdk/bin/java").
const vcapPrefix = "/var/vcap/"

// archiveRules say which entries a tarball may hold.
type archiveRules struct {
	what   string // "release tarball", "packages/etcd.tgz"
	limits Limits
	// unpacked archives (jobs and packages) keep their symlinks and may not
	// hold hard links; the release tarball's links are skipped.
	unpacked bool
}

// checkArchive reads a whole tarball, writing nothing, and refuses it if an
// entry's name leaves the archive (an absolute path or one climbing out
// with ".."), a link points out of it, an entry appears twice, an entry is
// of a type that is not a file, directory or link, or the entries exceed the
// limits. keep is called with each regular file, for the caller to look at
// (release.MF); it must consume no more than it needs.
func checkArchive(r io.Reader, rules archiveRules, keep func(name string, hdr *tar.Header, body io.Reader) error) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("%s is not a gzipped tarball: %w", rules.what, err)
	}
	tr := tar.NewReader(gz)
	seen := map[string]byte{}
	var total int64
	for count := 1; ; count++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s: %w", rules.what, err)
		}
		if count > rules.limits.Entries {
			return fmt.Errorf("%s has more than %d entries, the most a director unpacks", rules.what, rules.limits.Entries)
		}
		if total += max(hdr.Size, 0); total > rules.limits.Bytes {
			return fmt.Errorf("%s holds more than %d bytes, the most a director unpacks", rules.what, rules.limits.Bytes)
		}
		name, err := entryName(hdr.Name)
		if err != nil {
			return fmt.Errorf("%s: %w", rules.what, err)
		}
		if name == "" {
			continue // the archive's root, "./"
		}
		if first, dup := seen[name]; dup && !(first == tar.TypeDir && hdr.Typeflag == tar.TypeDir) {
			return fmt.Errorf("%s: entry %q appears twice; an archive holds each file once", rules.what, hdr.Name)
		}
		seen[name] = hdr.Typeflag
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeDir:
		case tar.TypeSymlink, tar.TypeLink:
			if err := checkLink(name, hdr); err != nil {
				return fmt.Errorf("%s: %w", rules.what, err)
			}
			if hdr.Typeflag == tar.TypeLink && rules.unpacked {
				return fmt.Errorf("%s: entry %q is a hard link; only files, directories and symlinks are supported", rules.what, hdr.Name)
			}
		default:
			return fmt.Errorf("%s: entry %q has unsupported type %q; expected a file, directory or symlink", rules.what, hdr.Name, hdr.Typeflag)
		}
		if hdr.Typeflag == tar.TypeReg && keep != nil {
			if err := keep(name, hdr, tr); err != nil {
				return err
			}
		}
	}
}

// checkLink refuses a symlink or hard link whose target is outside the
// archive: absolute (but for a symlink into /var/vcap, which resolves inside
// the VM), or climbing out with "..".
func checkLink(name string, hdr *tar.Header) error {
	target := hdr.Linkname
	if hdr.Typeflag == tar.TypeSymlink {
		if strings.HasPrefix(path.Clean(target), vcapPrefix) {
			return nil
		}
		if !path.IsAbs(target) {
			target = path.Join(path.Dir(name), target)
		}
	}
	if _, err := entryName(target); err != nil || path.IsAbs(target) {
		return fmt.Errorf("entry %q is a link that points outside the archive (to %q)", hdr.Name, hdr.Linkname)
	}
	return nil
}

// checkArchiveFile is checkArchive of a file.
func checkArchiveFile(file string, rules archiveRules) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return checkArchive(f, rules, nil)
}

// checkReleaseTarball checks the release tarball with checkArchive and
// returns its release.MF, before anything is written.
func checkReleaseTarball(tarballPath string, limits Limits) ([]byte, error) {
	f, err := os.Open(tarballPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var manifest []byte
	err = checkArchive(f, archiveRules{what: "the release tarball", limits: limits}, func(name string, hdr *tar.Header, body io.Reader) error {
		if name != "release.MF" {
			return nil
		}
		if hdr.Size > maxManifestBytes {
			return fmt.Errorf("release.MF is %d bytes, more than the %d a director reads", hdr.Size, maxManifestBytes)
		}
		var err error
		manifest, err = io.ReadAll(body)
		return err
	})
	if err != nil {
		return nil, err
	}
	if manifest == nil {
		return nil, fmt.Errorf("it has no release.MF; is it a release tarball?")
	}
	return manifest, nil
}
