// Command turbulence-agent serves the fault API of the turbulence_agent job
// (package turbulence) on its VM.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/turbulence"
)

// config is what the job renders (config/agent.json).
type config struct {
	Listen   string   `json:"listen"`
	Username string   `json:"username"`
	Password string   `json:"password"`
	Monit    []string `json:"monit"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "turbulence-agent:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 3 || os.Args[1] != "-config" {
		return fmt.Errorf("usage: turbulence-agent -config FILE")
	}
	data, err := os.ReadFile(os.Args[2])
	if err != nil {
		return err
	}
	var cfg config
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("reading %s: %w", os.Args[2], err)
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
