package cli

import (
	"bytes"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

var _ = Describe("taskReporter", func() {
	var (
		out      *bytes.Buffer
		reporter *taskReporter
		base     = time.Date(2026, 1, 2, 10, 1, 2, 0, time.UTC).Unix()
	)

	BeforeEach(func() {
		out = &bytes.Buffer{}
		reporter = newTaskReporter(newTextUI(out, &bytes.Buffer{}, strings.NewReader(""), true, false))
	})

	item := func(at int64, stage string, tags []string, task, state string) director.TaskEvent {
		return director.TaskEvent{Time: base + at, Stage: stage, Tags: tags, Task: task, State: state}
	}

	It("completes an item's line when it finishes right after it started, with its duration", func() {
		reporter.Started(12)
		reporter.Event(12, item(0, "Preparing deployment", nil, "Preparing deployment", "started"))
		reporter.Event(12, item(1, "Preparing deployment", nil, "Preparing deployment", "finished"))
		reporter.Event(12, item(1, "Updating instance", []string{"etcd"}, "etcd/0 (canary)", "started"))
		reporter.Event(12, item(5, "Updating instance", []string{"etcd"}, "etcd/0 (canary)", "in_progress"))
		reporter.Event(12, item(13, "Updating instance", []string{"etcd"}, "etcd/0 (canary)", "finished"))
		reporter.Finished(12, "done")
		Expect(out.String()).To(Equal(`Task 12

Task 12 | 10:01:02 | Preparing deployment: Preparing deployment (00:00:01)
Task 12 | 10:01:03 | Updating instance etcd: etcd/0 (canary) (00:00:12)

Task 12 Started  Fri Jan  2 10:01:02 UTC 2026
Task 12 Finished Fri Jan  2 10:01:15 UTC 2026
Task 12 Duration 00:00:13
Task 12 done
`))
	})

	It("prints a finish on its own line when other items came between, and errors under failed items", func() {
		reporter.Started(7)
		reporter.Event(7, item(0, "Updating instance", []string{"etcd"}, "etcd/1", "started"))
		reporter.Event(7, item(0, "Updating instance", []string{"etcd"}, "etcd/2", "started"))
		reporter.Event(7, item(61, "Updating instance", []string{"etcd"}, "etcd/1", "finished"))
		failed := item(3662, "Updating instance", []string{"etcd"}, "etcd/2", "failed")
		failed.Data = &director.TaskEventData{Error: "'etcd/2' is not running after update"}
		reporter.Event(7, failed)
		reporter.Event(7, director.TaskEvent{Time: base + 3662, Error: &director.TaskEventError{Code: 400007, Message: "'etcd/2' is not running after update"}})
		reporter.Finished(7, "error")
		Expect(out.String()).To(Equal(`Task 7

Task 7 | 10:01:02 | Updating instance etcd: etcd/1
Task 7 | 10:01:02 | Updating instance etcd: etcd/2
Task 7 | 10:02:03 | Updating instance etcd: etcd/1 (00:01:01)
Task 7 | 11:02:04 | Updating instance etcd: etcd/2 (01:01:02)
                  L Error: 'etcd/2' is not running after update

Task 7 | 11:02:04 | Error: 'etcd/2' is not running after update

Task 7 Started  Fri Jan  2 10:01:02 UTC 2026
Task 7 Finished Fri Jan  2 11:02:04 UTC 2026
Task 7 Duration 01:01:02
Task 7 error
`))
	})

	It("prints warnings, and a task without output as done on its own line", func() {
		reporter.Started(3)
		reporter.Finished(3, "done")
		reporter.Started(4)
		reporter.Event(4, director.TaskEvent{Time: base, Type: "warning", Message: "disk almost full"})
		reporter.Finished(4, "done")
		Expect(out.String()).To(Equal(`Task 3. Done
Task 4

Task 4 | 10:01:02 | Warning: disk almost full

Task 4 Started  Fri Jan  2 10:01:02 UTC 2026
Task 4 Finished Fri Jan  2 10:01:02 UTC 2026
Task 4 Duration 00:00:00
Task 4 done
`))
	})

	It("prints raw output as it comes", func() {
		reporter.Started(9)
		reporter.Chunk(9, "D, [time] [task:9] DEBUG -- one\n")
		reporter.Chunk(9, "D, [time] [task:9] DEBUG -- two\n")
		reporter.Finished(9, "done")
		Expect(out.String()).To(Equal("Task 9\n\nD, [time] [task:9] DEBUG -- one\nD, [time] [task:9] DEBUG -- two\n\nTask 9 done\n"))
	})

	It("keeps event lines, ending the last one, when output is piped", func() {
		piped := &bytes.Buffer{}
		reporter = newTaskReporter(newTextUI(piped, &bytes.Buffer{}, strings.NewReader(""), false, false))
		reporter.Started(5)
		reporter.Event(5, item(0, "Compiling packages", nil, "etcd/abc", "started"))
		reporter.Event(5, item(2, "Compiling packages", nil, "etcd/abc", "finished"))
		reporter.Finished(5, "done")
		Expect(piped.String()).To(Equal("\nTask 5 | 10:01:02 | Compiling packages: etcd/abc (00:00:02)\n"))
	})
})
