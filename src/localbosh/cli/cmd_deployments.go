package cli

import (
	"context"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// deploymentsCmd is `deployments`: list the deployments.
type deploymentsCmd struct{}

func (c *deploymentsCmd) Flags(*flagSet) {}

func (c *deploymentsCmd) Run(ctx context.Context, s *Session, _ []string) error {
	client, err := s.Director()
	if err != nil {
		return err
	}
	deployments, err := client.Deployments(ctx)
	if err != nil {
		return err
	}
	table := Table{Content: "deployments", Header: []string{"Name", "Release(s)", "Stemcell(s)", "Team(s)"}}
	for _, d := range deployments {
		table.Rows = append(table.Rows, []string{
			d.Name, joinNameVersions(d.Releases), joinNameVersions(d.Stemcells), strings.Join(d.Teams, "\n"),
		})
	}
	sortRows(table.Rows, byColumn(0))
	s.UI.PrintTable(table)
	return nil
}

// joinNameVersions lists "name/version" one a line.
func joinNameVersions(list []director.NameVersion) string {
	lines := make([]string, len(list))
	for i, nv := range list {
		lines[i] = nv.Name + "/" + nv.Version
	}
	return strings.Join(lines, "\n")
}
