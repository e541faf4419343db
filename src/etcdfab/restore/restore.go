// Package restore turns a plain etcd snapshot file (what `etcdctl snapshot
// save` or etcd's Maintenance.Snapshot API writes, ending in its own sha256)
// into this member's data directory, as a NEW single-member cluster:
//
//	res, err := restore.FromSnapshot(ctx, restore.Options{
//		Etcdutl: restore.EtcdutlBeside(cfg.Etcd.EtcdPath),
//		DBFile:  "/var/vcap/store/etcd-restore/snapshot.db",
//		DataDir: cfg.Etcd.DataDir,
//		Name:    cfg.MemberName(),
//		PeerURL: cfg.PeerURL(cfg.Self()),
//	})
//
// The cluster gets a fresh random token (etcdfab's identity rule: every
// bootstrap is unique, so the restored cluster never shares the old one's
// cluster or member IDs). `etcdutl snapshot restore` writes the new data
// into a temporary directory (<data_dir>/.restore-*, on the same file system
// as the member directory); only when it succeeded is it swapped in. etcdutl checks the snapshot's sha256, so a
// corrupt or truncated file is refused and nothing in the data directory
// changes. Data already in the data directory (its member directory and
// etcdfab's identity record) is moved aside into
// <data_dir>/before-restore-<time>, with a REASON file, and never deleted:
// an operator removes it once the restored cluster is good. etcdfab's
// identity record is rewritten for the restored member, so the next
// `etcdfab start` restarts etcd on it (state "restart on data"); the other
// instances then join it as learners, as they join any cluster.
package restore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
)

// Options say what to restore, where, and as which member.
type Options struct {
	// Etcdutl is the etcdutl binary (EtcdutlBeside gives the one shipped
	// beside etcd in the etcd package).
	Etcdutl string
	// DBFile is the plain snapshot file (not gzipped, not encrypted).
	DBFile string
	// DataDir is the member's data directory (etcd.data_dir).
	DataDir string
	// Name and PeerURL are this member's etcd name and advertised peer URL.
	Name    string
	PeerURL string
	// Token is the new cluster's token; empty makes a fresh random one
	// (the normal case: give one only to make a test repeatable).
	Token string
	// Now stamps the moved-aside directory and the record; time.Now if nil.
	Now func() time.Time
}

// Result says what the restore made.
type Result struct {
	ClusterID identity.ID
	MemberID  identity.ID
	Token     string
	// MovedAside is where the data that was in the data directory went,
	// "" when there was none.
	MovedAside string
}

// EtcdutlBeside is the etcdutl in the same directory as the etcd binary.
func EtcdutlBeside(etcdPath string) string {
	return filepath.Join(filepath.Dir(etcdPath), "etcdutl")
}

// ErrRefused: etcdutl refused the snapshot file (corrupt, truncated, or not
// an etcd snapshot).
var ErrRefused = errors.New("etcdutl refused the snapshot")

// AsidePrefix starts the name of the directories, inside the data
// directory, that hold data a restore replaced.
const AsidePrefix = "before-restore-"

// FromSnapshot restores o.DBFile into o.DataDir as a new single-member
// cluster; see the package comment.
func FromSnapshot(ctx context.Context, o Options) (Result, error) {
	if err := o.check(); err != nil {
		return Result{}, err
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	token := o.Token
	if token == "" {
		token = newToken(o.Name)
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return Result{}, fmt.Errorf("restoring snapshot %s: creating the data directory: %w", o.DBFile, err)
	}
	// Inside the data directory, beside the member directory: the swap is
	// a rename on one file system, and the data directory is the one place
	// on the persistent disk that etcdfab (vcap) may write to.
	tmp, err := os.MkdirTemp(o.DataDir, ".restore-")
	if err != nil {
		return Result{}, fmt.Errorf("restoring snapshot %s: making a temporary directory in %s: %w", o.DBFile, o.DataDir, err)
	}
	// tmp only ever holds what this call made: the restored copy, which
	// is in the data directory once the swap is done.
	defer os.RemoveAll(tmp)
	restored := filepath.Join(tmp, "data")
	cmd := exec.CommandContext(ctx, o.Etcdutl, "snapshot", "restore", o.DBFile,
		"--data-dir", restored,
		"--name", o.Name,
		"--initial-cluster", o.Name+"="+o.PeerURL,
		"--initial-advertise-peer-urls", o.PeerURL,
		"--initial-cluster-token", token)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("restoring snapshot %s: %w; nothing in %s was changed", o.DBFile, ctx.Err(), o.DataDir)
		}
		return Result{}, fmt.Errorf("restoring snapshot %s: %w (%v): %s; the file is corrupt, truncated or not an etcd snapshot (its sha256 is checked); nothing in %s was changed",
			o.DBFile, ErrRefused, err, lastLines(out.String(), 5), o.DataDir)
	}
	local, err := identity.Read(restored)
	if err != nil || !local.HasData {
		return Result{}, fmt.Errorf("restoring snapshot %s: etcdutl wrote no readable member data (%v); nothing in %s was changed", o.DBFile, err, o.DataDir)
	}
	rec := identity.Record{ClusterID: local.ClusterID, MemberID: local.MemberID, Name: o.Name,
		PeerURLs: []string{o.PeerURL}, Members: []string{o.Name + "=" + local.MemberID.String()}, Voters: 1, UpdatedAt: now().UTC()}
	if err := identity.WriteRecord(restored, rec); err != nil {
		return Result{}, fmt.Errorf("restoring snapshot %s: %w; nothing in %s was changed", o.DBFile, err, o.DataDir)
	}
	aside, err := moveAside(o.DataDir, o.DBFile, now())
	if err != nil {
		return Result{}, err
	}
	for _, name := range []string{memberDir, recordFile} {
		if err := os.Rename(filepath.Join(restored, name), filepath.Join(o.DataDir, name)); err != nil {
			return Result{}, fmt.Errorf("restoring snapshot %s: moving the restored %s into %s: %w (the data that was there is in %q)", o.DBFile, name, o.DataDir, err, aside)
		}
	}
	return Result{ClusterID: local.ClusterID, MemberID: local.MemberID, Token: token, MovedAside: aside}, nil
}

// etcd's member directory and etcdfab's identity record, the two things in a
// data directory that a restore replaces (identity's layout).
const (
	memberDir  = "member"
	recordFile = "etcdfab-identity.json"
)

func (o Options) check() error {
	for _, f := range []struct{ name, value string }{{"Etcdutl", o.Etcdutl}, {"DBFile", o.DBFile}, {"DataDir", o.DataDir}, {"Name", o.Name}, {"PeerURL", o.PeerURL}} {
		if f.value == "" {
			return fmt.Errorf("restoring a snapshot: %s is not set", f.name)
		}
	}
	if _, err := os.Stat(o.Etcdutl); err != nil {
		return fmt.Errorf("restoring snapshot %s: etcdutl %s: %w; it ships beside etcd in the etcd package", o.DBFile, o.Etcdutl, err)
	}
	if st, err := os.Stat(o.DBFile); err != nil {
		return fmt.Errorf("restoring snapshot: %w", err)
	} else if !st.Mode().IsRegular() {
		return fmt.Errorf("restoring snapshot %s: not a regular file", o.DBFile)
	}
	return nil
}

// moveAside moves the member directory and record in dataDir into a new
// before-restore-<time> directory; "" when there was neither.
func moveAside(dataDir, dbFile string, now time.Time) (string, error) {
	var present []string
	for _, name := range []string{memberDir, recordFile} {
		if _, err := os.Lstat(filepath.Join(dataDir, name)); err == nil {
			present = append(present, name)
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("restoring snapshot %s: %w", dbFile, err)
		}
	}
	if len(present) == 0 {
		return "", nil
	}
	aside := filepath.Join(dataDir, AsidePrefix+now.UTC().Format("20060102T150405.000000000Z"))
	if err := os.Mkdir(aside, 0o700); err != nil {
		return "", fmt.Errorf("restoring snapshot %s: moving the old data aside: %w; nothing was changed", dbFile, err)
	}
	note := fmt.Sprintf("moved aside by etcdfab at %s: replaced by a restore of %s\nnever removed by etcdfab: remove it once the restored cluster is good\n", now.UTC().Format(time.RFC3339), dbFile)
	if err := os.WriteFile(filepath.Join(aside, "REASON"), []byte(note), 0o600); err != nil {
		return "", fmt.Errorf("restoring snapshot %s: %w", dbFile, err)
	}
	for _, name := range present {
		if err := os.Rename(filepath.Join(dataDir, name), filepath.Join(aside, name)); err != nil {
			return "", fmt.Errorf("restoring snapshot %s: moving %s aside to %s: %w", dbFile, name, aside, err)
		}
	}
	return aside, nil
}

func newToken(name string) string {
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	return "etcd-restored-" + name + "-" + hex.EncodeToString(nonce)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
