package certset

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Main runs `etcd-certs generate|rotate` with args (without the program
// name) and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "generate":
		err = runGenerate(args[1:], stdout, stderr)
	case "rotate":
		err = runRotate(args[1:], stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return 2
	}
	if err == flag.ErrHelp {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "error:", err)
		return 1
	}
	return 0
}

const usage = `usage:
  etcd-certs generate [-out DIR] [-suffix NAME] [-key-type rsa|ecdsa] [-key-size N] [-days N] [-ca-days N]
      writes DIR/vars.yml (for deploy -l, with the variable names of manifests/bosh-lite/etcd.yml)
      and DIR/pem/<variable>.crt|.key
  etcd-certs rotate -current FILE -next FILE [-out DIR]
      FILE: a vars file, a vars store or a manifest holding the certificates in its properties;
      writes DIR/stage-1.yml, stage-2.yml and stage-3.yml, one deploy each
`

func runGenerate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("etcd-certs generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "etcd-certs", "directory to write vars.yml and pem/ into")
	var o Options
	fs.StringVar(&o.Suffix, "suffix", DefaultSuffix, "etcd.advertise_urls_dns_suffix: server and peer certificates name <suffix> and *.<suffix>")
	fs.StringVar(&o.Datacenter, "consul-datacenter", DefaultDatacenter, "consul.agent.datacenter, for server.<datacenter>.<domain>")
	fs.StringVar(&o.Domain, "consul-domain", DefaultDomain, "consul.agent.domain")
	fs.StringVar(&o.KeyType, "key-type", DefaultKeyType, "rsa or ecdsa")
	fs.IntVar(&o.KeySize, "key-size", 0, "RSA bits (2048, 3072, 4096; default 2048) or ECDSA curve size (256, 384, 521; default 256)")
	days := fs.Int("days", int(DefaultValidity/(24*time.Hour)), "validity of the server, client and peer certificates, in days")
	caDays := fs.Int("ca-days", int(DefaultCAValidity/(24*time.Hour)), "validity of the CAs, in days")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Validity = time.Duration(*days) * 24 * time.Hour
	o.CAValidity = time.Duration(*caDays) * 24 * time.Hour
	set, err := Generate(o)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	varsFile := filepath.Join(*out, "vars.yml")
	if err := set.WriteVars(varsFile); err != nil {
		return err
	}
	if err := set.WritePEM(filepath.Join(*out, "pem")); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s and %s\ndeploy with: bosh -d etcd deploy manifests/bosh-lite/etcd.yml -l %s\n",
		varsFile, filepath.Join(*out, "pem"), varsFile)
	return nil
}

func runRotate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("etcd-certs rotate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	currentPath := fs.String("current", "", "the certificates deployed now: a vars file, a vars store or a manifest")
	nextPath := fs.String("next", "", "the certificates to move to (scripts/generate-certs makes them)")
	out := fs.String("out", "rotation", "directory to write the stages into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *currentPath == "" || *nextPath == "" {
		return fmt.Errorf("give -current and -next")
	}
	current, src, err := Load(*currentPath)
	if err != nil {
		return err
	}
	next, _, err := Load(*nextPath)
	if err != nil {
		return err
	}
	stages, notes, err := Rotate(current, next, time.Now())
	if err != nil {
		return fmt.Errorf("refusing to rotate from %s to %s:\n%w", *currentPath, *nextPath, err)
	}
	if err := os.MkdirAll(*out, 0o700); err != nil {
		return err
	}
	ops := ""
	if src.Manifest != nil {
		path := filepath.Join(*out, "use-variables.yml")
		if err := writeSecret(path, UseVariablesOps(*src.Manifest)); err != nil {
			return err
		}
		ops = " -o " + path
	}
	for _, note := range notes {
		fmt.Fprintln(stdout, "note:", note)
	}
	fmt.Fprintln(stdout, "deploy each stage in turn, and check it on every member before the next:")
	for _, s := range stages {
		path := filepath.Join(*out, s.File)
		if err := s.Set.WriteVars(path); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %d. %s\n     bosh -d etcd deploy manifests/bosh-lite/etcd.yml%s -l %s\n     bosh -d etcd ssh etcd/0 -c '/var/vcap/packages/etcdfab/bin/etcdfab check-certs'\n",
			s.Number, s.Summary, ops, path)
	}
	return nil
}
