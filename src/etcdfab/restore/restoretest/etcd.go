// Package restoretest runs one real etcd member for the tests of the
// snapshot and restore packages.
package restoretest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/process"
)

// Etcd is one etcd process on a loopback address.
type Etcd struct {
	Name, DataDir, IP string
	child             *process.Child
	log               *os.File
}

// PeerURL and ClientURL are the member's URLs.
func (e *Etcd) PeerURL() string   { return "http://" + e.IP + ":2380" }
func (e *Etcd) ClientURL() string { return "http://" + e.IP + ":2379" }

// Start runs etcdBin as a new single-member cluster, or on the data already
// in dataDir, listening on ip, and waits until it serves a read. Its log goes
// to dataDir's sibling file <dataDir>.log.
func Start(etcdBin, name, dataDir, ip string) (*Etcd, error) {
	e := &Etcd{Name: name, DataDir: dataDir, IP: ip}
	logf, err := os.Create(filepath.Clean(dataDir) + ".log")
	if err != nil {
		return nil, err
	}
	e.log = logf
	e.child, err = process.Start(etcdBin, []string{"--name", name, "--data-dir", dataDir,
		"--listen-peer-urls", e.PeerURL(), "--initial-advertise-peer-urls", e.PeerURL(),
		"--listen-client-urls", e.ClientURL(), "--advertise-client-urls", e.ClientURL(),
		"--initial-cluster", name + "=" + e.PeerURL(), "--initial-cluster-token", "test-" + filepath.Base(dataDir),
		"--log-level", "warn"}, logf)
	if err != nil {
		logf.Close()
		return nil, err
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := e.Client()
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err = c.Get(ctx, "health")
			cancel()
			c.Close()
			if err == nil {
				return e, nil
			}
		}
		select {
		case <-e.child.Done():
			e.log.Close()
			return nil, fmt.Errorf("etcd on %s exited; see %s.log", dataDir, filepath.Clean(dataDir))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			e.Stop()
			return nil, fmt.Errorf("etcd on %s did not serve within 20s: %w", dataDir, err)
		}
	}
}

// Client connects to the member.
func (e *Etcd) Client() (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: []string{e.ClientURL()}, DialTimeout: 2 * time.Second})
}

// Stop ends the process (SIGTERM, then a kill after 10 s) and waits for it.
func (e *Etcd) Stop() {
	e.child.Stop(10 * time.Second)
	e.log.Close()
}
