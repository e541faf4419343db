package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/release"
)

// createReleaseCmd is `create-release [DIR]`: build a dev (or --final)
// release of a release directory, through package release, and print it
// as the bosh CLI does.
type createReleaseCmd struct {
	dir     string
	force   bool
	final   bool
	tarball string
}

func (c *createReleaseCmd) Flags(fs *flagSet) {
	fs.stringFlag(&c.dir, "dir", "", "DIR", "Release directory path if not current working directory")
	fs.boolFlag(&c.force, "force", "", "Ignore Git dirty state check")
	fs.boolFlag(&c.final, "final", "", "Make it a final release")
	fs.stringFlag(&c.tarball, "tarball", "", "PATH", "Create release tarball at path (e.g. /tmp/release.tgz)")
}

func (c *createReleaseCmd) Run(ctx context.Context, s *Session, args []string) error {
	dir, err := releaseDir(arg(args, 0), c.dir)
	if err != nil {
		return err
	}
	created, err := release.Create(ctx, dir, release.CreateOptions{Final: c.final, Force: c.force, Tarball: c.tarball})
	if err != nil {
		return fmt.Errorf("Creating release from %s: %w", dir, err)
	}
	for _, built := range created.Built {
		kind, name, _ := strings.Cut(built, "/")
		s.UI.PrintLinef("Added %s '%s/%s'", strings.TrimSuffix(kind, "s"), name, fingerprintOf(created.Manifest, kind, name))
	}
	kind := "dev"
	if c.final {
		kind = "final"
	}
	s.UI.PrintLinef("Added %s release '%s/%s'", kind, created.Manifest.Name, created.Manifest.Version)
	printReleaseTables(s.UI, created.Manifest, created.TarballPath)
	return nil
}

// releaseDir is the release directory: the argument, --dir, or the
// current directory; not two different ones.
func releaseDir(positional, flag string) (string, error) {
	switch {
	case positional != "" && flag != "" && positional != flag:
		return "", usageErrorf("release directory given twice, as %s and --dir %s: give one", positional, flag)
	case positional != "":
		return positional, nil
	case flag != "":
		return flag, nil
	default:
		return ".", nil
	}
}

func fingerprintOf(m release.Manifest, kind, name string) string {
	if kind == "jobs" {
		for _, j := range m.Jobs {
			if j.Name == name {
				return j.Fingerprint
			}
		}
	}
	for _, p := range m.Packages {
		if p.Name == name {
			return p.Fingerprint
		}
	}
	return ""
}

// printReleaseTables prints a release's summary, jobs and packages.
func printReleaseTables(ui UI, m release.Manifest, tarball string) {
	summary := Table{
		Header:    []string{"Name", "Version", "Commit Hash"},
		Rows:      [][]string{{m.Name, m.Version, commitHashWithMark(m.CommitHash, m.UncommittedChanges)}},
		Transpose: true,
	}
	if tarball != "" {
		summary.Header = append(summary.Header, "Archive")
		summary.Rows[0] = append(summary.Rows[0], tarball)
	}
	jobs := Table{Content: "jobs", Header: []string{"Job", "Digest", "Packages"}}
	for _, j := range m.Jobs {
		jobs.Rows = append(jobs.Rows, []string{j.Name + "/" + j.Fingerprint, j.SHA1, strings.Join(j.Packages, "\n")})
	}
	packages := Table{Content: "packages", Header: []string{"Package", "Digest", "Dependencies"}}
	for _, p := range m.Packages {
		packages.Rows = append(packages.Rows, []string{p.Name + "/" + p.Fingerprint, p.SHA1, strings.Join(p.Dependencies, "\n")})
	}
	sortRows(jobs.Rows, byColumn(0))
	sortRows(packages.Rows, byColumn(0))
	ui.PrintTable(summary)
	ui.PrintTable(jobs)
	ui.PrintTable(packages)
}

// commitHashWithMark marks a commit with uncommitted changes with "+".
func commitHashWithMark(hash string, uncommitted bool) string {
	if uncommitted {
		return hash + "+"
	}
	return hash
}
