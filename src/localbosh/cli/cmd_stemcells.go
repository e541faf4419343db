package cli

import "context"

// stemcellsCmd is `stemcells`: list the stemcells.
type stemcellsCmd struct{}

func (c *stemcellsCmd) Flags(*flagSet) {}

func (c *stemcellsCmd) Run(ctx context.Context, s *Session, _ []string) error {
	client, err := s.Director()
	if err != nil {
		return err
	}
	stemcells, err := client.Stemcells(ctx)
	if err != nil {
		return err
	}
	table := Table{
		Content: "stemcells",
		Header:  []string{"Name", "Version", "OS", "CPI", "CID"},
		Notes:   []string{"(*) Currently deployed"},
	}
	for _, sc := range stemcells {
		version := sc.Version
		if len(sc.Deployments) > 0 {
			version += "*"
		}
		table.Rows = append(table.Rows, []string{sc.Name, version, sc.OperatingSystem, sc.CPI, sc.CID})
	}
	sortRows(table.Rows, byColumn(0), descending(byVersion(1)))
	s.UI.PrintTable(table)
	return nil
}
