package identity

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// etcd's write-ahead log starts every file with a CRC record and a metadata
// record naming the member and the cluster it belongs to (walpb.Record
// {type, crc, data} framed by an 8-byte little-endian length whose top bits
// carry the padding; the metadata is etcdserverpb.Metadata{NodeID,
// ClusterID}). Reading it tells which cluster the local data belongs to
// without starting etcd, which cannot answer anything before it has quorum.
const (
	walMetadataType = 1
	walCRCType      = 4
	// maxWALRecord bounds what is read for one leading record: the CRC and
	// metadata records are a few bytes each.
	maxWALRecord = 1 << 16
)

// errNoWAL: the member directory holds no WAL file, so etcd never finished
// creating its data (a start killed early).
var errNoWAL = errors.New("no WAL file")

// walFiles lists the member's WAL files, oldest first.
func walFiles(walDir string) ([]string, error) {
	entries, err := os.ReadDir(walDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".wal") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// readWALMetadata returns the member and cluster IDs recorded in the first
// WAL file of walDir.
func readWALMetadata(walDir string) (memberID, clusterID uint64, err error) {
	names, err := walFiles(walDir)
	if err != nil {
		return 0, 0, fmt.Errorf("listing %s: %w", walDir, err)
	}
	if len(names) == 0 {
		return 0, 0, errNoWAL
	}
	path := filepath.Join(walDir, names[0])
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	for range 2 { // the CRC record, then the metadata record
		rec, err := readWALRecord(f, maxWALRecord)
		if errors.Is(err, errWALEnd) {
			err = fmt.Errorf("no record at the start of the file")
		}
		if err != nil {
			return 0, 0, fmt.Errorf("reading %s: %w", path, err)
		}
		switch rec.typ {
		case walCRCType:
			continue
		case walMetadataType:
			memberID, clusterID, err = decodeMetadata(rec.data)
			if err != nil {
				return 0, 0, fmt.Errorf("reading the metadata of %s: %w", path, err)
			}
			return memberID, clusterID, nil
		default:
			return 0, 0, fmt.Errorf("reading %s: record of type %d where the metadata should be", path, rec.typ)
		}
	}
	return 0, 0, fmt.Errorf("reading %s: no metadata record at its start", path)
}

// walRecord is one walpb.Record {type = 1, crc = 2, data = 3}.
type walRecord struct {
	typ  int64
	crc  uint32
	data []byte
}

// errWALEnd: a zero length where the next record would be, the end of
// what etcd wrote into a preallocated WAL file.
var errWALEnd = errors.New("end of the written WAL")

// readWALRecord reads one framed walpb.Record of at most limit bytes.
func readWALRecord(r io.Reader, limit uint64) (rec walRecord, err error) {
	var frame [8]byte
	if _, err := io.ReadFull(r, frame[:]); err != nil {
		return rec, err
	}
	lenField := binary.LittleEndian.Uint64(frame[:])
	size := lenField &^ (uint64(0xff) << 56)
	var pad uint64
	if lenField>>63 == 1 {
		pad = (lenField >> 56) & 0x7
	}
	if size == 0 {
		return rec, errWALEnd
	}
	if size > limit {
		return rec, fmt.Errorf("record of %d bytes, more than the %d expected", size, limit)
	}
	buf := make([]byte, size+pad)
	if _, err := io.ReadFull(r, buf); err != nil {
		return rec, err
	}
	err = eachField(buf[:size], func(num protowire.Number, v uint64, b []byte) {
		switch num {
		case 1:
			rec.typ = int64(v)
		case 2:
			rec.crc = uint32(v)
		case 3:
			rec.data = b
		}
	})
	return rec, err
}

// decodeMetadata decodes etcdserverpb.Metadata{NodeID = 1, ClusterID = 2}.
func decodeMetadata(b []byte) (memberID, clusterID uint64, err error) {
	err = eachField(b, func(num protowire.Number, v uint64, _ []byte) {
		switch num {
		case 1:
			memberID = v
		case 2:
			clusterID = v
		}
	})
	if err == nil && (memberID == 0 || clusterID == 0) {
		err = fmt.Errorf("member ID %x or cluster ID %x missing", memberID, clusterID)
	}
	return memberID, clusterID, err
}

// eachField walks the fields of a protobuf message, handing fn each field's
// number with its value: varint fields in v, length-delimited ones in b.
func eachField(msg []byte, fn func(num protowire.Number, v uint64, b []byte)) error {
	for len(msg) > 0 {
		num, wtype, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return protowire.ParseError(n)
		}
		msg = msg[n:]
		var v uint64
		var b []byte
		switch wtype {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(msg)
		case protowire.BytesType:
			b, n = protowire.ConsumeBytes(msg)
		default:
			n = protowire.ConsumeFieldValue(num, wtype, msg)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		msg = msg[n:]
		fn(num, v, b)
	}
	return nil
}
