package cli

import "context"

// manifestCmd is `manifest`: print the manifest last deployed as -d.
type manifestCmd struct{}

func (c *manifestCmd) Flags(*flagSet) {}

func (c *manifestCmd) Run(ctx context.Context, s *Session, _ []string) error {
	client, err := s.Director()
	if err != nil {
		return err
	}
	name, err := s.DeploymentName()
	if err != nil {
		return err
	}
	manifest, err := client.Deployment(ctx, name)
	if err != nil {
		return err
	}
	s.UI.PrintBlock(string(manifest))
	return nil
}
