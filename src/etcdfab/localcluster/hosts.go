package localcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"
)

// Under TLS, nodes reach each other by name (<group>-<index>.<suffix>), as
// they do through consul DNS in a deployment. Tests resolve those names via
// /etc/hosts, made private to the test process: the test binary re-runs
// itself in its own mount namespace with a copy of /etc/hosts bind-mounted
// over the real one, so the machine's file is never touched.

const isolatedEnv = "LOCALCLUSTER_PRIVATE_HOSTS"

// IsolateHosts re-runs the current binary in a private mount namespace and
// returns its exit code with reran=true; in the re-run (reran=false) it
// mounts the private /etc/hosts and returns so the caller runs its tests.
// Call it first in TestMain.
func IsolateHosts() (code int, reran bool, err error) {
	if os.Getenv(isolatedEnv) == "1" {
		return 0, false, privateHosts()
	}
	if os.Geteuid() != 0 {
		return 0, false, errors.New("integration tests need root to create a mount namespace with a private /etc/hosts; run them as root (scripts/test does)")
	}
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "--", os.Args[0]}, os.Args[1:]...)...)
	cmd.Env = append(os.Environ(), isolatedEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return 0, true, nil
	case errors.As(err, &exitErr):
		return exitErr.ExitCode(), true, nil
	default:
		return 1, true, fmt.Errorf("re-running tests in a mount namespace: %w", err)
	}
}

func privateHosts() error {
	orig, err := os.ReadFile("/etc/hosts")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp("", "localcluster-hosts-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(orig); err != nil {
		return err
	}
	f.Close()
	if err := unix.Mount(f.Name(), "/etc/hosts", "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind-mounting a private /etc/hosts: %w", err)
	}
	return nil
}

// AddHosts maps the names of nodes 0..size-1 to their addresses in the
// private /etc/hosts. It refuses to write the machine's real file.
//
// With peer client-certificate auth, etcd accepts a peer's connection only
// if a name in the peer's certificate resolves to the connection's source
// address. In a deployment the certificate names <suffix>, which consul
// resolves to every member; here the suffix resolves to every node and to
// 127.0.0.1, the source address of connections between loopback addresses.
func (c *Cluster) AddHosts(size int) error {
	if os.Getenv(isolatedEnv) != "1" {
		return errors.New("AddHosts needs the private /etc/hosts of IsolateHosts; call it from TestMain")
	}
	f, err := os.OpenFile("/etc/hosts", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	entries := fmt.Sprintf("127.0.0.1 %s\n", c.opts.DNSSuffix)
	for i := 0; i < size; i++ {
		entries += fmt.Sprintf("%s %s\n%s %s\n", c.IP(i), c.Hostname(i), c.IP(i), c.opts.DNSSuffix)
	}
	_, err = f.WriteString(entries)
	return err
}
