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
// (keep or delete), drain gets BOSH_JOB_NEXT_STATE ({"persistent_disk": MB},
// 0 when the disk goes away with the instance).

// Env reads an environment variable; os.Getenv in production.
type Env func(string) string

// PreStop leaves the cluster when this instance is being deleted (scale
// down). When the whole deployment is being deleted nobody leaves, since
// members leaving one after another would soon lose quorum; pre-stop notes
// it so that drain, which cannot tell, does not leave either.
func (a *App) PreStop(ctx context.Context, env Env) error {
	if env("BOSH_DEPLOYMENT_NEXT_STATE") == "delete" {
		a.log.Info("deployment is being deleted; stopping without leaving the cluster")
		return os.WriteFile(a.deletingMarker(), nil, 0o644)
	}
	if env("BOSH_INSTANCE_NEXT_STATE") != "delete" {
		return nil
	}
	return a.Leave(ctx)
}

// Drain leaves the cluster when the persistent disk goes away (instance
// deletion, or the disk removed from the manifest): the member's data is
// about to disappear, so it must not stay a member. It returns the number of
// seconds for BOSH to wait, which is 0: all the work is done synchronously.
func (a *App) Drain(ctx context.Context, env Env) (int, error) {
	next := env("BOSH_JOB_NEXT_STATE")
	if next == "" {
		return 0, nil // job_check_status: nothing pending
	}
	var state struct {
		PersistentDisk *int `json:"persistent_disk"`
	}
	if err := json.Unmarshal([]byte(next), &state); err != nil {
		return 0, fmt.Errorf("parsing BOSH_JOB_NEXT_STATE %q: %w", next, err)
	}
	if state.PersistentDisk == nil || *state.PersistentDisk != 0 {
		return 0, nil
	}
	if _, err := os.Stat(a.deletingMarker()); err == nil {
		a.log.Info("deployment is being deleted; not leaving the cluster")
		return 0, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("checking deployment deletion marker: %w", err)
	}
	return 0, a.Leave(ctx)
}

// ClearDeletingMarker forgets a deletion that did not happen; start calls it.
func (a *App) ClearDeletingMarker() error {
	if err := os.Remove(a.deletingMarker()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing deployment deletion marker: %w", err)
	}
	return nil
}

func (a *App) deletingMarker() string {
	return filepath.Join(a.cfg.Etcd.RunDir, "deployment-deleting")
}
