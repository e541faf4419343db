package cli

import (
	"context"
	"sort"
)

// instancesCmd is `instances`: list the instances of the -d deployment, or
// of every deployment, with or without a VM.
type instancesCmd struct {
	processes bool
	details   bool
	failing   bool
}

func (c *instancesCmd) Flags(fs *flagSet) {
	fs.boolFlag(&c.processes, "ps", "p", "Show processes")
	fs.boolFlag(&c.details, "details", "i", "Show details including VM CID, persistent disk CID, etc.")
	fs.boolFlag(&c.failing, "failing", "f", "Only show failing instances")
}

func (c *instancesCmd) Run(ctx context.Context, s *Session, _ []string) error {
	columns := instanceColumns{processes: c.processes, details: c.details}
	return eachDeployment(ctx, s, func(client Director, name string) error {
		instances, err := client.Instances(ctx, name)
		if err != nil {
			return err
		}
		s.UI.PrintTable(columns.table(name, "instances", instances, c.failing))
		return nil
	})
}

// eachDeployment runs fn for the -d deployment, or for every deployment in
// name order when -d is not given, as instances and vms do.
func eachDeployment(ctx context.Context, s *Session, fn func(client Director, deployment string) error) error {
	client, err := s.Director()
	if err != nil {
		return err
	}
	if s.Options.Deployment != "" {
		name, err := s.DeploymentName()
		if err != nil {
			return err
		}
		return fn(client, name)
	}
	deployments, err := client.Deployments(ctx)
	if err != nil {
		return err
	}
	sort.Slice(deployments, func(i, j int) bool { return deployments[i].Name < deployments[j].Name })
	for _, d := range deployments {
		if err := fn(client, d.Name); err != nil {
			return err
		}
	}
	return nil
}
