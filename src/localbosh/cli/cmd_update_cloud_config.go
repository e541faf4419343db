package cli

import (
	"context"
	"fmt"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// updateCloudConfigCmd is `update-cloud-config PATH`: evaluate a cloud
// config (ops files, variables) and store it as the latest version.
type updateCloudConfigCmd struct {
	template templateFlags
	name     string
}

func (c *updateCloudConfigCmd) Flags(fs *flagSet) {
	c.template.register(fs)
	fs.stringFlag(&c.name, "name", "", "NAME", "Cloud-Config name (default: 'default')")
}

func (c *updateCloudConfigCmd) Run(ctx context.Context, s *Session, args []string) error {
	client, err := s.Director()
	if err != nil {
		return err
	}
	data, err := s.ReadInput(args[0])
	if err != nil {
		return err
	}
	// No config server behind the local director: resolve every variable here.
	content, err := c.template.evaluateYAML(args[0], data, true)
	if err != nil {
		return fmt.Errorf("Evaluating cloud config: %w", err)
	}
	if err := s.UI.AskForConfirmation(); err != nil {
		return err
	}
	if _, err := client.UpdateConfig(ctx, director.ConfigCloud, configName(c.name), content); err != nil {
		return err
	}
	return nil
}
