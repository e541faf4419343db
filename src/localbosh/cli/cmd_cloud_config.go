package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// defaultConfigName is the name of the cloud config when --name is not given.
const defaultConfigName = "default"

// cloudConfigCmd is `cloud-config`: print the latest cloud config.
type cloudConfigCmd struct {
	name string
}

func (c *cloudConfigCmd) Flags(fs *flagSet) {
	fs.stringFlag(&c.name, "name", "", "NAME", "Cloud-Config name (default: 'default')")
}

func (c *cloudConfigCmd) Run(ctx context.Context, s *Session, _ []string) error {
	client, err := s.Director()
	if err != nil {
		return err
	}
	name := configName(c.name)
	cfg, err := client.LatestConfig(ctx, director.ConfigCloud, name)
	if errors.Is(err, director.ErrConfigNotFound) {
		return fmt.Errorf("No cloud config named '%s': upload one with update-cloud-config", name)
	}
	if err != nil {
		return err
	}
	s.UI.PrintBlock(cfg.Content)
	return nil
}

func configName(name string) string {
	if name == "" {
		return defaultConfigName
	}
	return name
}
