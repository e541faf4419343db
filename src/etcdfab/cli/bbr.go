package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/bbr"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/identity"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/process"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/restore"
)

// bbrSteps are the etcd job's BOSH Backup and Restore scripts (bin/bbr/*),
// each `etcdfab bbr <step>`. The backup needs no lock: an etcd snapshot is
// consistent while the cluster serves.
var bbrSteps = map[string]func(context.Context, config.Config, bbrFlags, *slog.Logger, IO) error{
	"metadata":            bbrMetadata,
	"backup":              bbrBackup,
	"pre-restore-lock":    bbrLock,
	"restore":             bbrRestore,
	"post-restore-unlock": bbrUnlock,
}

// runBBR is `etcdfab bbr STEP [-config PATH] [-backup-one-restore-all]`
// (the flags may also come before STEP), with the artifact directory from
// $BBR_ARTIFACT_DIRECTORY as bbr sets it.
func runBBR(args []string, io IO) int {
	flags := flag.NewFlagSet("etcdfab bbr", flag.ContinueOnError)
	flags.SetOutput(io.Stderr)
	configPath := flags.String("config", "/var/vcap/jobs/etcd/config/etcdfab.json", "path to the rendered etcdfab config")
	var f bbrFlags
	flags.BoolVar(&f.backupOneRestoreAll, "backup-one-restore-all", false, "the job's bbr.backup_one_restore_all property: bbr copies the one instance's backup to every instance on restore")
	var step string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		step, args = args[0], args[1:]
	}
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if step == "" && flags.NArg() > 0 {
		step = flags.Arg(0)
		if err := flags.Parse(flags.Args()[1:]); err != nil {
			return 2
		}
	}
	if bbrSteps[step] == nil || flags.NArg() > 0 {
		fmt.Fprintln(io.Stderr, "usage: etcdfab bbr metadata|backup|pre-restore-lock|restore|post-restore-unlock [-config PATH] [-backup-one-restore-all]")
		return 2
	}
	log := newLogger(io.Stderr).With("command", "bbr "+step)
	cfg, err := config.Load(*configPath)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		return 1
	}
	ctx, cancel := stopSignals()
	defer cancel()
	if err := bbrSteps[step](ctx, cfg, f, log, io); err != nil {
		log.Error("bbr "+step+" failed", "error", err.Error())
		return 1
	}
	return 0
}

// bbrFlags are what the scripts pass from the job's properties.
type bbrFlags struct {
	backupOneRestoreAll bool
}

// bbrMetadata prints the job's bbr metadata: nothing to add. The job needs
// no lock order, and its artifact is shared through the manifest property
// bbr.backup_one_restore_all, not through backup_name and restore_name,
// which current bbr ignores.
func bbrMetadata(_ context.Context, _ config.Config, _ bbrFlags, _ *slog.Logger, io IO) error {
	_, err := fmt.Fprint(io.Stdout, "---\n")
	return err
}

// bbrBackup snapshots this member's data on the instance that may
// bootstrap; the others have nothing to add.
func bbrBackup(ctx context.Context, cfg config.Config, f bbrFlags, log *slog.Logger, io IO) error {
	if !f.backupOneRestoreAll {
		return errors.New("the etcd job's property bbr.backup_one_restore_all is not true: without it bbr restores the snapshot only to the instance that took it, and the others cannot rejoin; set it to true on the etcd job in the deployment manifest (ops file manifests/bosh-lite/ops/bbr.yml) and deploy")
	}
	if !cfg.MayBootstrap() {
		log.Info("not the instance that takes the backup; nothing to do", "member", cfg.MemberName())
		return nil
	}
	t := loadTLS(cfg)
	if t.err != nil {
		return fmt.Errorf("the TLS files do not load: %w", t.err)
	}
	endpoint := cfg.PeerClientURL(cfg.SelfPeer()) // by address, as etcdfab dials its own member; TLS names come from the suffix
	c, err := etcdclient.Dial([]string{endpoint}, t.client)
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	a, err := bbr.Save(ctx, c, io.Getenv("BBR_ARTIFACT_DIRECTORY"))
	if err != nil {
		return err
	}
	log.Info("snapshot taken", "endpoint", endpoint, "path", a.Path, "bytes", a.Bytes, "sha256", a.SHA256)
	return nil
}

// etcdProcesses are the job's monit processes, in the order the lock stops
// them (the checker first: it would report the stopped members).
var etcdProcesses = []string{"etcd_consistency_checker", "etcd"}

// bbrLock stops the job's processes through monit and waits until they
// are gone, keeping their data.
func bbrLock(ctx context.Context, cfg config.Config, _ bbrFlags, log *slog.Logger, _ IO) error {
	for _, p := range etcdProcesses {
		if out, err := monit(ctx, "stop", p); err != nil {
			return fmt.Errorf("monit stop %s: %w: %s", p, err, out)
		}
	}
	deadline := time.Now().Add(cfg.StopTimeout() + 30*time.Second)
	for _, pidFile := range []string{cfg.CheckerPIDFile(), cfg.PIDFile()} {
		for {
			pid, ok, err := process.ReadPIDFile(pidFile)
			if err != nil {
				return err
			}
			if !ok || !process.Alive(pid) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("pid %d (%s) still runs after monit stop; see /var/vcap/sys/log/etcd", pid, pidFile)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	log.Info("etcd stopped for the restore", "member", cfg.MemberName())
	return nil
}

// bbrRestore checks the artifact, then, on the instance that took the
// backup, restores the snapshot into the data directory as a new
// single-member cluster; the other instances move their data aside, so that
// they join the restored cluster as learners when they start.
func bbrRestore(ctx context.Context, cfg config.Config, _ bbrFlags, log *slog.Logger, io IO) error {
	snapshot, err := bbr.Verify(io.Getenv("BBR_ARTIFACT_DIRECTORY"))
	if err != nil {
		return err
	}
	if pid, ok, err := process.ReadPIDFile(cfg.PIDFile()); err != nil {
		return err
	} else if ok && process.Alive(pid) {
		return fmt.Errorf("etcd still runs (pid %d, %s); the restore needs it stopped: bbr runs bin/bbr/pre-restore-lock first; nothing was changed", pid, cfg.PIDFile())
	}
	dataDir := cfg.Etcd.DataDir
	if !cfg.MayBootstrap() {
		aside, err := identity.MoveAside(dataDir, "replaced by a BBR restore: this member joins the restored cluster", time.Now())
		if err != nil {
			return err
		}
		log.Warn("data moved aside for the restore; this member joins the restored cluster when it starts", "member", cfg.MemberName(), "moved_aside", aside)
		return nil
	}
	res, err := restore.FromSnapshot(ctx, restore.Options{
		Etcdutl: restore.EtcdutlBeside(cfg.Etcd.EtcdPath),
		DBFile:  snapshot,
		DataDir: dataDir,
		Name:    cfg.MemberName(),
		PeerURL: cfg.PeerURL(cfg.Self()),
	})
	if err != nil {
		return err
	}
	if err := chownLikeParent(dataDir); err != nil {
		return err
	}
	log.Warn("RESTORED from a BBR backup: this member is now a new single-member cluster; the others join it as they start",
		"member", cfg.MemberName(), "cluster_id", res.ClusterID.String(), "member_id", res.MemberID.String(),
		"snapshot", snapshot, "moved_aside", res.MovedAside)
	return nil
}

// chownLikeParent gives everything under dir to dir's owner: the restore
// runs as root, etcd as the owner pre-start gave the data directory to.
func chownLikeParent(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := os.Lchown(path, int(sys.Uid), int(sys.Gid)); err != nil {
			return fmt.Errorf("giving the restored data to the data directory's owner: %w", err)
		}
		return nil
	})
}

// bbrUnlock starts the job's processes through monit and waits as
// post-start does: until this member is healthy, or, in a whole-cluster
// start, until it runs on its data.
func bbrUnlock(ctx context.Context, cfg config.Config, _ bbrFlags, log *slog.Logger, _ IO) error {
	for i := len(etcdProcesses) - 1; i >= 0; i-- {
		if out, err := monit(ctx, "start", etcdProcesses[i]); err != nil {
			return fmt.Errorf("monit start %s: %w: %s", etcdProcesses[i], err, out)
		}
	}
	t := loadTLS(cfg)
	if t.err != nil {
		return fmt.Errorf("the TLS files do not load: %w", t.err)
	}
	return newApp(cfg, log, t).PostStart(ctx)
}

// monit runs the stemcell's monit CLI, or, where there is none (a
// localbosh VM), the monit on the PATH with the VM's monitrc.
func monit(ctx context.Context, args ...string) (string, error) {
	argv := []string{"monit", "-c", "/var/vcap/monit/monitrc"}
	if _, err := os.Stat("/var/vcap/bosh/bin/monit"); err == nil {
		argv = []string{"/var/vcap/bosh/bin/monit"}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	out, err := exec.CommandContext(ctx, argv[0], append(argv[1:], args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
