// Package api is localbosh's director: the HTTPS server of the BOSH Director
// API subset that deploying and testing need, with BOSH's task model, in
// front of a Backend that does the work.
package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
)

// Defaults of Options.
const (
	DefaultUsername = "admin"
	DefaultName     = "localbosh"
	DefaultVersion  = "0.1.0 (localbosh)"
	// DefaultMaxUploadBytes holds the largest releases in use with room.
	DefaultMaxUploadBytes = 4 << 30
)

// shutdownGrace is how long Serve lets requests in flight finish when its
// context is done; task output polling requests are short.
const shutdownGrace = 5 * time.Second

// Options configure a Server.
type Options struct {
	// StateDir holds tasks and configs (StateDir/tasks, StateDir/configs);
	// a restarted server on the same StateDir finds them again.
	StateDir string
	Backend  Backend
	// Username defaults to DefaultUsername; Password is required.
	Username string
	Password string
	// Certificate is the server's TLS certificate (see EnsureCredentials).
	Certificate *tls.Certificate
	// Name and Version are reported by GET /info.
	Name    string
	Version string
	// Logger receives one line per task and failed request; nil discards.
	Logger *slog.Logger
	// MaxUploadBytes bounds a release tarball, uploaded or fetched from a
	// location; default DefaultMaxUploadBytes. Manifests, configs and JSON
	// bodies are bounded at 32 MiB.
	MaxUploadBytes int64
	// LockTimeout is how long a task waits for its deployment's lock;
	// default DefaultLockTimeout (10 s, the director's).
	LockTimeout time.Duration
	// ResurrectInterval, when positive, runs the resurrector: every
	// interval, deployments with VMs gone get a "scan and fix" task that
	// recreates them, as BOSH's health monitor has them resurrected.
	ResurrectInterval time.Duration
}

// Server is the director API server.
type Server struct {
	opts     Options
	backend  Backend
	logger   *slog.Logger
	uuid     string
	tasks    *taskManager
	configs  *configStore
	deployed *deployedConfigs
	problems *problemStore

	serveOnce sync.Once
}

// New checks opts and loads the state under opts.StateDir: tasks that were
// unfinished when a previous server stopped are marked failed.
func New(opts Options) (*Server, error) {
	if opts.StateDir == "" {
		return nil, errors.New("api.Options.StateDir is empty: give the director's state directory")
	}
	if opts.Backend == nil {
		return nil, errors.New("api.Options.Backend is nil")
	}
	if opts.Password == "" {
		return nil, errors.New("api.Options.Password is empty: generate one with EnsureCredentials")
	}
	if opts.Certificate == nil {
		return nil, errors.New("api.Options.Certificate is nil: the director serves HTTPS only; generate one with EnsureCredentials")
	}
	if opts.Username == "" {
		opts.Username = DefaultUsername
	}
	if opts.Name == "" {
		opts.Name = DefaultName
	}
	if opts.Version == "" {
		opts.Version = DefaultVersion
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = DefaultMaxUploadBytes
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	uuid, err := loadOrCreateUUID(filepath.Join(opts.StateDir, "director-uuid"))
	if err != nil {
		return nil, err
	}
	tasks, err := openTaskManager(filepath.Join(opts.StateDir, "tasks"), logger, time.Now)
	if err != nil {
		return nil, err
	}
	if opts.LockTimeout > 0 {
		tasks.lockTimeout = opts.LockTimeout
	}
	configs, err := openConfigStore(filepath.Join(opts.StateDir, "configs"), time.Now)
	if err != nil {
		return nil, err
	}
	deployed, err := openDeployedConfigs(filepath.Join(opts.StateDir, "deployed-configs.json"))
	if err != nil {
		return nil, err
	}
	return &Server{opts: opts, backend: opts.Backend, logger: logger, uuid: uuid, tasks: tasks, configs: configs, deployed: deployed, problems: newProblemStore()}, nil
}

// Serve serves HTTPS on every listener until ctx is done, then stops taking
// requests, cancels running tasks (they stay unfinished on disk, and the next
// New marks them failed) and returns once they have returned. It returns nil
// after ctx is done, or the first listener's error. Serve runs once.
func (s *Server) Serve(ctx context.Context, listeners ...net.Listener) error {
	if len(listeners) == 0 {
		return errors.New("serving the director: no listener given")
	}
	started := false
	s.serveOnce.Do(func() { started = true })
	if !started {
		return errors.New("serving the director: Serve was already called on this server; create a new one with New")
	}
	taskCtx, stopTasks := context.WithCancel(ctx)
	defer stopTasks()
	s.tasks.begin(taskCtx)

	// HTTP/1.1 only: the bosh CLI needs nothing more, and a graceful stop
	// then needs no HTTP/2 GOAWAY round (which waits a second per connection).
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	srv := &http.Server{
		Protocols:         &protocols,
		Handler:           s.routes(),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{*s.opts.Certificate}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if s.opts.ResurrectInterval > 0 {
		go s.resurrect(taskCtx, s.opts.ResurrectInterval)
	}
	errs := make(chan error, len(listeners))
	for _, l := range listeners {
		go func() { errs <- srv.ServeTLS(l, "", "") }()
	}
	for _, l := range listeners {
		s.logger.Info("director listening", "address", l.Addr().String())
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errs:
		serveErr = fmt.Errorf("serving the director: %w", serveErr)
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		s.logger.Error("director shutdown", "error", err.Error())
	}
	stopTasks()
	s.tasks.wait()
	return serveErr
}

// routes maps the API onto handlers, one file per resource.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.routeInfo(mux)
	s.routeTasks(mux)
	s.routeReleases(mux)
	s.routeStemcells(mux)
	s.routeConfigs(mux)
	s.routeDeployments(mux)
	s.routeInstances(mux)
	s.routeErrands(mux)
	s.routeJobs(mux)
	s.routeCloudCheck(mux)
	s.routeDisks(mux)
	mux.Handle("/", s.handle(func(w http.ResponseWriter, r *http.Request) error {
		return director.NewError(http.StatusNotFound, director.CodeResourceNotFound, "%s %s is not part of the localbosh director API", r.Method, r.URL.Path)
	}))
	return s.authenticate(mux)
}
