// Package identitytest writes what etcd leaves in a data directory, for
// tests of code that reads it without running etcd.
package identitytest

import (
	"encoding/binary"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/encoding/protowire"
)

// WriteWAL writes the start of a WAL file as etcd does (a CRC record, then
// the metadata record naming member and cluster) under
// dataDir/member/wal.
func WriteWAL(dataDir string, memberID, clusterID uint64) error {
	dir := filepath.Join(dataDir, "member", "wal")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var meta []byte
	meta = protowire.AppendTag(meta, 1, protowire.VarintType)
	meta = protowire.AppendVarint(meta, memberID)
	meta = protowire.AppendTag(meta, 2, protowire.VarintType)
	meta = protowire.AppendVarint(meta, clusterID)
	out := append(frame(record(4, nil)), frame(record(1, meta))...)
	return os.WriteFile(filepath.Join(dir, "0000000000000000-0000000000000000.wal"), out, 0o600)
}

func record(typ int64, data []byte) []byte {
	var r []byte
	r = protowire.AppendTag(r, 1, protowire.VarintType)
	r = protowire.AppendVarint(r, uint64(typ))
	if data != nil {
		r = protowire.AppendTag(r, 3, protowire.BytesType)
		r = protowire.AppendBytes(r, data)
	}
	return r
}

// frame pads a record to 8 bytes and prefixes its length, the padding in
// the length's top byte as etcd's encoder does.
func frame(rec []byte) []byte {
	pad := (8 - len(rec)%8) % 8
	lenField := uint64(len(rec))
	if pad != 0 {
		lenField |= uint64(0x80|pad) << 56
	}
	out := binary.LittleEndian.AppendUint64(nil, lenField)
	out = append(out, rec...)
	return append(out, make([]byte, pad)...)
}
