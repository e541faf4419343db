package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// Where the local director is when no environment is given.
const (
	LocalDirectorURL = "https://127.0.0.1:" + director.DefaultPort
	// StateDirEnv overrides the local director's state directory
	// (default vm.DefaultStateDir), whose credentials/ the CLI reads.
	StateDirEnv = "LOCALBOSH_STATE_DIR"
)

// environment is the director a command talks to, and how it says so.
type environment struct {
	name   string // as "Using environment '<name>'" prints it
	config director.Config
}

// resolveEnvironment turns the global options into a director config. With
// no environment given it is the local director, with the credentials it
// generated in its state directory (each of them still overridable).
func resolveEnvironment(opts GlobalOptions, getenv func(string) string) (environment, error) {
	if opts.Environment == "" {
		opts.Environment = LocalDirectorURL
		needsLogin := opts.Client == "" && opts.ClientSecret == ""
		if needsLogin || opts.CACert == "" {
			local, err := localCredentials(getenv)
			if err != nil {
				return environment{}, err
			}
			if needsLogin {
				opts.Client, opts.ClientSecret = local.Username, local.Password
			}
			if opts.CACert == "" {
				opts.CACert = local.CACertPath
			}
		}
	}
	// The flags have the meaning of the variables ConfigFromEnv reads (a CA
	// given as PEM or as a path included), so let it read them.
	values := map[string]string{
		"BOSH_ENVIRONMENT": opts.Environment, "BOSH_CLIENT": opts.Client,
		"BOSH_CLIENT_SECRET": opts.ClientSecret, "BOSH_CA_CERT": opts.CACert,
	}
	cfg, err := director.ConfigFromEnv(func(k string) string { return values[k] })
	if err != nil {
		return environment{}, fmt.Errorf("reading director settings (-e, --client, --client-secret, --ca-cert): %w", err)
	}
	return environment{name: opts.Environment, config: cfg}, nil
}

func localCredentials(getenv func(string) string) (api.Credentials, error) {
	stateDir := getenv(StateDirEnv)
	if stateDir == "" {
		stateDir = vm.DefaultStateDir
	}
	creds, err := api.ReadClientCredentials(stateDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return api.Credentials{}, fmt.Errorf("no director given and no local director credentials in %s: start the local director, set %s to its state directory, or give a director with -e (BOSH_ENVIRONMENT), --client, --client-secret and --ca-cert: %w",
			filepath.Join(stateDir, "credentials"), StateDirEnv, err)
	case errors.Is(err, fs.ErrPermission):
		return api.Credentials{}, fmt.Errorf("reading the local director's credentials in %s needs root (run with sudo), or give a director with -e, --client, --client-secret and --ca-cert: %w",
			filepath.Join(stateDir, "credentials"), err)
	case err != nil:
		return api.Credentials{}, fmt.Errorf("reading the local director's credentials: %w", err)
	}
	return creds, nil
}
