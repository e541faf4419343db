package bbr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Options are what a backup or restore needs besides the instances.
type Options struct {
	Deployment string
	// Manifest is the deployment's manifest, saved beside a backup.
	Manifest []byte
	// Log receives bbr's progress lines; nil discards them.
	Log io.Writer
	Now func() time.Time
}

func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Backup runs the backup of the deployment's instances into a new
// directory <deployment>_<timestamp> under artifactPath and returns it.
func Backup(ctx context.Context, instances []Instance, artifactPath string, o Options) (dir string, err error) {
	o = o.withDefaults()
	jobs, err := findJobs(ctx, instances, o.Manifest, o.Log)
	if err != nil {
		return "", err
	}
	if !anyHas(jobs, "backup") {
		return "", fmt.Errorf("deployment '%s' has no backup scripts", o.Deployment)
	}
	if err := checkNames(jobs, o.Deployment); err != nil {
		return "", err
	}
	if err := checkNoArtifactDir(ctx, jobs); err != nil {
		return "", err
	}
	order, err := lockOrder(jobs, func(j *job) []lockBefore { return j.meta.BackupShouldBeLockedBefore })
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(artifactPath); err != nil {
		return "", fmt.Errorf("--artifact-path %s: %w", artifactPath, err)
	} else if !st.IsDir() {
		return "", fmt.Errorf("--artifact-path %s is not a directory", artifactPath)
	}
	start := o.Now().UTC()
	dir = filepath.Join(artifactPath, o.Deployment+"_"+start.Format("20060102T150405Z"))
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the backup directory: %w", err)
	}
	meta := &metadata{}
	meta.BackupActivity.StartTime = stamp(start)
	if err := meta.save(dir); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.yml"), o.Manifest, 0o600); err != nil {
		return "", err
	}
	fmt.Fprintf(o.Log, "Starting backup of %s, log file: stdout\n", o.Deployment)
	defer func() { err = errors.Join(err, cleanup(ctx, jobs)) }()

	var locked []*job
	err = func() error {
		for _, j := range inOrder(jobs, order, "pre-backup-lock") {
			locked = append(locked, j)
			if err := runScript(ctx, j, "pre-backup-lock", "Locking", nil, o.Log); err != nil {
				return err
			}
		}
		fmt.Fprintln(o.Log, "Running backup scripts...")
		for _, j := range inOrder(jobs, order, "backup") {
			if _, err := run(ctx, j.inst, nil, "mkdir", "-p", j.backupDir()); err != nil {
				return fmt.Errorf("creating %s on %s: %w", j.backupDir(), j.inst, err)
			}
			if err := runScript(ctx, j, "backup", "Backing up", artifactEnv(j.backupDir()), o.Log); err != nil {
				return err
			}
		}
		return nil
	}()
	err = errors.Join(err, unlock(ctx, jobs, order, "post-backup-unlock", o.Log))
	if err != nil {
		return dir, err
	}
	for _, j := range inOrder(jobs, order, "backup") {
		if err := drain(ctx, j, dir, meta, o.Log); err != nil {
			return dir, err
		}
	}
	meta.BackupActivity.FinishTime = stamp(o.Now().UTC())
	if err := meta.save(dir); err != nil {
		return dir, err
	}
	fmt.Fprintf(o.Log, "Backup created of %s on %s\n", o.Deployment, o.Now().UTC().Format(time.RFC3339))
	return dir, nil
}

// Restore restores the deployment's instances from the backup directory
// dir: the artifacts are checked against the metadata before anything on
// an instance changes.
func Restore(ctx context.Context, instances []Instance, dir string, o Options) (err error) {
	o = o.withDefaults()
	meta, err := readMetadata(dir)
	if err != nil {
		return err
	}
	if err := meta.validate(dir); err != nil {
		return err
	}
	jobs, err := findJobs(ctx, instances, o.Manifest, o.Log)
	if err != nil {
		return err
	}
	if !anyHas(jobs, "restore") {
		return fmt.Errorf("deployment '%s' has no restore scripts", o.Deployment)
	}
	for _, im := range meta.Instances {
		if !hasInstance(instances, im.Name, im.Index) {
			return fmt.Errorf("the backup %s has artifacts of instance %s/%s, which deployment '%s' does not have: it does not match the backup", dir, im.Name, im.Index, o.Deployment)
		}
	}
	if err := checkNoArtifactDir(ctx, jobs); err != nil {
		return err
	}
	order, err := lockOrder(jobs, func(j *job) []lockBefore { return j.meta.RestoreShouldBeLockedBefore })
	if err != nil {
		return err
	}
	fmt.Fprintf(o.Log, "Starting restore of %s, log file: stdout\n", o.Deployment)
	defer func() { err = errors.Join(err, cleanup(ctx, jobs)) }()
	for _, j := range inOrder(jobs, order, "restore") {
		if err := copyIn(ctx, j, dir, meta, o.Log); err != nil {
			return err
		}
	}
	err = func() error {
		for _, j := range inOrder(jobs, order, "pre-restore-lock") {
			if err := runScript(ctx, j, "pre-restore-lock", "Locking", nil, o.Log); err != nil {
				return err
			}
		}
		for _, j := range inOrder(jobs, order, "restore") {
			if err := runScript(ctx, j, "restore", "Restoring", artifactEnv(j.restoreDir()), o.Log); err != nil {
				return err
			}
		}
		return nil
	}()
	// bbr unlocks after a failed restore too, so the jobs run again.
	err = errors.Join(err, unlock(ctx, jobs, order, "post-restore-unlock", o.Log))
	if err == nil {
		fmt.Fprintf(o.Log, "Completed restore of %s\n", o.Deployment)
	}
	return err
}

// unlock runs script on every job that has it, in the reverse of the lock
// order, and reports every failure.
func unlock(ctx context.Context, jobs []*job, order []string, script string, log io.Writer) error {
	reversed := make([]string, len(order))
	for i, n := range order {
		reversed[len(order)-1-i] = n
	}
	var errs []error
	for _, j := range inOrder(jobs, reversed, script) {
		errs = append(errs, runScript(ctx, j, script, "Unlocking", nil, log))
	}
	return errors.Join(errs...)
}

// drain copies a job's artifact out of its instance as a tar and records
// its checksums, after checking them against the instance's own.
func drain(ctx context.Context, j *job, dir string, meta *metadata, log io.Writer) error {
	named := j.backupName != ""
	file := filepath.Join(dir, artifactFile(firstNonEmpty(j.backupName, j.name), named, j.inst))
	fmt.Fprintf(log, "Copying backup of %s from %s...\n", j.name, j.inst)
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	_, err = runIO(ctx, j.inst, nil, nil, f, "tar", "-C", j.backupDir(), "-c", ".")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("copying the backup of %s: %w", j, err)
	}
	local, err := fileChecksums(file)
	if err != nil {
		return err
	}
	remote, err := remoteChecksums(ctx, j.inst, j.backupDir())
	if err != nil {
		return err
	}
	if diff := sameChecksums(remote, local); diff != "" {
		return fmt.Errorf("backup of %s is corrupted: the copy differs from the instance's: %s", j, diff)
	}
	meta.add(artifactMetadata{Name: firstNonEmpty(j.backupName, j.name), Checksums: local}, named, j.inst)
	fmt.Fprintln(log, "Finished validity checks -- from", j.inst)
	return nil
}

// copyIn copies the artifact a job restores from into its instance and
// checks it arrived whole.
func copyIn(ctx context.Context, j *job, dir string, meta *metadata, log io.Writer) error {
	named := j.restoreName != ""
	name := firstNonEmpty(j.restoreName, j.name)
	var want map[string]string
	if named {
		for _, a := range meta.CustomArtifacts {
			if a.Name == name {
				want = a.Checksums
			}
		}
		if want == nil {
			return fmt.Errorf("job %s restores from artifact %s, which the backup %s does not hold", j, name, dir)
		}
	} else {
		want = meta.instanceArtifact(j.inst, name)
		if want == nil {
			fmt.Fprintf(log, "No backup of %s for %s; its restore script runs with an empty artifact directory\n", j.name, j.inst)
			_, err := run(ctx, j.inst, nil, "mkdir", "-p", j.restoreDir())
			return err
		}
	}
	fmt.Fprintf(log, "Copying backup of %s to %s...\n", name, j.inst)
	f, err := os.Open(filepath.Join(dir, artifactFile(name, named, j.inst)))
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := run(ctx, j.inst, nil, "mkdir", "-p", j.restoreDir()); err != nil {
		return err
	}
	if _, err := runIO(ctx, j.inst, nil, f, nil, "tar", "-C", j.restoreDir(), "-x"); err != nil {
		return fmt.Errorf("copying the backup %s to %s: %w", name, j.inst, err)
	}
	remote, err := remoteChecksums(ctx, j.inst, j.restoreDir())
	if err != nil {
		return err
	}
	if diff := sameChecksums(want, remote); diff != "" {
		return fmt.Errorf("the backup %s copied to %s differs from the metadata: %s", name, j.inst, diff)
	}
	return nil
}

func (m *metadata) instanceArtifact(inst Instance, name string) map[string]string {
	for _, im := range m.Instances {
		if im.Name == inst.Group && im.Index == fmt.Sprint(inst.Index) {
			for _, a := range im.Artifacts {
				if a.Name == name {
					return a.Checksums
				}
			}
		}
	}
	return nil
}

// remoteChecksums is the sha256 of every file under dir on inst, named as
// tar names them ("./file").
func remoteChecksums(ctx context.Context, inst Instance, dir string) (map[string]string, error) {
	out, err := run(ctx, inst, nil, "sh", "-c", `cd "$1" && find . -type f -exec sha256sum {} +`, "sh", dir)
	if err != nil {
		return nil, fmt.Errorf("checksumming %s on %s: %w", dir, inst, err)
	}
	sums := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if sum, name, ok := strings.Cut(line, "  "); ok {
			sums[name] = sum
		}
	}
	return sums, nil
}

// checkNames enforces bbr's rules on named artifacts: one job instance per
// backup name, and a backup name for every restore name.
func checkNames(jobs []*job, deployment string) error {
	backups := map[string]*job{}
	for _, j := range jobs {
		if n := j.backupName; n != "" {
			if other := backups[n]; other != nil {
				return fmt.Errorf("multiple jobs in deployment '%s' specified the same backup name: %s (%s, %s)", deployment, n, other, j)
			}
			backups[n] = j
		}
	}
	for _, j := range jobs {
		if n := j.restoreName; n != "" && backups[n] == nil {
			return fmt.Errorf("the %s restore script expects a backup script which produces %s artifact which is not present in the deployment", j, n)
		}
	}
	return nil
}

// checkNoArtifactDir refuses to start while an earlier run's artifact
// directory is still on an instance, as bbr does.
func checkNoArtifactDir(ctx context.Context, jobs []*job) error {
	seen := map[string]bool{}
	for _, j := range jobs {
		if seen[j.inst.String()] {
			continue
		}
		seen[j.inst.String()] = true
		if _, err := run(ctx, j.inst, nil, "test", "!", "-e", ArtifactRoot); err != nil {
			return fmt.Errorf("directory %s already exists on instance %s: an earlier backup or restore did not clean up; remove it once nothing uses it", ArtifactRoot, j.inst)
		}
	}
	return nil
}

// cleanup removes the artifact directory from every instance.
func cleanup(ctx context.Context, jobs []*job) error {
	var errs []error
	seen := map[string]bool{}
	for _, j := range jobs {
		if seen[j.inst.String()] {
			continue
		}
		seen[j.inst.String()] = true
		if _, err := run(context.WithoutCancel(ctx), j.inst, nil, "rm", "-rf", ArtifactRoot); err != nil {
			errs = append(errs, fmt.Errorf("removing %s from %s: %w", ArtifactRoot, j.inst, err))
		}
	}
	return errors.Join(errs...)
}

func anyHas(jobs []*job, script string) bool {
	for _, j := range jobs {
		if j.has(script) {
			return true
		}
	}
	return false
}

func hasInstance(instances []Instance, group, index string) bool {
	for _, i := range instances {
		if i.Group == group && fmt.Sprint(i.Index) == index {
			return true
		}
	}
	return false
}
