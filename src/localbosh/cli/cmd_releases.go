package cli

import "context"

// releasesCmd is `releases`: list the uploaded releases, newest version
// first.
type releasesCmd struct{}

func (c *releasesCmd) Flags(*flagSet) {}

func (c *releasesCmd) Run(ctx context.Context, s *Session, _ []string) error {
	client, err := s.Director()
	if err != nil {
		return err
	}
	releases, err := client.Releases(ctx)
	if err != nil {
		return err
	}
	table := Table{
		Content: "releases",
		Header:  []string{"Name", "Version", "Commit Hash"},
		Notes:   []string{"(*) Currently deployed", "(+) Uncommitted changes"},
	}
	for _, r := range releases {
		for _, v := range r.ReleaseVersions {
			version := v.Version
			if v.CurrentlyDeployed {
				version += "*"
			}
			table.Rows = append(table.Rows, []string{r.Name, version, commitHashWithMark(v.CommitHash, v.UncommittedChanges)})
		}
	}
	sortRows(table.Rows, byColumn(0), descending(byVersion(1)))
	s.UI.PrintTable(table)
	return nil
}
