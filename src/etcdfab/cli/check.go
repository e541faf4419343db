package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/certcheck"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/config"
)

// consulCertDir is where the colocated consul_agent job renders its certificates.
const consulCertDir = "/var/vcap/jobs/consul_agent/config/certs"

// runCheckCerts asks every member which certificates it serves and which
// CAs it accepts, and exits 0 when they all match the expectation: a vars
// file (-vars), or else this instance's rendered certificates. It works on
// a member with no flags, and anywhere else with -members and -vars.
func runCheckCerts(args []string, io IO) int {
	fs := flag.NewFlagSet("etcdfab check-certs", flag.ContinueOnError)
	fs.SetOutput(io.Stderr)
	configPath := fs.String("config", "/var/vcap/jobs/etcd/config/etcdfab.json", "the rendered etcdfab config: members, ports and, without -vars, the expected certificates")
	varsPath := fs.String("vars", "", "a vars file (a rotation stage, or scripts/generate-certs' vars.yml) holding what members must serve and accept, and the identities to present")
	membersFlag := fs.String("members", "", "members to ask, comma-separated name=ip or ip (default: the group in -config)")
	extraCAs := fs.String("ca", "", "further CA certificate files, comma-separated, to recognise signers by")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	timeout := fs.Duration("timeout", 5*time.Second, "time for each connection")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintln(io.Stderr, "etcdfab check-certs:", err)
		return 2
	}
	ports := certcheck.DefaultPorts
	var cfg *config.Config
	if *membersFlag == "" || *varsPath == "" {
		c, err := config.Load(*configPath)
		if err != nil {
			return fail(fmt.Errorf("%w; off a member, give -members and -vars", err))
		}
		cfg = &c
		ports.Client, ports.Peer = c.Etcd.ClientPort, c.Etcd.PeerPort
	}
	members := parseMembers(*membersFlag)
	if members == nil && cfg != nil {
		for _, p := range cfg.Group() {
			members = append(members, certcheck.Member{Name: p.Name, Address: p.Address})
		}
	}
	var exp certcheck.Expectation
	var err error
	if *varsPath != "" {
		exp, err = certcheck.FromVars(*varsPath, ports)
	} else {
		exp, err = certcheck.FromFiles("this instance's rendered certificates", ports, renderedFiles(*cfg))
	}
	if err != nil {
		return fail(err)
	}
	var caFiles []string
	if *extraCAs != "" {
		caFiles = strings.Split(*extraCAs, ",")
	}
	extra, err := certcheck.ParseCAs(caFiles)
	if err != nil {
		return fail(err)
	}
	report := certcheck.Check(context.Background(), members, exp, extra, *timeout)
	write := report.WriteText
	if *asJSON {
		write = report.WriteJSON
	}
	if err := write(io.Stdout); err != nil {
		return fail(err)
	}
	if !report.Ready {
		return 1
	}
	return 0
}

func parseMembers(flagValue string) []certcheck.Member {
	var out []certcheck.Member
	for _, item := range strings.Split(flagValue, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, addr, ok := strings.Cut(item, "=")
		if !ok {
			name, addr = item, item
		}
		out = append(out, certcheck.Member{Name: name, Address: addr})
	}
	return out
}

// renderedFiles are the certificates this instance's jobs were rendered
// with: the etcd job's (under TLS) and the colocated consul agent's.
func renderedFiles(cfg config.Config) map[string]certcheck.Files {
	files := map[string]certcheck.Files{}
	if cfg.Etcd.RequireSSL {
		s, c := cfg.ServerTLS(), cfg.ClientTLS()
		files[certcheck.Client] = certcheck.Files{Serve: s.Cert, Accept: s.CA, IdentityCert: c.Cert, IdentityKey: c.Key}
	}
	if cfg.Etcd.PeerRequireSSL {
		p := cfg.PeerTLS()
		files[certcheck.Peer] = certcheck.Files{Serve: p.Cert, Accept: p.CA, IdentityCert: p.Cert, IdentityKey: p.Key}
	}
	if _, err := os.Stat(filepath.Join(consulCertDir, "server.crt")); err == nil {
		files[certcheck.Consul] = certcheck.Files{Serve: filepath.Join(consulCertDir, "server.crt"), Accept: filepath.Join(consulCertDir, "ca.crt"),
			IdentityCert: filepath.Join(consulCertDir, "server.crt"), IdentityKey: filepath.Join(consulCertDir, "server.key")}
	}
	return files
}
