// Command etcdfab launches etcd for the BOSH etcd job: it bootstraps, joins,
// restarts or rejoins the cluster, and leaves it when the instance is deleted.
package main

import (
	"os"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.IO{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
