// Package dbchecktest damages a real etcd database the ways the database
// check must catch, for its tests and the integration suite's.
package dbchecktest

import (
	"encoding/binary"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Pages is the part of the database file that holds pages (the file may be
// longer: bbolt grows it ahead), and the root page of etcd's key bucket.
func Pages(db string) (size, keyRoot int64, pageSize int, err error) {
	b, err := bolt.Open(db, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, 0, 0, err
	}
	defer b.Close()
	err = b.View(func(tx *bolt.Tx) error {
		size = tx.Size()
		if key := tx.Bucket([]byte("key")); key != nil {
			keyRoot = int64(key.Root())
		}
		return nil
	})
	return size, keyRoot, b.Info().PageSize, err
}

// Truncate cuts the database to half of what its pages span.
func Truncate(db string) error {
	size, _, _, err := Pages(db)
	if err != nil {
		return err
	}
	return os.Truncate(db, size/2)
}

// WriteAt overwrites the file at off with data.
func WriteAt(path string, off int64, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(data, off); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// keyPage is the offset of the key bucket's root page, which must be a
// page of its own (enough keys written) for a damage to hit a page every
// read of the bucket goes through.
func keyPage(db string) (off int64, pageSize int, err error) {
	_, root, pageSize, err := Pages(db)
	if err == nil && root < 2 {
		err = fmt.Errorf("%s: the key bucket has no page of its own (root %d); write more keys", db, root)
	}
	return root * int64(pageSize), pageSize, err
}

// CorruptKeyPage overwrites the flags of the key bucket's root page, so
// it is neither a branch nor a leaf page.
func CorruptKeyPage(db string) error {
	off, _, err := keyPage(db)
	if err != nil {
		return err
	}
	return WriteAt(db, off+8, []byte{0x40, 0x00}) // after the page's 8-byte id
}

// GarbleKeyPage fills the key bucket's root page with garbage that still
// claims to be a branch page, pointing anywhere.
func GarbleKeyPage(db string, garbage []byte) error {
	off, pageSize, err := keyPage(db)
	if err != nil {
		return err
	}
	page := make([]byte, pageSize)
	copy(page, garbage)
	page[8], page[9] = 0x01, 0x00
	return WriteAt(db, off, page)
}

// Zero overwrites the whole database with zeros.
func Zero(db string) error {
	info, err := os.Stat(db)
	if err != nil {
		return err
	}
	return WriteAt(db, 0, make([]byte, info.Size()))
}

// SetMeta rewrites one of etcd's meta values (consistent_index, term).
func SetMeta(db, key string, v uint64) error {
	b, err := bolt.Open(db, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return err
	}
	defer b.Close()
	return b.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte(key), binary.BigEndian.AppendUint64(nil, v))
	})
}
