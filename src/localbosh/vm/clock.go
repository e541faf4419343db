package vm

import (
	"context"
	"time"
)

// Clock is the time source for waiting and polling.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// sleep waits d on clock, or until ctx ends.
func sleep(ctx context.Context, clock Clock, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-clock.After(d):
		return nil
	}
}

// pollInterval paces the short waits for monit and processes: quick enough
// to keep a deploy snappy, slow enough not to load the machine.
const pollInterval = 50 * time.Millisecond
