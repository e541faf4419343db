package bbr

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// metadataFile is the backup's own metadata, beside the tars.
const metadataFile = "metadata"

// timestampFormat is how bbr writes the backup's start and finish times.
const timestampFormat = "2006/01/02 15:04:05 MST"

// metadata is bbr's metadata file: the sha256 of every file of every tar,
// by instance (default artifacts) or by name (named ones).
type metadata struct {
	Instances       []*instanceMetadata `yaml:"instances,omitempty"`
	CustomArtifacts []artifactMetadata  `yaml:"custom_artifacts,omitempty"`
	BackupActivity  struct {
		StartTime  string `yaml:"start_time"`
		FinishTime string `yaml:"finish_time,omitempty"`
	} `yaml:"backup_activity"`
}

type instanceMetadata struct {
	Name      string             `yaml:"name"`
	Index     string             `yaml:"index"`
	Artifacts []artifactMetadata `yaml:"artifacts"`
}

type artifactMetadata struct {
	Name      string            `yaml:"name"`
	Checksums map[string]string `yaml:"checksums"`
}

// artifactFile is the tar a job's artifact is kept in: named, or the
// instance's and job's.
func artifactFile(name string, named bool, inst Instance) string {
	if named {
		return name + ".tar"
	}
	return inst.Group + "-" + strconv.Itoa(inst.Index) + "-" + name + ".tar"
}

func (m *metadata) add(a artifactMetadata, named bool, inst Instance) {
	if named {
		m.CustomArtifacts = append(m.CustomArtifacts, a)
		return
	}
	idx := strconv.Itoa(inst.Index)
	for _, im := range m.Instances {
		if im.Name == inst.Group && im.Index == idx {
			im.Artifacts = append(im.Artifacts, a)
			return
		}
	}
	m.Instances = append(m.Instances, &instanceMetadata{Name: inst.Group, Index: idx, Artifacts: []artifactMetadata{a}})
}

func (m *metadata) save(dir string) error {
	data, err := yaml.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, metadataFile), data, 0o600)
}

func readMetadata(dir string) (*metadata, error) {
	data, err := os.ReadFile(filepath.Join(dir, metadataFile))
	if err != nil {
		return nil, fmt.Errorf("%w; --artifact-path names a backup directory (<deployment>_<timestamp>) that `backup` wrote", err)
	}
	m := &metadata{}
	if err := yaml.Unmarshal(data, m); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, metadataFile), err)
	}
	return m, nil
}

// tarChecksums is the sha256 of every regular file in a tar stream, by its
// name in the tar ("./etcd.snapshot"), as bbr records them.
func tarChecksums(r io.Reader) (map[string]string, error) {
	sums := map[string]string{}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return sums, nil
		}
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		h := sha256.New()
		if _, err := io.Copy(h, tr); err != nil {
			return nil, err
		}
		sums[hdr.Name] = hex.EncodeToString(h.Sum(nil))
	}
}

func fileChecksums(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sums, err := tarChecksums(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return sums, nil
}

// sameChecksums says how want and got differ, or "" when they do not.
func sameChecksums(want, got map[string]string) string {
	for _, name := range slices.Sorted(maps.Keys(want)) {
		switch g, ok := got[name]; {
		case !ok:
			return fmt.Sprintf("%s is missing", name)
		case g != want[name]:
			return fmt.Sprintf("%s has sha256 %s, the metadata says %s", name, g, want[name])
		}
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[name]; !ok {
			return fmt.Sprintf("%s is not in the metadata", name)
		}
	}
	return ""
}

// validate checks every tar the metadata names against its checksums.
func (m *metadata) validate(dir string) error {
	check := func(file string, want map[string]string) error {
		got, err := fileChecksums(filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("backup %s is corrupted: %w", dir, err)
		}
		if diff := sameChecksums(want, got); diff != "" {
			return fmt.Errorf("backup %s is corrupted: in %s, %s; nothing was restored, use another backup", dir, file, diff)
		}
		return nil
	}
	for _, a := range m.CustomArtifacts {
		if err := check(a.Name+".tar", a.Checksums); err != nil {
			return err
		}
	}
	for _, im := range m.Instances {
		for _, a := range im.Artifacts {
			if err := check(im.Name+"-"+im.Index+"-"+a.Name+".tar", a.Checksums); err != nil {
				return err
			}
		}
	}
	return nil
}

func stamp(t time.Time) string { return t.Format(timestampFormat) }
