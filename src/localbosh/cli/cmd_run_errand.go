package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// runErrandCmd is `run-errand NAME`: run an errand, print each instance's
// exit code, stdout and stderr, and fail when any of them failed.
type runErrandCmd struct {
	keepAlive   bool
	whenChanged bool
	instances   []string
}

func (c *runErrandCmd) Flags(fs *flagSet) {
	fs.boolFlag(&c.keepAlive, "keep-alive", "", "Use existing VM to run an errand and keep it after completion")
	fs.boolFlag(&c.whenChanged, "when-changed", "", "Run errand only if errand configuration has changed or if the previous run was unsuccessful")
	fs.listFlag(&c.instances, "instance", "", "INSTANCE-GROUP[/INSTANCE-ID]", "Instance or group the errand should run on (must specify errand by release job name)")
}

func (c *runErrandCmd) Run(ctx context.Context, s *Session, args []string) error {
	errand := args[0]
	req := director.ErrandRequest{KeepAlive: c.keepAlive, WhenChanged: c.whenChanged}
	for _, text := range c.instances {
		slug, err := parseSlug(text, "--instance")
		if err != nil {
			return err
		}
		req.Instances = append(req.Instances, slug)
	}
	client, err := s.Director()
	if err != nil {
		return err
	}
	name, err := s.DeploymentName()
	if err != nil {
		return err
	}
	results, err := runErrandFollowing(ctx, s, client, name, errand, req)
	if err != nil {
		return err
	}
	return printErrandResults(s.UI, errand, results)
}

// runErrandFollowing runs the errand, printing its task's events as they come. The client
// starts the task and follows it itself, so the task's number, which every
// event line shows, is looked up (once) when the first event arrives; if
// that fails, the events are printed when the task has ended.
func runErrandFollowing(ctx context.Context, s *Session, client Director, deployment, errand string, req director.ErrandRequest) ([]director.ErrandResult, error) {
	id, lookedUp := 0, false
	var pending []director.TaskEvent
	task, results, err := client.RunErrand(ctx, deployment, errand, req, func(ev director.TaskEvent) {
		if !lookedUp {
			lookedUp = true
			if found, err := s.currentTaskID(ctx, client); err == nil {
				id = found
				s.reporter.Started(id)
			}
		}
		if id == 0 {
			pending = append(pending, ev)
			return
		}
		s.reporter.Event(id, ev)
	})
	if task.ID != 0 && !task.IsRunning() {
		if id == 0 {
			s.reporter.Started(task.ID)
			for _, ev := range pending {
				s.reporter.Event(task.ID, ev)
			}
		}
		s.reporter.Finished(task.ID, task.State)
	}
	return results, err
}

// printErrandResults prints one block per instance and returns an error
// naming the errand when any instance's run failed.
func printErrandResults(ui UI, errand string, results []director.ErrandResult) error {
	table := Table{
		Content:         "errand(s)",
		Header:          []string{"Instance", "Exit Code", "Stdout", "Stderr"},
		FillFirstColumn: true,
		Transpose:       true,
	}
	var errandErr error
	for _, r := range results {
		table.Rows = append(table.Rows, []string{r.Instance.String(), strconv.Itoa(r.ExitCode), r.Stdout, r.Stderr})
		switch {
		case r.ExitCode == 0:
		case r.ExitCode > 128:
			errandErr = fmt.Errorf("Errand '%s' was canceled (exit code %d)", errand, r.ExitCode)
		default:
			errandErr = fmt.Errorf("Errand '%s' completed with error (exit code %d)", errand, r.ExitCode)
		}
	}
	sortRows(table.Rows, byColumn(0))
	ui.PrintTable(table)
	return errandErr
}
