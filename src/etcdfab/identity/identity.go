// Package identity reads and records which etcd cluster and member the data
// on this node's disk belongs to, and moves data aside instead of deleting
// it. etcdfab compares this identity with what the cluster says before it
// ever clears anything.
package identity

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// ID is an etcd member or cluster ID; it reads and prints in hex, as
// etcdctl shows them.
type ID uint64

func (id ID) String() string { return strconv.FormatUint(uint64(id), 16) }

// MarshalText writes the ID in hex.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText reads an ID in hex.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := strconv.ParseUint(string(b), 16, 64)
	if err != nil {
		return fmt.Errorf("ID %q is not hexadecimal: %w", b, err)
	}
	*id = ID(v)
	return nil
}

// Local is what the data directory says about this node.
type Local struct {
	// HasData: etcd has run here as a member (its WAL exists).
	HasData bool
	// Partial: a member directory without a WAL, left by a start killed
	// before etcd wrote one. It holds nothing to keep, but is moved aside,
	// not deleted, like any other data.
	Partial   bool
	MemberID  ID
	ClusterID ID
}

// Layout of the data directory (etcd.data_dir, on the persistent disk).
const (
	memberDir  = "member"
	recordFile = "etcdfab-identity.json"
	asideDir   = "moved-aside"
)

// MemberDir is etcd's own directory under dataDir.
func MemberDir(dataDir string) string { return filepath.Join(dataDir, memberDir) }

// AsideDir is where data moved aside is kept until the next healthy start.
func AsideDir(dataDir string) string { return filepath.Join(dataDir, asideDir) }

// Read tells whether dataDir holds etcd data and, if so, the member and
// cluster it belongs to, from etcd's own WAL.
func Read(dataDir string) (Local, error) {
	dir := MemberDir(dataDir)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return Local{}, nil
	} else if err != nil {
		return Local{}, fmt.Errorf("checking for local data in %s: %w", dir, err)
	}
	member, clusterID, err := readWALMetadata(filepath.Join(dir, "wal"))
	switch {
	case errors.Is(err, errNoWAL):
		return Local{Partial: true}, nil
	case err != nil:
		return Local{}, fmt.Errorf("reading which cluster the data in %s belongs to: %w; the data is kept, inspect it with etcdutl or restore the member from a snapshot", dir, err)
	}
	return Local{HasData: true, MemberID: ID(member), ClusterID: ID(clusterID)}, nil
}

// MoveAside moves the member directory and its record out of etcd's way,
// into the aside directory with a note saying why. Data is moved aside once:
// if an earlier move's copy is still there (no start has succeeded since),
// that older copy is the one worth keeping, and what is in the member
// directory now was made by a start after the move that never completed, so
// it is removed. It returns where the data went, or "" if there was none.
func MoveAside(dataDir, reason string, now time.Time) (string, error) {
	dir := MemberDir(dataDir)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	aside := AsideDir(dataDir)
	if _, err := os.Stat(aside); err == nil {
		if err := os.RemoveAll(dir); err != nil {
			return "", fmt.Errorf("removing %s (an earlier copy is kept in %s): %w", dir, aside, err)
		}
		return aside, nil
	}
	tmp := aside + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return "", err
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return "", fmt.Errorf("moving data aside: %w", err)
	}
	note := fmt.Sprintf("moved aside by etcdfab at %s: %s\nkept until this member's next healthy start\n", now.UTC().Format(time.RFC3339), reason)
	if err := os.WriteFile(filepath.Join(tmp, "REASON"), []byte(note), 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(dataDir, recordFile), filepath.Join(tmp, recordFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("moving %s aside: %w", recordFile, err)
	}
	if err := os.Rename(dir, filepath.Join(tmp, memberDir)); err != nil {
		return "", fmt.Errorf("moving %s aside: %w", dir, err)
	}
	if err := os.Rename(tmp, aside); err != nil {
		return "", fmt.Errorf("moving data aside to %s: %w", aside, err)
	}
	return aside, nil
}

// ClearAside removes data moved aside; call it once this member is healthy.
func ClearAside(dataDir string) (removed bool, err error) {
	aside := AsideDir(dataDir)
	if _, err := os.Stat(aside); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err := os.RemoveAll(aside); err != nil {
		return false, fmt.Errorf("removing data moved aside in %s: %w", aside, err)
	}
	return true, nil
}

// Record is what etcdfab writes beside the data once the member is healthy,
// for operators and for the next start: which cluster and member the data
// belongs to, and the members it last saw.
type Record struct {
	ClusterID ID       `json:"cluster_id"`
	MemberID  ID       `json:"member_id"`
	Name      string   `json:"name"`
	PeerURLs  []string `json:"peer_urls"`
	Members   []string `json:"members"` // name=id of every member, sorted
	Voters    int      `json:"voters"`  // how many of them vote
	// EtcdVersion is the etcd version the member ran on the data (the
	// upgrade check skips members that ran the new minor already).
	EtcdVersion string    `json:"etcd_version,omitempty"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// WriteRecord replaces the record atomically.
func WriteRecord(dataDir string, r Record) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dataDir, recordFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// ReadRecord returns the record, ok false when there is none.
func ReadRecord(dataDir string) (r Record, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(dataDir, recordFile))
	if errors.Is(err, os.ErrNotExist) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, err
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return Record{}, false, fmt.Errorf("parsing %s: %w", recordFile, err)
	}
	return r, true, nil
}
