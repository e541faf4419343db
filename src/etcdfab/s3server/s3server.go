// Package s3server runs a real S3-compatible server, versitygw on a posix
// directory, on a loopback address for tests. scripts/setup builds it into
// the cache and scripts/test exports its path as VERSITYGW_BIN.
package s3server

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/etcdfab/process"
)

// Server is one versitygw process.
type Server struct {
	// Endpoint is the URL clients use: http://127.x.y.z:port, or https://
	// with TLS.
	Endpoint          string
	AccessKey, Secret string
	// CACert is the PEM CA that signed the server's certificate under TLS.
	CACert string
	// Root is the directory whose subdirectories are the buckets.
	Root string

	child *process.Child
	log   *os.File
}

// Options for Start.
type Options struct {
	// Addr is host:port to listen on (a loopback address).
	Addr string
	// Dir holds the buckets and the server's log.
	Dir string
	// Buckets are created before Start returns.
	Buckets []string
	// TLS serves HTTPS with a certificate for Addr's host from a new CA.
	TLS bool
}

// Bin is the versitygw binary from VERSITYGW_BIN; the error says how to get one.
func Bin() (string, error) {
	bin := os.Getenv("VERSITYGW_BIN")
	if bin == "" {
		return "", errors.New("VERSITYGW_BIN is not set: run scripts/setup, which builds versitygw into the cache ($HOME/.cache/etcd-release/bin/versitygw), and export VERSITYGW_BIN (scripts/test does)")
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("VERSITYGW_BIN %s: %w; run scripts/setup to build it", bin, err)
	}
	return bin, nil
}

// Start runs versitygw and waits until it answers.
func Start(o Options) (*Server, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	s := &Server{AccessKey: "testaccess", Secret: "testsecret1234", Root: filepath.Join(o.Dir, "buckets")}
	for _, b := range o.Buckets {
		// versitygw's posix backend serves each directory as a bucket.
		if err := os.MkdirAll(filepath.Join(s.Root, b), 0o700); err != nil {
			return nil, err
		}
	}
	args := []string{"--access", s.AccessKey, "--secret", s.Secret, "--port", o.Addr}
	scheme := "http"
	if o.TLS {
		if args, err = s.tlsArgs(args, o); err != nil {
			return nil, err
		}
		scheme = "https"
	}
	s.Endpoint = scheme + "://" + o.Addr
	args = append(args, "posix", s.Root)
	logf, err := os.Create(filepath.Join(o.Dir, "versitygw.log"))
	if err != nil {
		return nil, err
	}
	s.log = logf
	if s.child, err = process.Start(bin, args, logf); err != nil {
		logf.Close()
		return nil, err
	}
	if err := s.waitServing(o); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) tlsArgs(args []string, o Options) ([]string, error) {
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return nil, err
	}
	ca, err := certs.NewAuthority("s3server test CA")
	if err != nil {
		return nil, err
	}
	kp, err := ca.Issue(certs.Request{CommonName: host, AlternativeNames: []string{host}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		return nil, err
	}
	certFile, keyFile := filepath.Join(o.Dir, "server.crt"), filepath.Join(o.Dir, "server.key")
	if err := os.WriteFile(certFile, kp.CertificatePEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyFile, kp.PrivateKeyPEM, 0o600); err != nil {
		return nil, err
	}
	s.CACert = string(ca.CertificatePEM)
	return append(args, "--cert", certFile, "--key", keyFile), nil
}

func (s *Server) waitServing(o Options) error {
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", o.Addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-s.child.Done():
			return fmt.Errorf("versitygw exited; see %s", filepath.Join(o.Dir, "versitygw.log"))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw did not listen on %s within 20s; see %s", o.Addr, filepath.Join(o.Dir, "versitygw.log"))
		}
	}
}

// Stop ends the server (SIGTERM, then a kill after 10 s) and waits for it.
func (s *Server) Stop() {
	s.child.Stop(10 * time.Second)
	s.log.Close()
}
