// Package deployer is localbosh's director backend: it keeps uploaded
// releases and deployment records, compiles packages, renders job templates
// and drives each instance through the BOSH lifecycle on VMs made of Linux
// namespaces (package vm).
package deployer

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/cloudfoundry-incubator/etcd-release/src/director"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/api"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/statedir"
	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

// Stemcell is what localbosh reports instances to run on: the machine
// itself. Manifests may name any stemcell; all of them mean this one.
var Stemcell = director.Stemcell{Name: "bosh-localbosh-debian-namespaces", OperatingSystem: "debian-bookworm",
	Version: "1", APIVersion: 3, CID: "localbosh-host"}

// Options configure a Deployer.
type Options struct {
	StateDir string
	VMs      *vm.Manager
	Renderer render.Renderer
	Logger   *slog.Logger
	// BOSHDNS tells that the director serves BOSH DNS on the VMs'
	// gateway (see package boshdns): VMs of deployments with
	// features.use_dns_addresses get it as their first nameserver.
	BOSHDNS bool
}

// Deployer implements api.Backend.
type Deployer struct {
	stateDir string
	state    statedir.Dir // every path named after a deployment, release or package
	vms      *vm.Manager
	renderer render.Renderer
	log      *slog.Logger
	boshDNS  bool

	// ipMu serialises IP planning across deployments, which the API runs
	// concurrently: two deployments must not both take a free IP.
	ipMu sync.Mutex
	// compileMu lets one task at a time compile, so a package is compiled once.
	compileMu sync.Mutex
	// orphanMu guards the list of orphaned disks, which tasks of every
	// deployment change.
	orphanMu sync.Mutex
}

var _ api.Backend = (*Deployer)(nil)

// New prepares a Deployer over the state directory.
func New(opts Options) (*Deployer, error) {
	if opts.VMs == nil {
		return nil, fmt.Errorf("deployer needs a VM manager")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	state, err := statedir.New(opts.StateDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating state directory: %w", err)
	}
	return &Deployer{stateDir: opts.StateDir, state: state, vms: opts.VMs, renderer: opts.Renderer, log: opts.Logger, boshDNS: opts.BOSHDNS}, nil
}

// Stemcells reports the one stemcell localbosh VMs run on.
func (d *Deployer) Stemcells(ctx context.Context) ([]director.Stemcell, error) {
	s := Stemcell
	names, err := d.deploymentNames()
	if err != nil {
		return nil, err
	}
	s.Deployments = []director.StemcellDeployment{}
	for _, n := range names {
		s.Deployments = append(s.Deployments, director.StemcellDeployment{Name: n})
	}
	uploaded, err := d.uploadedStemcells()
	if err != nil {
		return nil, err
	}
	return append([]director.Stemcell{s}, uploaded...), nil
}

// Deployments lists the deployments with the releases they use.
func (d *Deployer) Deployments(ctx context.Context) ([]director.DeploymentSummary, error) {
	names, err := d.deploymentNames()
	if err != nil {
		return nil, err
	}
	out := []director.DeploymentSummary{}
	for _, n := range names {
		rec, _, err := d.loadRecord(n)
		if err != nil {
			return nil, err
		}
		sum := director.DeploymentSummary{Name: n, CloudConfig: "latest", Teams: []string{},
			Stemcells: []director.NameVersion{{Name: Stemcell.Name, Version: Stemcell.Version}}}
		for _, r := range rec.Releases {
			name, version, _ := strings.Cut(r, "/")
			sum.Releases = append(sum.Releases, director.NameVersion{Name: name, Version: version})
		}
		out = append(out, sum)
	}
	return out, nil
}

// Manifest returns a deployment's last deployed manifest.
func (d *Deployer) Manifest(ctx context.Context, deployment string) ([]byte, error) {
	rec, err := d.existingRecord(deployment)
	if err != nil {
		return nil, err
	}
	return []byte(rec.Manifest), nil
}

// releasesInUse is the set of "name/version" any deployment uses.
func (d *Deployer) releasesInUse() (map[string]bool, error) {
	names, err := d.deploymentNames()
	if err != nil {
		return nil, err
	}
	inUse := map[string]bool{}
	for _, n := range names {
		rec, _, err := d.loadRecord(n)
		if err != nil {
			return nil, err
		}
		for _, r := range rec.Releases {
			inUse[r] = true
		}
	}
	return inUse, nil
}

// newID returns a random UUID (version 4), as BOSH ids instances and VMs.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
