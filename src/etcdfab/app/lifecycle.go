package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// BOSH tells a stopping job what comes next through environment variables:
// pre-stop gets BOSH_INSTANCE_NEXT_STATE and BOSH_DEPLOYMENT_NEXT_STATE
// (keep or delete); drain gets BOSH_JOB_STATE and BOSH_JOB_NEXT_STATE
// ({"persistent_disk": MB}, the next one 0 when the disk goes away). BOSH
// runs pre-stop while monit still monitors the job, and the agent
// unmonitors only at drain: a member removed in pre-stop would exit, be
// restarted by monit and rejoin while its instance is being deleted. So
// pre-stop only prepares (notes the deletion, checks quorum, hands
// leadership over), and drain removes.

// Env reads an environment variable; os.Getenv in production.
type Env func(string) string

const (
	deploymentDeleting = "deployment-deleting"
	instanceDeleting   = "instance-deleting"
)

// PreStop notes what BOSH is about to do for drain, which cannot tell
// everything by itself. When the whole deployment is being deleted nobody
// leaves (members leaving one after another would soon lose quorum). When
// this instance is being deleted, it checks that leaving keeps quorum,
// failing before anything changes if not, and hands leadership over.
func (a *App) PreStop(ctx context.Context, env Env) error {
	if env("BOSH_DEPLOYMENT_NEXT_STATE") == "delete" {
		a.log.Info("deployment is being deleted; stopping without leaving the cluster")
		return a.mark(deploymentDeleting)
	}
	if env("BOSH_INSTANCE_NEXT_STATE") != "delete" {
		return nil
	}
	if err := a.mark(instanceDeleting); err != nil {
		return err
	}
	d, ok, err := a.prepareLeave(ctx)
	if err != nil || !ok {
		return err
	}
	a.handOverLeadership(ctx, d)
	return nil
}

// diskState is BOSH_JOB_STATE's and BOSH_JOB_NEXT_STATE's content.
type diskState struct {
	PersistentDisk *int `json:"persistent_disk"`
}

func readDiskState(env Env, name string) (diskState, error) {
	var s diskState
	v := env(name)
	if v == "" {
		return s, nil
	}
	if err := json.Unmarshal([]byte(v), &s); err != nil {
		return s, fmt.Errorf("parsing %s %q: %w", name, v, err)
	}
	return s, nil
}

// Drain leaves the cluster when the member's data goes away for good: the
// instance is being deleted (pre-stop noted it), or the persistent disk it
// had is being removed. An instance group without a persistent disk gets
// {"persistent_disk":0} in both variables on every update; it stays a member.
// It returns the number of seconds for BOSH to wait, which is 0: all the
// work is done synchronously.
func (a *App) Drain(ctx context.Context, env Env) (int, error) {
	if env("BOSH_JOB_NEXT_STATE") == "" {
		return 0, nil // job_check_status: nothing pending
	}
	next, err := readDiskState(env, "BOSH_JOB_NEXT_STATE")
	if err != nil {
		return 0, err
	}
	current, err := readDiskState(env, "BOSH_JOB_STATE")
	if err != nil {
		return 0, err
	}
	if a.marked(deploymentDeleting) {
		a.log.Info("deployment is being deleted; not leaving the cluster")
		return 0, nil
	}
	diskGoes := current.PersistentDisk != nil && *current.PersistentDisk > 0 && next.PersistentDisk != nil && *next.PersistentDisk == 0
	if !a.marked(instanceDeleting) && !diskGoes {
		return 0, nil
	}
	return 0, a.Leave(ctx)
}

// ClearMarks forgets a deletion that did not happen; start calls it.
func (a *App) ClearMarks() error {
	for _, name := range []string{deploymentDeleting, instanceDeleting} {
		if err := os.Remove(a.markPath(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", a.markPath(name), err)
		}
	}
	return nil
}

func (a *App) mark(name string) error {
	if err := os.MkdirAll(a.cfg.Etcd.RunDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(a.markPath(name), nil, 0o644)
}

func (a *App) marked(name string) bool {
	_, err := os.Stat(a.markPath(name))
	return err == nil
}

func (a *App) markPath(name string) string { return filepath.Join(a.cfg.Etcd.RunDir, name) }
