package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/boshdns"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/deployer"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// directorCmd is `director`: run the local director in the foreground,
// serving the Director API on 127.0.0.1 and on the VM bridge's gateway,
// until SIGTERM or SIGINT.
type directorCmd struct {
	stateDir  string
	port      string
	resurrect string
	services  []string
}

func (c *directorCmd) Flags(fs *flagSet) {
	fs.stringFlag(&c.stateDir, "state-dir", "", "DIR", "Directory for releases, deployments, VMs, tasks and credentials (default $"+StateDirEnv+" or "+vm.DefaultStateDir+")")
	fs.stringFlag(&c.port, "port", "", "PORT", "Port to listen on (default "+director.DefaultPort+")")
	fs.listFlag(&c.services, "gateway-service", "", "PORT", "Let the VMs reach this TCP port on the bridge's gateway too, for a service run there for the deployments (an S3 server for etcd snapshots, say); repeatable (default: VMs reach only the director's API and DNS)")
	fs.stringFlag(&c.resurrect, "resurrect-every", "", "DURATION", "Run the resurrector: check the VMs this often (30s, say) and recreate those gone, as BOSH's health monitor has them (default off)")
}

func (c *directorCmd) Run(ctx context.Context, s *Session, _ []string) error {
	stateDir := firstNonEmpty(c.stateDir, s.Deps.Getenv(StateDirEnv), vm.DefaultStateDir)
	port := firstNonEmpty(c.port, director.DefaultPort)
	logger := slog.New(slog.NewJSONHandler(s.Deps.Stderr, nil))

	var resurrect time.Duration
	if c.resurrect != "" {
		var err error
		if resurrect, err = time.ParseDuration(c.resurrect); err != nil || resurrect <= 0 {
			return usageErrorf("--resurrect-every %q is not a positive duration such as 30s", c.resurrect)
		}
	}
	portNumber, err := strconv.Atoi(port)
	if err != nil {
		return usageErrorf("--port %q is not a port number", port)
	}
	services, err := gatewayServicePorts(c.services)
	if err != nil {
		return err
	}
	// VMs reach the director's API on the gateway at this port, its DNS and
	// the gateway services, and nothing else of the host.
	vms, err := vm.New(vm.Options{StateDir: stateDir, Logger: logger, DirectorPort: portNumber, GatewayServices: services})
	if err != nil {
		return err
	}
	// The bridge must exist before the director can listen on its gateway.
	if err := vms.EnsureNetwork(ctx); err != nil {
		return fmt.Errorf("setting up the VM network: %w", err)
	}
	gateway := vms.Options().Gateway.String()
	creds, err := api.EnsureCredentials(stateDir, []string{gateway})
	if err != nil {
		return err
	}
	backend, err := deployer.New(deployer.Options{StateDir: stateDir, VMs: vms, Logger: logger, BOSHDNS: true})
	if err != nil {
		return err
	}
	// BOSH DNS for the VMs, on the gateway (the VMs' INPUT rules let port 53 through).
	dnsServer, err := boshdns.Start(ctx, boshdns.Options{Addr: net.JoinHostPort(gateway, "53"), Source: backend.DNSRecords, Logger: logger})
	if err != nil {
		return err
	}
	defer dnsServer.Close()
	server, err := api.New(api.Options{StateDir: stateDir, Backend: backend, Username: creds.Username,
		Password: creds.Password, Certificate: &creds.Certificate, Name: "localbosh", Logger: logger,
		ResurrectInterval: resurrect})
	if err != nil {
		return err
	}
	var listeners []net.Listener
	for _, host := range []string{"127.0.0.1", gateway} {
		l, err := net.Listen("tcp", net.JoinHostPort(host, port))
		if err != nil {
			for _, open := range listeners {
				open.Close()
			}
			return fmt.Errorf("listening on %s:%s (is another director running? see --port): %w", host, port, err)
		}
		listeners = append(listeners, l)
	}
	pidFile := directorPIDFile(stateDir)
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("writing pid file: %w", err)
	}
	defer os.Remove(pidFile)
	logger.Info("localbosh director listening", "urls", []string{"https://127.0.0.1:" + port, "https://" + gateway + ":" + port},
		"ca_cert", creds.CACertPath, "user", creds.Username, "credentials", stateDir+"/credentials")

	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	return server.Serve(ctx, listeners...)
}

// gatewayServicePorts reads the --gateway-service values.
func gatewayServicePorts(values []string) ([]int, error) {
	var ports []int
	for _, v := range values {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 65535 {
			return nil, usageErrorf("--gateway-service %q is not a TCP port number (1-65535)", v)
		}
		ports = append(ports, n)
	}
	return ports, nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
