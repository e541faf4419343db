// Command etcd-testconsumer serves the etcd_testconsumer job's API (package
// testconsumer) over an etcd v3 client of the deployment's members.
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/etcdclient"
	"github.com/cloudfoundry-incubator/etcd-release/src/testconsumer"
)

func main() {
	path := flag.String("config", "", "the job's rendered config/testconsumer.json")
	flag.Parse()
	if err := run(*path); err != nil {
		fmt.Fprintln(os.Stderr, "etcd-testconsumer:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	cfg, err := testconsumer.LoadConfig(path)
	if err != nil {
		return err
	}
	tlsConfig, err := cfg.TLS()
	if err != nil {
		return err
	}
	client, err := etcdclient.NewV3(cfg.Endpoints, tlsConfig)
	if err != nil {
		return err
	}
	defer client.Close()
	server := &http.Server{Addr: cfg.Listen, Handler: testconsumer.New(client, 5*time.Second), ReadHeaderTimeout: 10 * time.Second}
	return server.ListenAndServe()
}
