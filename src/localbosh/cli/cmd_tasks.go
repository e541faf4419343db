package cli

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// defaultRecentTasks is how many tasks --recent shows without a number.
const defaultRecentTasks = 30

// tasksCmd is `tasks`: list running tasks, or recent ones (--recent).
type tasksCmd struct {
	recent *int
	all    bool
}

func (c *tasksCmd) Flags(fs *flagSet) {
	fs.optionalIntFlag(&c.recent, "recent", "r", "N", defaultRecentTasks, "Show 30 recent tasks. Use '=' to specify the number of tasks to show")
	fs.boolFlag(&c.all, "all", "a", "Include all task types (ssh, logs, vms, etc)")
}

func (c *tasksCmd) Run(ctx context.Context, s *Session, _ []string) error {
	client, err := s.Director()
	if err != nil {
		return err
	}
	filter := director.TaskFilter{Deployment: s.Options.Deployment, Verbose: taskVerbosity(c.all)}
	if c.recent != nil {
		filter.Limit = *c.recent
	} else {
		filter.States = currentTaskStates()
		filter.Verbose = taskVerbosity(true)
	}
	tasks, err := client.Tasks(ctx, filter)
	if err != nil {
		return err
	}
	table := Table{
		Content: "tasks",
		Header:  []string{"ID", "State", "Started At", "Last Activity At", "User", "Deployment", "Description", "Result"},
	}
	sortTasksNewestFirst(tasks)
	for _, t := range tasks {
		table.Rows = append(table.Rows, []string{
			strconv.Itoa(t.ID), t.State, taskTime(t.StartedAt), taskTime(t.Timestamp),
			t.User, t.Deployment, t.Description, t.Result,
		})
	}
	s.UI.PrintTable(table)
	return nil
}

// currentTaskStates are the states of tasks that have not ended.
func currentTaskStates() []string {
	return []string{director.StateProcessing, director.StateCancelling, director.StateQueued}
}

// taskVerbosity is the director's verbose level: 2 lists every task, 1
// only deployment, release and errand tasks.
func taskVerbosity(all bool) int {
	if all {
		return 2
	}
	return 1
}

// taskTime prints a task's unix time as the bosh CLI does; 0 is unset.
func taskTime(unix int64) string {
	if unix == 0 {
		return ""
	}
	return time.Unix(unix, 0).UTC().Format(fullTimeLayout)
}

func sortTasksNewestFirst(tasks []director.Task) {
	slices.SortFunc(tasks, func(a, b director.Task) int { return b.ID - a.ID })
}
