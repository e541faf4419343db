package boshdns_test

import (
	"context"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/boshdns"
)

var records = boshdns.Records{
	Instances: []boshdns.Instance{
		{ID: "aaa", Group: "etcd_server", Deployment: "My_Dep", Index: 0, AZIndex: 1, Healthy: true, IPs: map[string]netip.Addr{"default": netip.MustParseAddr("10.0.0.2")}},
		{ID: "bbb", Group: "etcd_server", Deployment: "My_Dep", Index: 1, AZIndex: 2, Healthy: true, IPs: map[string]netip.Addr{"default": netip.MustParseAddr("10.0.0.3")}},
		{ID: "ccc", Group: "etcd_server", Deployment: "My_Dep", Index: 2, AZIndex: 2, Healthy: false, IPs: map[string]netip.Addr{"default": netip.MustParseAddr("10.0.0.4")}},
		{ID: "ddd", Group: "etcd_server", Deployment: "My_Dep", Index: 3, AZIndex: 3, Healthy: false, IPs: map[string]netip.Addr{"default": netip.MustParseAddr("10.0.0.5")}},
	},
	Aliases: []boshdns.Alias{{Name: "etcd.service.internal", Targets: []string{"q-s0.etcd-server.default.my-dep.bosh"}}},
}

func ips(addrs ...string) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		out = append(out, netip.MustParseAddr(a))
	}
	return out
}

var _ = Describe("Resolve", func() {
	DescribeTable("answers BOSH DNS names in their canonical form",
		func(name string, want []netip.Addr) {
			Expect(boshdns.Resolve(records, name)).To(Equal(want))
		},
		Entry("an instance by id", "aaa.etcd-server.default.my-dep.bosh", ips("10.0.0.2")),
		Entry("an instance by index", "1.etcd-server.default.my-dep.bosh", ips("10.0.0.3")),
		Entry("the healthy instances of a group (s0, smart)", "q-s0.etcd-server.default.my-dep.bosh", ips("10.0.0.2", "10.0.0.3")),
		Entry("the healthy ones (s3)", "q-s3.etcd-server.default.my-dep.bosh", ips("10.0.0.2", "10.0.0.3")),
		Entry("the unhealthy ones (s1)", "q-s1.etcd-server.default.my-dep.bosh", ips("10.0.0.4", "10.0.0.5")),
		Entry("all of them (s4)", "q-s4.etcd-server.default.my-dep.bosh", ips("10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5")),
		Entry("those of an AZ", "q-a2s0.etcd-server.default.my-dep.bosh", ips("10.0.0.3")),
		Entry("smart: all of an AZ's when none there is healthy", "q-a3s0.etcd-server.default.my-dep.bosh", ips("10.0.0.5")),
		Entry("healthy: none of an AZ's when none there is healthy", "q-a3s3.etcd-server.default.my-dep.bosh", []netip.Addr(nil)),
		Entry("a synchronous health check asked (y1)", "q-s0y1.etcd-server.default.my-dep.bosh", ips("10.0.0.2", "10.0.0.3")),
		Entry("smart for another health filter, as BOSH DNS reads it", "q-s2.etcd-server.default.my-dep.bosh", ips("10.0.0.2", "10.0.0.3")),
		Entry("an alias", "etcd.service.internal", ips("10.0.0.2", "10.0.0.3")),
		Entry("nothing for another network", "aaa.etcd-server.other.my-dep.bosh", []netip.Addr(nil)),
		Entry("nothing for another deployment", "q-s0.etcd-server.default.other.bosh", []netip.Addr(nil)),
	)
})

var _ = Describe("Server", func() {
	ask := func(addr, name string, qtype uint16) *dns.Msg {
		GinkgoHelper()
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), qtype)
		reply, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, addr)
		Expect(err).NotTo(HaveOccurred())
		return reply
	}

	It("answers BOSH names, NXDOMAIN for unknown .bosh ones, and forwards the rest to its upstreams only", func(ctx SpecContext) {
		// An upstream that answers every name with 192.0.2.1.
		upstreamConn, err := net.ListenPacket("udp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		asked := make(chan string, 10)
		upstream := &dns.Server{PacketConn: upstreamConn, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
			asked <- r.Question[0].Name
			m := new(dns.Msg)
			m.SetReply(r)
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET}, A: net.IPv4(192, 0, 2, 1)})
			_ = w.WriteMsg(m)
		})}
		go func() { _ = upstream.ActivateAndServe() }()
		DeferCleanup(upstream.Shutdown)

		l, err := net.ListenPacket("udp", "127.0.0.1:0")
		Expect(err).NotTo(HaveOccurred())
		addr := l.LocalAddr().String()
		l.Close()
		c, cancel := context.WithCancel(context.Background())
		DeferCleanup(cancel)
		srv, err := boshdns.Start(c, boshdns.Options{Addr: addr, Upstreams: []string{upstreamConn.LocalAddr().String()},
			Source: func(context.Context) (boshdns.Records, error) { return records, nil }})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Close)

		reply := ask(addr, "q-s0.etcd-server.default.my-dep.bosh", dns.TypeA)
		Expect(reply.Rcode).To(Equal(dns.RcodeSuccess))
		Expect(reply.Answer).To(HaveLen(2))
		Expect(ask(addr, "nope.etcd-server.default.my-dep.bosh", dns.TypeA).Rcode).To(Equal(dns.RcodeNameError))
		Expect(ask(addr, "etcd.service.internal", dns.TypeA).Answer).To(HaveLen(2))
		Expect(asked).NotTo(Receive(), "BOSH names and aliases are answered, not forwarded")

		forwarded := ask(addr, "example.org", dns.TypeA)
		Expect(forwarded.Answer).To(HaveLen(1))
		Expect(forwarded.Answer[0].(*dns.A).A.String()).To(Equal("192.0.2.1"))
		Expect(asked).To(Receive(Equal("example.org.")))
	})
})
