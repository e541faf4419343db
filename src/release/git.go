package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// ErrUncommittedChanges is returned when the release directory's git
// repository has local modifications and Force was not given.
var ErrUncommittedChanges = errors.New("git repository has local modifications")

// gitState is what a release manifest records about the working copy.
type gitState struct {
	commit  string // short HEAD commit; "non-git" outside a repository, "empty" before the first commit
	dirty   bool
	changes string // `git status --short` output when dirty
}

// readGitState asks git about dir as bosh-cli does: `git status --short`
// (untracked files count, ignored files do not) and `git rev-parse --short HEAD`.
func readGitState(ctx context.Context, dir string) (gitState, error) {
	status, stderr, err := runGit(ctx, dir, "status", "--short")
	if err != nil {
		if notARepository(err, stderr) {
			return gitState{commit: "non-git"}, nil
		}
		return gitState{}, fmt.Errorf("checking git status in %s: %w: %s", dir, err, stderr)
	}
	state := gitState{changes: strings.TrimSpace(status)}
	state.dirty = state.changes != ""

	head, stderr, err := runGit(ctx, dir, "rev-parse", "--short", "HEAD")
	switch {
	case err == nil:
		state.commit = strings.TrimSpace(head)
	case strings.Contains(stderr, "Needed a single revision") || strings.Contains(stderr, "unknown revision"):
		state.commit = "empty"
	default:
		return gitState{}, fmt.Errorf("reading the last commit in %s: %w: %s", dir, err, stderr)
	}
	return state, nil
}

func runGit(ctx context.Context, dir string, args ...string) (stdout, stderr string, err error) {
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), strings.TrimSpace(errOut.String()), err
}

// notARepository is true when dir is outside any git repository, or git is
// not installed; bosh-cli then records the commit as "non-git".
func notARepository(err error, stderr string) bool {
	return errors.Is(err, exec.ErrNotFound) || strings.Contains(strings.ToLower(stderr), "not a git repository")
}
