// Command localbosh is the CLI of localbosh, the one-machine BOSH director:
// `localbosh deploy -d etcd manifest.yml -o ops.yml -v k=v`, `instances`,
// `run-errand`, ... with the bosh CLI's flags and output.
package main

import (
	"os"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/cli"
)

func main() {
	os.Exit(cli.Run(os.Args[1:], cli.SystemDeps()))
}
