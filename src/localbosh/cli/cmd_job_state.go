package cli

import (
	"context"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// allInstanceGroups is the instance group path segment meaning every group.
const allInstanceGroups = "*"

// jobStateCmd is `start`, `stop`, `restart` and `recreate
// [INSTANCE-GROUP[/INSTANCE-ID]]`: change the state of one instance, an
// instance group, or the whole deployment, keeping its manifest.
type jobStateCmd struct {
	state     string // director.JobStarted, ...
	skipDrain bool
	fix       bool
}

func (c *jobStateCmd) Flags(fs *flagSet) {
	if c.state != director.JobStarted {
		fs.boolFlag(&c.skipDrain, "skip-drain", "", "Skip running drain and pre-stop scripts")
	}
	if c.state == director.JobRecreate {
		fs.boolFlag(&c.fix, "fix", "", "Recreate an instance with an unresponsive agent instead of erroring")
	}
}

func (c *jobStateCmd) Run(ctx context.Context, s *Session, args []string) error {
	slug := director.InstanceSlug{Group: allInstanceGroups}
	if text := arg(args, 0); text != "" {
		var err error
		if slug, err = parseSlug(text, "instance"); err != nil {
			return err
		}
	}
	client, err := s.Director()
	if err != nil {
		return err
	}
	name, err := s.DeploymentName()
	if err != nil {
		return err
	}
	if c.state != director.JobStarted {
		if err := s.UI.AskForConfirmation(); err != nil {
			return err
		}
	}
	task, err := client.ChangeJobState(ctx, name, slug.Group, slug.ID, director.JobStateOptions{
		State: c.state, SkipDrain: c.skipDrain, Fix: c.fix,
	})
	if err != nil {
		return err
	}
	_, err = s.FollowTask(ctx, client, task)
	return err
}
