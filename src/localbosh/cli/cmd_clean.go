package cli

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cleanCmd is `clean`: stop the local director and remove every network
// namespace, veth, bridge, mount, firewall rule and process localbosh
// created on this machine, and nothing else. Releases, deployment records
// and persistent disks stay, so a later deploy recreates the VMs on the
// same disks.
type cleanCmd struct{}

func (c *cleanCmd) Flags(*flagSet) {}

func (c *cleanCmd) Run(ctx context.Context, s *Session, _ []string) error {
	vms, err := localVMs(s)
	if err != nil {
		return err
	}
	if pid, ok := runningDirector(vms.Options().StateDir); ok {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && processExists(pid); time.Sleep(100 * time.Millisecond) {
		}
		s.UI.PrintLinef("stopped director (pid %d)", pid)
	}
	removed, err := vms.Clean(ctx)
	for _, r := range removed {
		s.UI.PrintLinef("removed %s", r)
	}
	return err
}

// directorPIDFile is where a running local director records its pid.
func directorPIDFile(stateDir string) string { return filepath.Join(stateDir, "director.pid") }

// runningDirector finds the local director's process by its pid file,
// checking that the pid is still a localbosh director.
func runningDirector(stateDir string) (int, bool) {
	data, err := os.ReadFile(directorPIDFile(stateDir))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !strings.Contains(string(cmdline), "director") {
		return 0, false
	}
	return pid, true
}

func processExists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}
