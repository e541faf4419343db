package cli

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// logsCmd is `logs [GROUP[/ID]] [--dir DIR]`: a tarball of the instances'
// /var/vcap/sys/log, one directory per instance, as `bosh logs` downloads.
type logsCmd struct {
	dir string
}

func (c *logsCmd) Flags(fs *flagSet) {
	fs.stringFlag(&c.dir, "dir", "", "DIR", "Directory to write the tarball to (default: the current directory)")
}

func (c *logsCmd) Run(ctx context.Context, s *Session, args []string) error {
	instances, vms, err := instanceVMs(ctx, s, arg(args, 0))
	if err != nil {
		return err
	}
	name := fmt.Sprintf("%s-%s.tgz", s.Options.Deployment, s.Deps.Now().UTC().Format("20060102-150405"))
	path := filepath.Join(firstNonEmpty(c.dir, "."), name)
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing logs tarball: %w", err)
	}
	defer f.Close()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	for i, v := range vms {
		prefix := instances[i].JobName + "." + instances[i].ID
		if err := addTree(tw, filepath.Join(v.Root(), "sys", "log"), prefix); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	s.UI.PrintLinef("Downloading resource to '%s'", path)
	return f.Close()
}

// addTree adds the regular files under root to tw, below prefix.
func addTree(tw *tar.Writer, root, prefix string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		hdr, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		hdr.Name = prefix + "/" + filepath.ToSlash(rel)
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		// A log may grow while it is copied; copy what the header announced.
		_, err = io.CopyN(tw, src, hdr.Size)
		if err != nil && !strings.Contains(err.Error(), "EOF") {
			return err
		}
		return nil
	})
}
