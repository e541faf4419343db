// Command etcd-certs generates the certificates of an etcd deployment and
// the three deploys that rotate them (scripts/generate-certs and
// scripts/rotate-certs run it).
package main

import (
	"os"

	"github.com/cloudfoundry-incubator/etcd-release/src/certset"
)

func main() {
	os.Exit(certset.Main(os.Args[1:], os.Stdout, os.Stderr))
}
