// Command turbulence-agent serves the fault API of the turbulence_agent job
// (package turbulence) on its VM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/turbulence"
)

func main() {
	path := flag.String("config", "", "the job's rendered config/agent.json")
	flag.Parse()
	if err := run(*path); err != nil {
		fmt.Fprintln(os.Stderr, "turbulence-agent:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	cfg, err := turbulence.LoadConfig(path)
	if err != nil {
		return err
	}
	agent, err := turbulence.New(turbulence.Options{Username: cfg.Username, Password: cfg.Password, Monit: cfg.Monit,
		Run: func(ctx context.Context, argv ...string) ([]byte, error) {
			return exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
		}})
	if err != nil {
		return err
	}
	server := &http.Server{Addr: cfg.Listen, Handler: agent, ReadHeaderTimeout: 10 * time.Second}
	return server.ListenAndServe()
}
