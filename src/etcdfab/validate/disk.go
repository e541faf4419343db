package validate

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// storeDir is where BOSH mounts an instance's persistent disk.
const storeDir = "/var/vcap/store"

// PersistentDisk warns when the data directory is not on a persistent disk
// mounted at /var/vcap/store: without one, every VM recreate loses the
// member's data and it rejoins with a full copy of the cluster's.
func PersistentDisk(dataDir string) string {
	mount := mountPointOf(dataDir, "/proc/self/mountinfo")
	if mount == storeDir || strings.HasPrefix(mount, storeDir+"/") {
		return ""
	}
	return fmt.Sprintf("etcd.data_dir %s is not on a persistent disk (none is mounted at %s; it lives on %s): a recreated VM loses this member's data, and it rejoins with a full copy; give the instance group a persistent_disk or persistent_disk_type",
		dataDir, storeDir, mount)
}

// mountPointOf returns the mount point under which path lives, from a
// mountinfo file ("/" if it cannot tell).
func mountPointOf(path, mountinfo string) string {
	best := "/"
	f, err := os.Open(mountinfo)
	if err != nil {
		return best
	}
	defer f.Close()
	path = filepath.Clean(path)
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		mp := strings.ReplaceAll(fields[4], `\040`, " ")
		if (path == mp || strings.HasPrefix(path, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best = mp
		}
	}
	return best
}
