package releasebench

import "github.com/cloudfoundry-incubator/etcd-release/src/director"

// StageSeconds is how long a task's stage ran by its events' times (whole
// seconds, as the Director API gives them): from its first event to its
// last; 0 when the task had no such stage.
func StageSeconds(events []director.TaskEvent, stage string) float64 {
	var first, last int64
	seen := false
	for _, e := range events {
		if e.Stage != stage {
			continue
		}
		if !seen {
			first, seen = e.Time, true
		}
		last = max(last, e.Time)
	}
	if !seen {
		return 0
	}
	return float64(last - first)
}
