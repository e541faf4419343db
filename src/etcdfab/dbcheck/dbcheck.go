// Package dbcheck checks a member's database (member/snap/db, a bbolt file)
// before etcd starts on it: that it opens, that every page of it is
// consistent, that it is not cut short, and that what it applied agrees
// with what the member's WAL committed, as etcd's own verification
// (server/verify) and its bootstrap check (the database must not be older
// than the WAL's last snapshot) define it.
package dbcheck

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
)

// Problem says that the member's data is bad: etcd must not start on it.
// Any other error from Check means the data could not be checked (it is
// locked by a running etcd, or unreadable for a passing reason).
type Problem struct {
	File string // the file at fault
	What string
}

func (p *Problem) Error() string { return p.File + ": " + p.What }

// Result is what a good database holds.
type Result struct {
	File            string            `json:"file"`
	Size            int64             `json:"size"`
	ConsistentIndex uint64            `json:"consistent_index"`
	Term            uint64            `json:"term"`
	WAL             identity.WALState `json:"wal"`
}

// DBPath is the member's database under dataDir.
func DBPath(dataDir string) string { return filepath.Join(identity.MemberDir(dataDir), "snap", "db") }

// maxErrors bounds how many of bbolt's findings a Problem lists.
const maxErrors = 5

// Check checks the member's database in dataDir against its WAL. It opens
// the database read-only, waiting at most lockTimeout for a running
// process's lock. bbolt reads the file's pages through a memory map and
// panics, in goroutines of its own, on some corrupt pages; a page reference
// pointing outside the file faults the process. So start runs it in a
// child process, through Isolated.
func Check(dataDir string, lockTimeout time.Duration) (Result, error) {
	path := DBPath(dataDir)
	res := Result{File: path}
	wal, err := identity.ReadWALState(dataDir)
	if err != nil {
		return res, fmt.Errorf("reading the WAL of %s: %w", identity.MemberDir(dataDir), err)
	}
	res.WAL = wal
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return res, &Problem{path, fmt.Sprintf("missing, while the WAL holds %d records up to commit %d: the database was lost or moved", wal.Records, wal.Commit)}
	case err != nil:
		return res, fmt.Errorf("checking %s: %w", path, err)
	case info.Size() == 0:
		return res, &Problem{path, "empty (0 bytes): the file was truncated"}
	}
	res.Size = info.Size()
	db, err := bolt.Open(path, 0o400, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
	switch {
	case errors.Is(err, bolt.ErrTimeout):
		return res, fmt.Errorf("opening %s: still locked after %s; is an etcd process still running on it? %w", path, lockTimeout, err)
	case err != nil:
		return res, &Problem{path, fmt.Sprintf("does not open as a bbolt database (%v): its header pages are damaged, zeroed or cut short", err)}
	}
	defer db.Close()
	tx, err := db.Begin(false)
	if err != nil {
		return res, &Problem{path, fmt.Sprintf("no read transaction: %v", err)}
	}
	defer func() { _ = tx.Rollback() }()
	if tx.Size() > res.Size {
		return res, &Problem{path, fmt.Sprintf("truncated: its header says the database spans %d bytes, the file has %d", tx.Size(), res.Size)}
	}
	var found []string
	for err := range tx.Check() {
		if len(found) < maxErrors {
			found = append(found, err.Error())
		}
	}
	if len(found) > 0 {
		return res, &Problem{path, "corrupt: bbolt's consistency check found " + strings.Join(found, "; ")}
	}
	res.ConsistentIndex, res.Term, err = consistentIndex(tx)
	if err != nil {
		return res, &Problem{path, err.Error()}
	}
	if why := disagreement(res.ConsistentIndex, res.Term, wal); why != "" {
		return res, &Problem{path, why}
	}
	return res, nil
}

// consistentIndex reads the raft index and term up to which the database
// applied the log, from etcd's meta bucket (8-byte big-endian values).
func consistentIndex(tx *bolt.Tx) (index, term uint64, err error) {
	meta := tx.Bucket([]byte("meta"))
	if meta == nil {
		return 0, 0, errors.New("has no meta bucket: it is not an etcd v3 database")
	}
	read := func(key string) (uint64, error) {
		v := meta.Get([]byte(key))
		switch len(v) {
		case 0:
			return 0, nil // not written yet, or by an etcd before 3.5 (term)
		case 8:
			return binary.BigEndian.Uint64(v), nil
		default:
			return 0, fmt.Errorf("meta bucket key %q holds %d bytes instead of 8", key, len(v))
		}
	}
	if index, err = read("consistent_index"); err != nil {
		return 0, 0, err
	}
	term, err = read("term")
	return index, term, err
}

// disagreement compares the database with the WAL as etcd's verification
// does, or returns "".
func disagreement(index, term uint64, wal identity.WALState) string {
	var why string
	switch {
	case index > wal.Commit:
		why = fmt.Sprintf("its consistent index %d is ahead of the WAL's commit index %d: it holds changes the member's log never committed", index, wal.Commit)
	case term > wal.Term:
		why = fmt.Sprintf("its term %d is ahead of the WAL's term %d", term, wal.Term)
	case index < wal.SnapshotIndex:
		why = fmt.Sprintf("its consistent index %d is behind the WAL's last snapshot at index %d: the database is older than the log (an old copy put back?), and etcd cannot replay what the WAL no longer holds", index, wal.SnapshotIndex)
	default:
		return ""
	}
	if wal.Damaged != "" {
		why += "; the WAL itself is damaged: " + wal.Damaged
	}
	return why
}
