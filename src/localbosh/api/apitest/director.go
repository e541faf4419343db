package apitest

import (
	"context"
	"net"
	"sync"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
)

// Director is an api.Server serving over HTTPS on 127.0.0.1, with
// credentials generated in its state directory.
type Director struct {
	StateDir string
	Creds    api.Credentials
	URL      string // https://127.0.0.1:<port>
	Backend  *Backend
	stop     func()
}

// Start serves stateDir with backend until the spec ends or Stop is called.
// A state directory a stopped Director used may be served again: the
// server then finds its credentials, tasks and configs there. change may
// set other server options (MaxUploadBytes).
func Start(stateDir string, backend *Backend, change ...func(*api.Options)) *Director {
	ginkgo.GinkgoHelper()
	creds, err := api.EnsureCredentials(stateDir, nil, certs.WithECDSAKeys())
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	opts := api.Options{StateDir: stateDir, Backend: backend, Password: creds.Password, Certificate: &creds.Certificate}
	for _, c := range change {
		c(&opts)
	}
	srv, err := api.New(opts)
	gomega.Expect(err).NotTo(gomega.HaveOccurred())
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	gomega.Expect(err).NotTo(gomega.HaveOccurred())

	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, listener) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			gomega.Eventually(served, "10s").Should(gomega.Receive(gomega.BeNil()))
		})
	}
	ginkgo.DeferCleanup(stop)
	return &Director{
		StateDir: stateDir, Creds: creds, URL: "https://" + listener.Addr().String(),
		Backend: backend, stop: stop,
	}
}

// Stop stops serving and waits until the server has shut down cleanly.
func (d *Director) Stop() { d.stop() }
