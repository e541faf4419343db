package cli

import (
	"context"
	"errors"
	"strconv"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// taskCmd is `task [ID]`: print a task's events (or its debug or result
// output) and follow it until it ends. Without ID it is the newest running
// task.
type taskCmd struct {
	event  bool
	debug  bool
	result bool
	all    bool
}

func (c *taskCmd) Flags(fs *flagSet) {
	fs.boolFlag(&c.event, "event", "", "Track event log")
	fs.boolFlag(&c.debug, "debug", "", "Track debug log")
	fs.boolFlag(&c.result, "result", "", "Track result log")
	fs.boolFlag(&c.all, "all", "a", "Include all task types (ssh, logs, vms, etc)")
}

func (c *taskCmd) Run(ctx context.Context, s *Session, args []string) error {
	outputType, err := c.outputType()
	if err != nil {
		return err
	}
	id := 0
	if raw := arg(args, 0); raw != "" {
		if id, err = strconv.Atoi(raw); err != nil || id <= 0 {
			return usageErrorf("task ID %q is not a task number", raw)
		}
	}
	client, err := s.Director()
	if err != nil {
		return err
	}
	if id == 0 {
		tasks, err := client.Tasks(ctx, director.TaskFilter{
			States: currentTaskStates(), Deployment: s.Options.Deployment, Verbose: taskVerbosity(c.all),
		})
		if err != nil {
			return err
		}
		if len(tasks) == 0 {
			return errors.New("No task found: no task is running; give a task ID (see 'localbosh tasks --recent')")
		}
		sortTasksNewestFirst(tasks)
		id = tasks[0].ID
	}
	_, err = s.followTask(ctx, client, id, outputType)
	return err
}

func (c *taskCmd) outputType() (string, error) {
	chosen := []string{}
	for flag, on := range map[string]bool{director.OutputEvent: c.event, director.OutputDebug: c.debug, director.OutputResult: c.result} {
		if on {
			chosen = append(chosen, flag)
		}
	}
	switch len(chosen) {
	case 0:
		return director.OutputEvent, nil
	case 1:
		return chosen[0], nil
	default:
		return "", usageErrorf("give one of --event, --debug and --result")
	}
}
