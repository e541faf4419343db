package jobtest_test

import (
	"crypto/x509"
	"fmt"
	"path/filepath"

	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
	"github.com/cloudfoundry-incubator/etcd-release/src/render"
)

// consulMaterial holds the consul_agent job's TLS material: a CA, a server
// certificate covering server.dc1.cf.internal and an agent certificate.
type consulMaterial struct {
	ca            *certs.Authority
	server, agent certs.KeyPair
}

func newConsulMaterial() consulMaterial {
	var m consulMaterial
	var err error
	m.ca, err = certs.NewAuthority("consulCA", certs.WithECDSAKeys())
	Expect(err).NotTo(HaveOccurred())
	both := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	m.server, err = m.ca.Issue(certs.Request{CommonName: "server.dc1.cf.internal", AlternativeNames: []string{"server.dc1.cf.internal"}, ExtKeyUsage: both})
	Expect(err).NotTo(HaveOccurred())
	m.agent, err = m.ca.Issue(certs.Request{CommonName: "consul_agent", ExtKeyUsage: both})
	Expect(err).NotTo(HaveOccurred())
	return m
}

// consulProps are consul_agent properties for mode with every certificate
// and one gossip passphrase; extra is merged into consul.agent.
func (m consulMaterial) consulProps(mode string, extra map[string]any) map[string]any {
	agent := map[string]any{"mode": mode}
	for k, v := range extra {
		agent[k] = v
	}
	return map[string]any{"consul": map[string]any{
		"agent":        agent,
		"encrypt_keys": []any{"gossip-passphrase"},
		"ca_cert":      string(m.ca.CertificatePEM),
		"server_cert":  string(m.server.CertificatePEM), "server_key": string(m.server.PrivateKeyPEM),
		"agent_cert": string(m.agent.CertificatePEM), "agent_key": string(m.agent.PrivateKeyPEM),
	}}
}

// consulInstance is instance index of group at ip, with a persistent disk
// when disk is true (servers need one).
func consulInstance(group string, index int, ip string, disk bool) render.Instance {
	inst := instance(index, ip)
	inst.Name, inst.Deployment = group, "consul"
	inst.ID = fmt.Sprintf("%s-id-%d", group, index)
	if !disk {
		inst.PersistentDiskMB = 0
	}
	return inst
}

// consulLinks are the consul links (consul_common, consul_server,
// consul_client) a server group of size on base.1, base.2, ... provides when
// its manifest properties are props: published as the director publishes them.
func consulLinks(size int, base string, props map[string]any) map[string]render.Link {
	spec, err := jobspec.Load(filepath.Join(jobsDir, "consul_agent"))
	Expect(err).NotTo(HaveOccurred())
	resolved, err := render.ResolveProperties(spec, props)
	Expect(err).NotTo(HaveOccurred())
	var instances []render.LinkInstance
	for i := range size {
		instances = append(instances, render.LinkInstance{Name: "consul", Index: i,
			ID: fmt.Sprintf("consul-id-%d", i), AZ: "z1", Address: fmt.Sprintf("%s.%d", base, i+1), Bootstrap: i == 0})
	}
	links := map[string]render.Link{}
	for _, name := range []string{"consul_common", "consul_server", "consul_client"} {
		published, err := render.PublishedProperties(spec, name, resolved)
		Expect(err).NotTo(HaveOccurred())
		links[name] = render.Link{Properties: published, Instances: instances}
	}
	return links
}

// consulCommon is only the consul_common link of consulLinks.
func consulCommon(size int, base string, props map[string]any) map[string]render.Link {
	return map[string]render.Link{"consul_common": consulLinks(size, base, props)["consul_common"]}
}

// consulServerFixture is server 1 of a three-server group that consumes its
// own consul links, as consul-release's manifests deploy servers.
func consulServerFixture(m consulMaterial) fixture {
	props := m.consulProps("server", nil)
	return fixture{props: props, inst: consulInstance("consul", 1, "10.244.0.2", true), links: consulLinks(3, "10.244.0", props)}
}
