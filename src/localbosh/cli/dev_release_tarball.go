package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// writeLatestDevRelease writes a tarball of the latest dev release that
// create-release recorded in dir (dev_releases/<name>/), as `bosh
// upload-release` without arguments uploads: release.MF is the recorded
// manifest, the archives are those create-release cached under
// .dev_builds/<jobs|packages>/<name>/<fingerprint>.tgz, each checked
// against the manifest's digest. Package release writes tarballs only while
// creating a new version, hence this.
func writeLatestDevRelease(dir, tarballPath string) (release.Manifest, error) {
	name, err := releaseName(dir)
	if err != nil {
		return release.Manifest{}, err
	}
	version, err := latestDevVersion(dir, name)
	if err != nil {
		return release.Manifest{}, err
	}
	manifestPath := filepath.Join(dir, "dev_releases", name, name+"-"+version+".yml")
	mf, err := os.ReadFile(manifestPath)
	if err != nil {
		return release.Manifest{}, fmt.Errorf("reading the latest dev release: %w", err)
	}
	var m release.Manifest
	if err := yaml.Unmarshal(mf, &m); err != nil {
		return release.Manifest{}, fmt.Errorf("parsing dev release manifest %s: %w", manifestPath, err)
	}
	f, err := os.Create(tarballPath)
	if err != nil {
		return release.Manifest{}, fmt.Errorf("creating release tarball: %w", err)
	}
	err = writeReleaseTarball(f, dir, mf, m)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return release.Manifest{}, fmt.Errorf("writing a tarball of release '%s/%s' (or make one with create-release --tarball and upload that): %w", m.Name, m.Version, err)
	}
	return m, nil
}

func releaseName(dir string) (string, error) {
	path := filepath.Join(dir, "config", "final.yml")
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the release name: %w; is %s a release directory? Give a tarball, or the directory with --dir", err, dir)
	}
	var cfg struct {
		Name      string `yaml:"name"`
		FinalName string `yaml:"final_name"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return "", fmt.Errorf("parsing %s: %w", path, err)
	}
	if cfg.Name == "" {
		cfg.Name = cfg.FinalName
	}
	if cfg.Name == "" {
		return "", fmt.Errorf("%s has no 'name'", path)
	}
	return cfg.Name, nil
}

func latestDevVersion(dir, name string) (string, error) {
	path := filepath.Join(dir, "dev_releases", name, "index.yml")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("release directory %s has no dev release of '%s' yet: run create-release first", dir, name)
	}
	if err != nil {
		return "", fmt.Errorf("reading dev release index: %w", err)
	}
	var index struct {
		Builds map[string]struct {
			Version string `yaml:"version"`
		} `yaml:"builds"`
	}
	if err := yaml.Unmarshal(data, &index); err != nil {
		return "", fmt.Errorf("parsing %s: %w", path, err)
	}
	latest := ""
	for _, b := range index.Builds {
		if latest == "" {
			latest = b.Version
			continue
		}
		cmp, err := release.CompareVersions(b.Version, latest)
		if err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
		if cmp > 0 {
			latest = b.Version
		}
	}
	if latest == "" {
		return "", fmt.Errorf("%s lists no dev release: run create-release first", path)
	}
	return latest, nil
}

// writeReleaseTarball writes release.MF and every job and package archive.
func writeReleaseTarball(w io.Writer, dir string, mf []byte, m release.Manifest) error {
	gz, err := gzip.NewWriterLevel(w, gzip.NoCompression) // the archives inside are compressed
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	if err := addTarFile(tw, "release.MF", int64(len(mf)), bytes.NewReader(mf)); err != nil {
		return err
	}
	type archive struct{ kind, name, fingerprint, digest string }
	var archives []archive
	for _, j := range m.Jobs {
		archives = append(archives, archive{"jobs", j.Name, j.Fingerprint, j.SHA1})
	}
	for _, p := range m.Packages {
		archives = append(archives, archive{"packages", p.Name, p.Fingerprint, p.SHA1})
	}
	for _, a := range archives {
		path := filepath.Join(dir, ".dev_builds", a.kind, a.name, a.fingerprint+".tgz")
		if err := addVerifiedArchive(tw, a.kind+"/"+a.name+".tgz", path, a.digest); err != nil {
			return fmt.Errorf("%s/%s: %w", a.kind, a.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// addVerifiedArchive copies an archive into the tarball as name, checking
// on the way that it has the manifest's digest ("sha256:<hex>", or a
// 40-hex SHA-1 in old releases). Archives may be large: they are streamed.
func addVerifiedArchive(tw *tar.Writer, name, path, digest string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading the archive create-release cached: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	var h hash.Hash = sha1.New()
	want, isSHA256 := strings.CutPrefix(digest, "sha256:")
	if isSHA256 {
		h = sha256.New()
	}
	if err := addTarFile(tw, name, info.Size(), io.TeeReader(f, h)); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.ToLower(want) {
		return fmt.Errorf("archive %s has digest %s, the release manifest records %s", path, got, digest)
	}
	return nil
}

func addTarFile(tw *tar.Writer, name string, size int64, r io.Reader) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err := io.Copy(tw, r)
	return err
}
