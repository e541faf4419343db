package cli

import (
	"context"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// deleteDeploymentCmd is `delete-deployment`: delete the -d deployment and
// its instances. A deployment that does not exist is already deleted.
type deleteDeploymentCmd struct {
	force bool
}

func (c *deleteDeploymentCmd) Flags(fs *flagSet) {
	fs.boolFlag(&c.force, "force", "", "Ignore errors")
}

func (c *deleteDeploymentCmd) Run(ctx context.Context, s *Session, _ []string) error {
	client, err := s.Director()
	if err != nil {
		return err
	}
	name, err := s.DeploymentName()
	if err != nil {
		return err
	}
	if err := s.UI.AskForConfirmation(); err != nil {
		return err
	}
	task, err := client.DeleteDeployment(ctx, name, c.force)
	if director.ErrorCode(err) == director.CodeDeploymentNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = s.FollowTask(ctx, client, task)
	return err
}
