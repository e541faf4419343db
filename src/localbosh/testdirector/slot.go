package testdirector

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// maxSlots bounds the test directors that can run on one machine at once:
// slot n owns prefix "lbt<n>", bridge "lbt<n>br" and subnet 10.246.<n>.0/24.
const maxSlots = 250

// slot is a number this process holds an exclusive lock on, so that test
// directors of concurrent suites and Ginkgo processes never share host
// object names or subnets. The kernel drops the lock when the process
// dies, so a crashed run frees its slot.
type slot struct {
	n    int
	file *os.File
}

// claimSlot locks the first free slot.
func claimSlot() (*slot, error) {
	for n := 1; n <= maxSlots; n++ {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("localbosh-testdirector-%d.lock", n))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening test director lock %s: %w", path, err)
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &slot{n: n, file: f}, nil
		}
		f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("all %d test director slots are taken (lock files %s/localbosh-testdirector-*.lock); wait for other test runs to finish",
		maxSlots, os.TempDir())
}

// release unlocks the slot; its lock file stays for the next run.
func (s *slot) release() error {
	return s.file.Close()
}
