// Package tartest edits tar streams for tests that tamper with an archive
// (a release tarball, a backup artifact) to see it refused.
package tartest

import (
	"archive/tar"
	"errors"
	"io"
)

// Rewrite copies the tar stream r to w, passing each regular entry's
// content through change (given the entry's name) and fixing its size.
// Other entries are copied as they are. w is closed (its end written)
// when r ends.
func Rewrite(r io.Reader, w io.Writer, change func(name string, data []byte) []byte) error {
	tr, tw := tar.NewReader(r), tar.NewWriter(w)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return tw.Close()
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg {
			data = change(hdr.Name, data)
			hdr.Size = int64(len(data))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
}
