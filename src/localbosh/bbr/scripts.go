// Package bbr backs up and restores a deployment as `bbr deployment backup`
// and `bbr deployment restore` do, through the jobs' bin/bbr scripts:
// metadata first, locks in the order the metadata asks for, backup or
// restore, unlocks in the reverse order (always, once anything was locked),
// and the artifacts copied out of and into the instances as tar streams in
// bbr's layout: <deployment>_<YYYYMMDDTHHMMSSZ>/ with one tar per
// instance and job (<group>-<index>-<job>.tar) or per named artifact
// (<backup_name>.tar), a metadata file with the sha256 of every file in
// every tar, and the deployment's manifest.yml.
package bbr

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// Version is the BBR_VERSION the metadata scripts see: the bbr release
// whose contract this package follows.
const Version = "1.9.0"

// ArtifactRoot is where bbr has the scripts write and read artifacts on an
// instance (on its persistent disk); the directory is removed afterwards.
const ArtifactRoot = "/var/vcap/store/bbr-backup"

// Shell runs a program inside an instance (a localbosh VM; bbr uses ssh).
type Shell interface {
	Exec(ctx context.Context, c vm.Cmd) (int, error)
}

// Instance is one instance of the deployment.
type Instance struct {
	Group     string
	Index     int
	ID        string
	Bootstrap bool
	Shell     Shell
}

func (i Instance) String() string { return i.Group + "/" + i.ID }

// job is one job's bbr scripts on one instance, with its metadata.
type job struct {
	inst    Instance
	name    string
	scripts map[string]string // script name -> path
	meta    jobMetadata
	// backupName and restoreName name the job's artifact when it is a
	// named one ("" for the instance's own default artifact).
	backupName, restoreName string
}

func (j *job) String() string { return j.name + " on " + j.inst.String() }

func (j *job) has(script string) bool { return j.scripts[script] != "" }

// backupDir and restoreDir are the artifact directories on the instance.
func (j *job) backupDir() string {
	return path.Join(ArtifactRoot, firstNonEmpty(j.backupName, j.name))
}
func (j *job) restoreDir() string {
	return path.Join(ArtifactRoot, firstNonEmpty(j.restoreName, j.name))
}

// nameArtifacts names the job's artifacts as current bbr does: with the
// job's manifest property bbr.backup_one_restore_all, the bootstrap
// instance backs up into <job>-<release>-backup-one-restore-all and every
// instance restores from it; metadata's backup_name is discontinued (bbr
// warns and ignores it), restore_name is still read.
func (j *job) nameArtifacts(m manifestJobs, log io.Writer) {
	if j.meta.BackupName != "" {
		fmt.Fprintf(log, "discontinued metadata keys backup_name/restore_name found in job %s. bbr will not be able to restore this backup artifact.\n", j.name)
	}
	j.restoreName = j.meta.RestoreName
	if mj, ok := m.find(j.inst.Group, j.name); ok && mj.backupOneRestoreAll() {
		shared := j.name + "-" + mj.Release + "-backup-one-restore-all"
		j.restoreName = shared
		if j.inst.Bootstrap {
			j.backupName = shared
		}
	}
}

// jobMetadata is what a metadata script prints.
type jobMetadata struct {
	BackupName                  string       `yaml:"backup_name"`
	RestoreName                 string       `yaml:"restore_name"`
	BackupShouldBeLockedBefore  []lockBefore `yaml:"backup_should_be_locked_before"`
	RestoreShouldBeLockedBefore []lockBefore `yaml:"restore_should_be_locked_before"`
	SkipBBRScripts              bool         `yaml:"skip_bbr_scripts"`
}

type lockBefore struct {
	JobName string `yaml:"job_name"`
	Release string `yaml:"release"`
}

// scriptNames are the scripts of the contract.
var scriptNames = []string{"metadata", "pre-backup-lock", "backup", "post-backup-unlock", "pre-restore-lock", "restore", "post-restore-unlock"}

// findJobs lists the jobs with bbr scripts on every instance and runs
// their metadata scripts; jobs whose metadata says skip_bbr_scripts are
// left out.
func findJobs(ctx context.Context, instances []Instance, manifest []byte, log io.Writer) ([]*job, error) {
	m, err := parseManifest(manifest)
	if err != nil {
		return nil, err
	}
	var jobs []*job
	for _, inst := range instances {
		out, err := run(ctx, inst, nil, "sh", "-c", `for f in /var/vcap/jobs/*/bin/bbr/*; do [ -f "$f" ] && echo "$f"; done; true`)
		if err != nil {
			return nil, fmt.Errorf("finding bbr scripts on %s: %w", inst, err)
		}
		byJob := map[string]*job{}
		for _, p := range strings.Fields(out) {
			rest, ok := strings.CutPrefix(p, "/var/vcap/jobs/")
			parts := strings.Split(rest, "/")
			if !ok || len(parts) != 4 || !slices.Contains(scriptNames, parts[3]) {
				continue
			}
			j := byJob[parts[0]]
			if j == nil {
				j = &job{inst: inst, name: parts[0], scripts: map[string]string{}}
				byJob[parts[0]] = j
			}
			j.scripts[parts[3]] = p
		}
		for _, name := range slices.Sorted(maps.Keys(byJob)) {
			j := byJob[name]
			if j.has("metadata") {
				out, err := run(ctx, inst, []string{"BBR_VERSION=" + Version}, j.scripts["metadata"])
				if err != nil {
					return nil, fmt.Errorf("the metadata script of job %s failed: %w", j, err)
				}
				if err := yaml.Unmarshal([]byte(out), &j.meta); err != nil {
					return nil, fmt.Errorf("the metadata script of job %s printed no metadata YAML (%v): %q", j, err, out)
				}
				for _, l := range slices.Concat(j.meta.BackupShouldBeLockedBefore, j.meta.RestoreShouldBeLockedBefore) {
					if l.JobName == "" || l.Release == "" {
						return nil, fmt.Errorf("the metadata of job %s: both job name and release should be specified for should be locked before", j)
					}
				}
				if j.meta.SkipBBRScripts {
					fmt.Fprintf(log, "Skipping disabled jobs: %s\n", j)
					continue
				}
			}
			j.nameArtifacts(m, log)
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

// manifestJobs are the deployment manifest's jobs, by instance group.
type manifestJobs map[string][]manifestJob

type manifestJob struct {
	Name       string         `yaml:"name"`
	Release    string         `yaml:"release"`
	Properties map[string]any `yaml:"properties"`
}

func (j manifestJob) backupOneRestoreAll() bool {
	b, _ := j.Properties["bbr"].(map[string]any)
	v, _ := b["backup_one_restore_all"].(bool)
	return v
}

func (m manifestJobs) find(group, job string) (manifestJob, bool) {
	for _, j := range m[group] {
		if j.Name == job {
			return j, true
		}
	}
	return manifestJob{}, false
}

func parseManifest(data []byte) (manifestJobs, error) {
	var doc struct {
		InstanceGroups []struct {
			Name string        `yaml:"name"`
			Jobs []manifestJob `yaml:"jobs"`
		} `yaml:"instance_groups"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("reading the deployment's manifest: %w", err)
	}
	m := manifestJobs{}
	for _, g := range doc.InstanceGroups {
		m[g.Name] = g.Jobs
	}
	return m, nil
}

// lockOrder orders job names so that a job that should be locked before
// another comes first (dependencies on jobs absent here are ignored, as
// bbr does). Unlocks go the other way.
func lockOrder(jobs []*job, before func(*job) []lockBefore) ([]string, error) {
	names := map[string]bool{}
	for _, j := range jobs {
		names[j.name] = true
	}
	after := map[string][]string{} // a -> jobs a must be locked before
	indegree := map[string]int{}
	for _, j := range jobs {
		for _, l := range before(j) {
			if names[l.JobName] && !slices.Contains(after[j.name], l.JobName) {
				after[j.name] = append(after[j.name], l.JobName)
				indegree[l.JobName]++
			}
		}
	}
	var order, ready []string
	for _, n := range slices.Sorted(maps.Keys(names)) {
		if indegree[n] == 0 {
			ready = append(ready, n)
		}
	}
	for len(ready) > 0 {
		n := ready[0]
		ready = ready[1:]
		order = append(order, n)
		for _, m := range after[n] {
			if indegree[m]--; indegree[m] == 0 {
				ready = append(ready, m)
			}
		}
	}
	if len(order) != len(names) {
		return nil, fmt.Errorf("the jobs' metadata asks for a cyclic lock order among %v", slices.Sorted(maps.Keys(names)))
	}
	return order, nil
}

// inOrder yields the jobs with script, job name by job name in order,
// each name's instances bootstrap first, then by group and index.
func inOrder(jobs []*job, order []string, script string) []*job {
	var out []*job
	for _, name := range order {
		var these []*job
		for _, j := range jobs {
			if j.name == name && j.has(script) {
				these = append(these, j)
			}
		}
		slices.SortStableFunc(these, func(a, b *job) int {
			switch {
			case a.inst.Bootstrap != b.inst.Bootstrap:
				if a.inst.Bootstrap {
					return -1
				}
				return 1
			case a.inst.Group != b.inst.Group:
				return strings.Compare(a.inst.Group, b.inst.Group)
			}
			return a.inst.Index - b.inst.Index
		})
		out = append(out, these...)
	}
	return out
}

// runScript runs one of a job's scripts as root with the environment
// given, logging as bbr does; a failure carries the script's output.
func runScript(ctx context.Context, j *job, script, what string, env []string, log io.Writer) error {
	fmt.Fprintf(log, "%s %s on %s...\n", what, j.name, j.inst)
	if _, err := run(ctx, j.inst, env, j.scripts[script]); err != nil {
		return fmt.Errorf("%s script for job %s failed on %s: %w", script, j.name, j.inst, err)
	}
	fmt.Fprintln(log, "Done.")
	return nil
}

// scriptError is a program that exited non-zero in an instance.
type scriptError struct {
	code           int
	stdout, stderr string
}

func (e *scriptError) Error() string {
	return fmt.Sprintf("exit code %d\nStdout: %s\nStderr: %s", e.code, strings.TrimSpace(e.stdout), strings.TrimSpace(e.stderr))
}

// run runs argv in inst as root and returns its stdout.
func run(ctx context.Context, inst Instance, env []string, argv ...string) (string, error) {
	return runIO(ctx, inst, env, nil, nil, argv...)
}

// runIO runs argv in inst with stdin and, when stdout is not nil, its
// standard output streamed there (run returns it instead).
func runIO(ctx context.Context, inst Instance, env []string, stdin io.Reader, stdout io.Writer, argv ...string) (string, error) {
	var out, errOut bytes.Buffer
	w := io.Writer(&out)
	if stdout != nil {
		w = stdout
	}
	code, err := inst.Shell.Exec(ctx, vm.Cmd{Argv: argv, Env: env, Stdin: stdin, Stdout: w, Stderr: &errOut})
	if err != nil {
		return "", err
	}
	if code != 0 {
		return "", &scriptError{code: code, stdout: out.String(), stderr: errOut.String()}
	}
	return out.String(), nil
}

func artifactEnv(dir string) []string {
	return []string{"BBR_ARTIFACT_DIRECTORY=" + dir + "/", "ARTIFACT_DIRECTORY=" + dir + "/"}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
