package identity

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protowire"
)

// More record types of etcd's WAL (see wal.go for the framing): a
// raftpb.HardState {term = 1, vote = 2, commit = 3} and a
// walpb.Snapshot {index = 1, term = 2}.
const (
	walStateType    = 3
	walSnapshotType = 5
	// maxWALEntry bounds one record: etcd's own WAL decoder refuses
	// entries over 10 MiB.
	maxWALEntry = 10 << 20
)

var walCRCTable = crc32.MakeTable(crc32.Castagnoli)

// WALState is what the member's WAL committed, as etcd reads it back on a
// restart: the last hard state (the raft term and the highest index the
// cluster committed) and the last snapshot the WAL records.
type WALState struct {
	Term, Commit                uint64
	SnapshotIndex, SnapshotTerm uint64
	Records                     int
	// Damaged says where reading stopped early (a CRC mismatch or a record
	// cut short), "" when it read to the end of what etcd wrote.
	Damaged string
}

// ReadWALState reads every WAL file of the member in dataDir, oldest
// first, checking each record's checksum as etcd does (a CRC chained over
// the records, carried from one file to the next). It stops at the first
// record that does not check and says where in Damaged.
func ReadWALState(dataDir string) (WALState, error) {
	walDir := filepath.Join(MemberDir(dataDir), "wal")
	names, err := walFiles(walDir)
	if err != nil {
		return WALState{}, fmt.Errorf("listing %s: %w", walDir, err)
	}
	if len(names) == 0 {
		return WALState{}, fmt.Errorf("%s: %w", walDir, errNoWAL)
	}
	var st WALState
	var crc uint32
	for _, name := range names {
		path := filepath.Join(walDir, name)
		damaged, err := readWALFile(path, &st, &crc)
		if err != nil {
			return st, err
		}
		if damaged != "" {
			st.Damaged = fmt.Sprintf("%s, after %d records: %s", path, st.Records, damaged)
			break
		}
	}
	return st, nil
}

// readWALFile adds the records of one WAL file to st, returning why it
// stopped early ("" at the end of what etcd wrote).
func readWALFile(path string, st *WALState, crc *uint32) (damaged string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		rec, err := readWALRecord(r, maxWALEntry)
		switch {
		case errors.Is(err, errWALEnd), errors.Is(err, io.EOF):
			return "", nil
		case err != nil:
			return err.Error(), nil
		}
		if rec.typ == walCRCType {
			if *crc != 0 && rec.crc != *crc {
				return fmt.Sprintf("the file's leading CRC %08x does not continue the previous file's %08x", rec.crc, *crc), nil
			}
			*crc = rec.crc
			continue
		}
		next := crc32.Update(*crc, walCRCTable, rec.data)
		if next != rec.crc {
			return fmt.Sprintf("CRC mismatch in a record of type %d", rec.typ), nil
		}
		*crc = next
		st.Records++
		switch rec.typ {
		case walStateType:
			if err := decodeHardState(rec.data, st); err != nil {
				return "a hard state record does not decode: " + err.Error(), nil
			}
		case walSnapshotType:
			if err := decodeSnapshot(rec.data, st); err != nil {
				return "a snapshot record does not decode: " + err.Error(), nil
			}
		}
	}
}

func decodeHardState(b []byte, st *WALState) error {
	var term, commit uint64
	err := eachField(b, func(num protowire.Number, v uint64, _ []byte) {
		switch num {
		case 1:
			term = v
		case 3:
			commit = v
		}
	})
	if err == nil && (term != 0 || commit != 0) { // raft saves empty hard states as nothing
		st.Term, st.Commit = term, commit
	}
	return err
}

func decodeSnapshot(b []byte, st *WALState) error {
	return eachField(b, func(num protowire.Number, v uint64, _ []byte) {
		switch num {
		case 1:
			st.SnapshotIndex = v
		case 2:
			st.SnapshotTerm = v
		}
	})
}
