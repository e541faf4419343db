package cli

import "context"

// vmsCmd is `vms`: list the instances that have a VM, of the -d deployment
// or of every deployment.
type vmsCmd struct{}

func (c *vmsCmd) Flags(*flagSet) {}

func (c *vmsCmd) Run(ctx context.Context, s *Session, _ []string) error {
	columns := instanceColumns{vm: true}
	return eachDeployment(ctx, s, func(client Director, name string) error {
		vms, err := client.VMs(ctx, name)
		if err != nil {
			return err
		}
		s.UI.PrintTable(columns.table(name, "vms", vms, false))
		return nil
	})
}
