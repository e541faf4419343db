// Package bbr is the etcd job's side of the BOSH Backup and Restore
// contract: what its bin/bbr scripts write into and read from
// $BBR_ARTIFACT_DIRECTORY, and which instance does what.
//
// One instance (the one that may bootstrap the cluster) takes the backup:
// an etcd snapshot and its sha256. The job's manifest property
// bbr.backup_one_restore_all makes bbr keep it as one named artifact
// (<job>-<release>-backup-one-restore-all) that it copies to every
// instance on restore; the other instances back up nothing. (bbr once let
// a metadata script name artifacts with backup_name and restore_name;
// current bbr ignores backup_name, so the release does not rely on it.)
package bbr

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Files inside the artifact directory.
const (
	SnapshotFile = "etcd.snapshot"
	ChecksumFile = "etcd.snapshot.sha256"
)

// Snapshotter streams a snapshot of a member's data (etcd's Maintenance
// Snapshot, as etcdctl snapshot save does).
type Snapshotter interface {
	Snapshot(ctx context.Context, w io.Writer) (int64, error)
}

// Artifact is a saved snapshot.
type Artifact struct {
	Path   string
	Bytes  int64
	SHA256 string
}

// Save writes a snapshot and its checksum file into dir. The snapshot is
// written to a temporary name and renamed once whole, and the checksum
// file last, so a directory with a checksum file holds a whole snapshot.
func Save(ctx context.Context, s Snapshotter, dir string) (Artifact, error) {
	if dir == "" {
		return Artifact{}, errors.New("taking the backup: BBR_ARTIFACT_DIRECTORY is not set; bbr sets it, run the script through bbr")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Artifact{}, fmt.Errorf("taking the backup: creating the artifact directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, SnapshotFile)
	tmp := path + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return Artifact{}, fmt.Errorf("taking the backup: %w", err)
	}
	sum := sha256.New()
	n, err := s.Snapshot(ctx, io.MultiWriter(f, sum))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n == 0 {
		err = errors.New("etcd sent an empty snapshot")
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return Artifact{}, fmt.Errorf("taking the backup into %s: %w", dir, err)
	}
	a := Artifact{Path: path, Bytes: n, SHA256: hex.EncodeToString(sum.Sum(nil))}
	line := a.SHA256 + "  " + SnapshotFile + "\n" // sha256sum's format: `sha256sum -c` checks it
	if err := os.WriteFile(filepath.Join(dir, ChecksumFile), []byte(line), 0o600); err != nil {
		return Artifact{}, fmt.Errorf("taking the backup: writing %s: %w", ChecksumFile, err)
	}
	return a, nil
}

// Verify checks the snapshot in dir against its checksum file and returns
// the snapshot's path. Restore calls it before it touches any data.
func Verify(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("restoring: BBR_ARTIFACT_DIRECTORY is not set; bbr sets it, run the script through bbr")
	}
	path := filepath.Join(dir, SnapshotFile)
	want, err := readChecksum(filepath.Join(dir, ChecksumFile))
	if err != nil {
		return "", fmt.Errorf("restoring from %s: %w; the artifact is not one the etcd job's backup wrote, nothing was changed", dir, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("restoring from %s: %w; the artifact has no snapshot, nothing was changed", dir, err)
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return "", fmt.Errorf("restoring from %s: reading %s: %w; nothing was changed", dir, path, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != want {
		return "", fmt.Errorf("restoring from %s: the snapshot %s has sha256 %s, but %s says %s: the artifact is corrupt or truncated; nothing was changed, restore from another backup",
			dir, SnapshotFile, got, ChecksumFile, want)
	}
	return path, nil
}

func readChecksum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading %s: %w", path, err)
	}
	fields := strings.Fields(line)
	if len(fields) != 2 || fields[1] != SnapshotFile || len(fields[0]) != 2*sha256.Size {
		return "", fmt.Errorf("%s does not hold `<sha256>  %s`", path, SnapshotFile)
	}
	if _, err := hex.DecodeString(fields[0]); err != nil {
		return "", fmt.Errorf("%s: %q is not a sha256", path, fields[0])
	}
	return fields[0], nil
}
