package cli

import (
	"context"
	"errors"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/bbr"
)

// backupCmd is `backup --artifact-path DIR`: back up the -d deployment
// through its jobs' bin/bbr scripts, as `bbr deployment backup` does, into
// DIR/<deployment>_<timestamp>.
type backupCmd struct {
	artifactPath string
}

func (c *backupCmd) Flags(fs *flagSet) {
	fs.stringFlag(&c.artifactPath, "artifact-path", "", "DIR", "Directory to write the backup directory into (default: the current directory)")
}

func (c *backupCmd) Run(ctx context.Context, s *Session, _ []string) error {
	instances, opts, err := bbrTargets(ctx, s)
	if err != nil {
		return err
	}
	dir, err := bbr.Backup(ctx, instances, firstNonEmpty(c.artifactPath, "."), opts)
	if err != nil {
		return err
	}
	s.UI.PrintLinef("Backup written to %s", dir)
	return nil
}

// restoreCmd is `restore --artifact-path DIR`: restore the -d deployment
// from the backup directory DIR, as `bbr deployment restore` does.
type restoreCmd struct {
	artifactPath string
}

func (c *restoreCmd) Flags(fs *flagSet) {
	fs.stringFlag(&c.artifactPath, "artifact-path", "", "DIR", "The backup directory to restore from (<deployment>_<timestamp>, as backup wrote it)")
}

func (c *restoreCmd) Run(ctx context.Context, s *Session, _ []string) error {
	if c.artifactPath == "" {
		return usageErrorf("restore needs --artifact-path: the backup directory (<deployment>_<timestamp>) that backup wrote")
	}
	instances, opts, err := bbrTargets(ctx, s)
	if err != nil {
		return err
	}
	return bbr.Restore(ctx, instances, c.artifactPath, opts)
}

// bbrTargets are the -d deployment's instances with VMs, to run bbr
// scripts in, and its manifest.
func bbrTargets(ctx context.Context, s *Session) ([]bbr.Instance, bbr.Options, error) {
	found, vms, err := instanceVMs(ctx, s, "")
	if err != nil {
		return nil, bbr.Options{}, err
	}
	client, err := s.Director()
	if err != nil {
		return nil, bbr.Options{}, err
	}
	name, err := s.DeploymentName()
	if err != nil {
		return nil, bbr.Options{}, err
	}
	manifest, err := client.Deployment(ctx, name)
	if err != nil {
		return nil, bbr.Options{}, err
	}
	if len(found) == 0 {
		return nil, bbr.Options{}, errors.New("the deployment has no instances with VMs")
	}
	var instances []bbr.Instance
	for i, inst := range found {
		instances = append(instances, bbr.Instance{Group: inst.JobName, Index: inst.Index, ID: inst.ID, Bootstrap: inst.Bootstrap, Shell: vms[i]})
	}
	return instances, bbr.Options{Deployment: name, Manifest: manifest, Log: s.Deps.Stdout, Now: s.Deps.Now}, nil
}
