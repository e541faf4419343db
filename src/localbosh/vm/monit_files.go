package vm

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
)

var jobNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// WriteJobMonit installs a job's monit file as the BOSH agent does, at
// /var/vcap/monit/job/<NNNN>_<job>.monitrc, index being the job's position
// on the VM, through the VM's root (OpenRoot). Reload makes monit read it.
func (v *VM) WriteJobMonit(index int, job string, content []byte) error {
	if !jobNamePattern.MatchString(job) || index < 0 || index > 9999 {
		return fmt.Errorf("installing monit file of job %q (index %d) in VM %s: job names are letters, digits, '_', '.', '-' and indexes 0-9999", job, index, v.rec.CID)
	}
	root, err := v.OpenRoot()
	if err != nil {
		return err
	}
	defer root.Close()
	name := path.Join(monitJobsPath, fmt.Sprintf("%04d_%s.monitrc", index, job))
	// Atomically, so that monit never reads half a file; monit refuses a
	// control file that others can read.
	err = root.WriteFile(name+".tmp", content, 0o600)
	if err == nil {
		err = root.Chmod(name+".tmp", 0o600)
	}
	if err == nil {
		err = root.Rename(name+".tmp", name)
	}
	if err != nil {
		return fmt.Errorf("installing monit file of job %s in VM %s: %w", job, v.rec.CID, err)
	}
	return nil
}

// RemoveJobMonits removes all job monit files, as the agent does before it
// installs a new set.
func (v *VM) RemoveJobMonits() error {
	root, err := v.OpenRoot()
	if err != nil {
		return err
	}
	defer root.Close()
	if err := root.RemoveAll(monitJobsPath); err != nil {
		return fmt.Errorf("removing job monit files of VM %s: %w", v.rec.CID, err)
	}
	if err := root.Mkdir(monitJobsPath, 0o700); err != nil {
		return fmt.Errorf("removing job monit files of VM %s: %w", v.rec.CID, err)
	}
	return nil
}

func (v *VM) jobMonitDir() string { return filepath.Join(v.Root(), monitJobsPath) }
