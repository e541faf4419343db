package release

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// writeReleaseTarball writes a release tarball as bosh-cli lays it out:
// release.MF, jobs/<name>.tgz and packages/<name>.tgz (entry names without
// a "./" prefix). Like the archives inside it, it is deterministic.
func writeReleaseTarball(path string, m Manifest, packages, jobs []*artifact) error {
	mf, err := marshalYAML(m)
	if err != nil {
		return fmt.Errorf("encoding release.MF: %w", err)
	}
	err = writeFileAtomic(path, func(w io.Writer) error {
		tz, err := newTgzWriter(w, "", tarballCompression)
		if err != nil {
			return err
		}
		if err := tz.addFile("release.MF", 0o644, int64(len(mf)), bytes.NewReader(mf)); err != nil {
			return err
		}
		for _, list := range [][]*artifact{jobs, packages} {
			for _, a := range list {
				if err := addArchive(tz, a); err != nil {
					return err
				}
			}
		}
		return tz.close()
	})
	if err != nil {
		return fmt.Errorf("writing release tarball: %w", err)
	}
	return nil
}

func addArchive(tz *tgzWriter, a *artifact) error {
	f, err := os.Open(a.archivePath)
	if err != nil {
		return fmt.Errorf("adding %s: %w", a.label(), err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	return tz.addFile(a.slot(), 0o644, info.Size(), f)
}
