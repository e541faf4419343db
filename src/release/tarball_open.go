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

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
)

// Tarball is a release tarball verified and unpacked into Dir:
//
//	Dir/release.MF
//	Dir/jobs/<name>.tgz       Dir/jobs/<name>/      (job.MF, monit, templates/...)
//	Dir/packages/<name>.tgz   Dir/packages/<name>/  (packaging and the package's files)
type Tarball struct {
	Manifest Manifest
	Dir      string
}

// JobDir is where job name is unpacked.
func (t Tarball) JobDir(name string) string { return filepath.Join(t.Dir, "jobs", name) }

// JobArchive is job name's verified archive.
func (t Tarball) JobArchive(name string) string { return filepath.Join(t.Dir, "jobs", name+".tgz") }

// PackageDir is where package name is unpacked.
func (t Tarball) PackageDir(name string) string { return filepath.Join(t.Dir, "packages", name) }

// PackageArchive is package name's verified archive.
func (t Tarball) PackageArchive(name string) string {
	return filepath.Join(t.Dir, "packages", name+".tgz")
}

// JobSpec parses job name's job.MF.
func (t Tarball) JobSpec(name string) (jobspec.Spec, error) {
	path := filepath.Join(t.JobDir(name), "job.MF")
	data, err := os.ReadFile(path)
	if err != nil {
		return jobspec.Spec{}, fmt.Errorf("reading job spec: %w", err)
	}
	spec, err := jobspec.Parse(data)
	if err != nil {
		return jobspec.Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	if spec.Name != name {
		return jobspec.Spec{}, fmt.Errorf("%s names job %q, but release.MF calls it %q", path, spec.Name, name)
	}
	return spec, nil
}

// OpenTarball reads the release tarball at tarballPath into destDir, which must
// not exist or be empty: it parses release.MF, checks that every job and
// package archive the manifest lists is present and has the recorded digest
// (an error names the archive), checks that package dependencies and job
// packages resolve, and only then unpacks the archives. On error destDir is
// left empty.
//
// Before anything is written, the tarball, and then each archive before
// any is unpacked, is checked within DefaultLimits: no entry may leave the
// archive by its name or as a link, appear twice or be of another type
// than file, directory or symlink, and release.MF's names must follow the
// director's rules.
func OpenTarball(tarballPath, destDir string) (Tarball, error) {
	return OpenTarballWithLimits(tarballPath, destDir, DefaultLimits)
}

// OpenTarballWithLimits is OpenTarball within other limits.
func OpenTarballWithLimits(tarballPath, destDir string, limits Limits) (Tarball, error) {
	if err := prepareEmptyDir(destDir); err != nil {
		return Tarball{}, err
	}
	t, err := openTarball(tarballPath, destDir, limits)
	if err != nil {
		cleanDir(destDir)
		return Tarball{}, fmt.Errorf("release tarball %s: %w", tarballPath, err)
	}
	return t, nil
}

func openTarball(tarballPath, destDir string, limits Limits) (Tarball, error) {
	data, err := checkReleaseTarball(tarballPath, limits)
	if err != nil {
		return Tarball{}, err
	}
	var m Manifest
	if err := yaml.Unmarshal(data, &m); err != nil {
		return Tarball{}, fmt.Errorf("parsing release.MF: %w", err)
	}
	if err := validateManifest(m); err != nil {
		return Tarball{}, fmt.Errorf("release.MF: %w", err)
	}
	digests, err := copyOutArchives(tarballPath, destDir)
	if err != nil {
		return Tarball{}, err
	}

	var errs []error
	for _, slot := range manifestSlots(m) {
		d, ok := digests[slot.name]
		if !ok {
			errs = append(errs, fmt.Errorf("release.MF lists %s but the tarball has no %s", slot.label, slot.name))
		} else if err := d.check(slot.sha1); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %w", slot.name, slot.label, err))
		}
		delete(digests, slot.name)
	}
	if len(errs) > 0 {
		return Tarball{}, errors.Join(errs...)
	}
	for unlisted := range digests {
		if unlisted != "release.MF" {
			os.Remove(filepath.Join(destDir, filepath.FromSlash(unlisted)))
		}
	}

	t := Tarball{Manifest: m, Dir: destDir}
	for _, slot := range manifestSlots(m) {
		archive := filepath.Join(destDir, filepath.FromSlash(slot.name))
		if err := checkArchiveFile(archive, archiveRules{what: slot.name, limits: limits, unpacked: true}); err != nil {
			return Tarball{}, err
		}
	}
	for _, slot := range manifestSlots(m) {
		archive := filepath.Join(destDir, filepath.FromSlash(slot.name))
		if err := extractTgz(archive, strings.TrimSuffix(archive, ".tgz")); err != nil {
			return Tarball{}, fmt.Errorf("unpacking %s: %w", slot.name, err)
		}
	}
	for _, j := range m.Jobs {
		if _, err := t.JobSpec(j.Name); err != nil {
			return Tarball{}, err
		}
	}
	return t, nil
}

// copyOutArchives streams the tarball once, writing release.MF and every
// jobs/<name>.tgz and packages/<name>.tgz into destDir while digesting each
// archive. Other entries (license, compiled packages) are skipped.
func copyOutArchives(tarballPath, destDir string) (map[string]*digester, error) {
	f, err := os.Open(tarballPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("not a gzipped tarball: %w", err)
	}
	tr := tar.NewReader(gz)
	digests := map[string]*digester{}
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return digests, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading: %w", err)
		}
		name := strings.TrimPrefix(path.Clean(strings.TrimPrefix(hdr.Name, "./")), "/")
		if hdr.Typeflag != tar.TypeReg || !wantedEntry(name) {
			continue
		}
		d := newDigester()
		if err := copyToFile(filepath.Join(destDir, filepath.FromSlash(name)), io.TeeReader(tr, d)); err != nil {
			return nil, fmt.Errorf("extracting %s: %w", name, err)
		}
		digests[name] = d
	}
}

// wantedEntry accepts release.MF and archives named like "jobs/<name>.tgz".
func wantedEntry(name string) bool {
	if name == "release.MF" {
		return true
	}
	dir, file, ok := strings.Cut(name, "/")
	base, isTgz := strings.CutSuffix(file, ".tgz")
	return ok && (dir == "jobs" || dir == "packages") && isTgz && validName(base)
}

func copyToFile(dst string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// prepareEmptyDir creates dir, or accepts it if it exists and is empty.
func prepareEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty; give OpenTarball a new directory", dir)
	}
	return nil
}

// cleanDir empties dir after a failed open, keeping dir itself.
func cleanDir(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// ReadUnpacked reads back a release that OpenTarball unpacked into dir, as
// a director does with the releases it keeps.
func ReadUnpacked(dir string) (Tarball, error) {
	var m Manifest
	found, err := readYAML(filepath.Join(dir, "release.MF"), &m)
	if err != nil {
		return Tarball{}, err
	}
	if !found {
		return Tarball{}, fmt.Errorf("%s holds no release.MF; it is not an unpacked release", dir)
	}
	return Tarball{Manifest: m, Dir: dir}, nil
}
