package cli

import (
	"flag"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/dbcheck"
)

// runCheckDB checks a member's database against its WAL without starting
// etcd (see package dbcheck). start runs it as a child process; operators
// may run it by hand on a stopped member. It prints one JSON report and
// exits 0 (good), 3 (bad data: etcd must not start on it) or 1 (could not
// check).
func runCheckDB(args []string, io IO) int {
	flags := flag.NewFlagSet("etcdfab check-db", flag.ContinueOnError)
	flags.SetOutput(io.Stderr)
	dataDir := flags.String("data-dir", "/var/vcap/store/etcd", "etcd's data directory (etcd.data_dir), holding member/wal and member/snap/db")
	lockTimeout := flags.Duration("lock-timeout", 10*time.Second, "how long to wait for another process's lock on the database")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	return dbcheck.Serve(*dataDir, *lockTimeout, io.Stdout)
}
