package identity

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// quarantineDir holds member data found bad before start, one directory
// per event; unlike data moved aside, it is never removed by etcdfab.
const quarantineDir = "corrupt"

// QuarantineDir is where bad member data is kept for an operator to
// inspect.
func QuarantineDir(dataDir string) string { return filepath.Join(dataDir, quarantineDir) }

// Quarantine moves the member directory and its record out of etcd's way
// into a new directory under QuarantineDir, with a note saying why, and
// returns that directory. Nothing is deleted: every event keeps its own
// copy until an operator removes it.
func Quarantine(dataDir, reason string, now time.Time) (string, error) {
	dir := MemberDir(dataDir)
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("quarantining %s: %w", dir, err)
	}
	if err := os.MkdirAll(QuarantineDir(dataDir), 0o700); err != nil {
		return "", fmt.Errorf("quarantining %s: %w", dir, err)
	}
	dest, err := os.MkdirTemp(QuarantineDir(dataDir), now.UTC().Format("20060102T150405Z")+"-")
	if err != nil {
		return "", fmt.Errorf("quarantining %s: %w", dir, err)
	}
	note := fmt.Sprintf("moved here by etcdfab at %s: %s\nkept until an operator removes it\n", now.UTC().Format(time.RFC3339), reason)
	if err := os.WriteFile(filepath.Join(dest, "REASON"), []byte(note), 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(filepath.Join(dataDir, recordFile), filepath.Join(dest, recordFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("quarantining %s: %w", recordFile, err)
	}
	if err := os.Rename(dir, filepath.Join(dest, memberDir)); err != nil {
		return "", fmt.Errorf("quarantining %s into %s: %w", dir, dest, err)
	}
	return dest, nil
}
