// Package releasetest writes the tarballs tests of release readers need,
// untrusted ones included: entries that climb out of the archive, links
// that point out of it, devices.
package releasetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
)

// Entry is one tarball entry: a file (Body), or, by Type, a symlink or hard
// link (Link), a directory or a device.
type Entry struct {
	Name string
	Body string
	Link string
	Type byte // tar.TypeReg when 0, or tar.TypeSymlink when Link is set
}

// Tgz is a gzipped tarball of the entries, in order, as written: names are
// not cleaned, so "../x" stays "../x".
func Tgz(entries ...Entry) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.Name, Typeflag: e.Type, Linkname: e.Link, Mode: 0o644}
		switch {
		case hdr.Typeflag == 0 && e.Link != "":
			hdr.Typeflag = tar.TypeSymlink
		case hdr.Typeflag == 0:
			hdr.Typeflag = tar.TypeReg
		}
		if hdr.Typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("writing tar entry %q: %w", e.Name, err)
		}
		if _, err := tw.Write([]byte(e.Body)); err != nil && hdr.Typeflag == tar.TypeReg {
			return nil, fmt.Errorf("writing tar entry %q: %w", e.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
