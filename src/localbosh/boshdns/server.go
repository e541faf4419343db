// Package boshdns is localbosh's BOSH DNS: a DNS server on the VM bridge's
// gateway that answers the names BOSH DNS gives instances,
// <id or index>.<group>.<network>.<deployment>.bosh, the group queries
// links hand out, q-<criteria>.<group>.<network>.<deployment>.bosh (s0,
// "smart": the healthy instances, or all when none is healthy; s1: the
// unhealthy ones; s3: the healthy ones; s4: all; a<N>: in the AZ of index
// N; y0/y1 taken and ignored, health being known), and the aliases
// jobs declare in dns/aliases.json. Other names are forwarded to the
// host's own resolvers, and nowhere else.
package boshdns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/manifest"
)

// Instance is one instance as DNS knows it.
type Instance struct {
	ID, Group, Deployment string
	Index                 int
	AZIndex               int  // 1-based, as link queries number AZs; 0 without AZ
	Healthy               bool // for the s (health) criterion
	// IPs by network name.
	IPs map[string]netip.Addr
}

// Alias is one name of a job's dns/aliases.json and the names it stands for.
type Alias struct {
	Name    string
	Targets []string
}

// Records are what the server answers from.
type Records struct {
	Instances []Instance
	Aliases   []Alias
}

// Source gives the current records.
type Source func(ctx context.Context) (Records, error)

// Options configure a Server.
type Options struct {
	// Addr is host:port to listen on (UDP and TCP), the gateway's port 53.
	Addr   string
	Source Source
	// Upstreams are the resolvers other names are forwarded to; nil reads
	// the host's /etc/resolv.conf.
	Upstreams []string
	Logger    *slog.Logger
	// CacheFor is how long records are kept before Source is asked again.
	CacheFor time.Duration
}

// Server is a running BOSH DNS server.
type Server struct {
	opts    Options
	servers []*dns.Server

	mu      sync.Mutex
	records Records
	fetched time.Time
}

const ttl = 0 // BOSH DNS answers change with every deploy

// Start listens on opts.Addr and serves until ctx is done.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.CacheFor == 0 {
		opts.CacheFor = time.Second
	}
	if opts.Upstreams == nil {
		conf, err := dns.ClientConfigFromFile("/etc/resolv.conf")
		if err == nil {
			for _, s := range conf.Servers {
				opts.Upstreams = append(opts.Upstreams, net.JoinHostPort(s, conf.Port))
			}
		}
	}
	s := &Server{opts: opts}
	udp, err := net.ListenPacket("udp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("BOSH DNS: listening on udp %s: %w", opts.Addr, err)
	}
	tcp, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		udp.Close()
		return nil, fmt.Errorf("BOSH DNS: listening on tcp %s: %w", opts.Addr, err)
	}
	handler := dns.HandlerFunc(s.answer)
	s.servers = []*dns.Server{{PacketConn: udp, Handler: handler}, {Listener: tcp, Handler: handler}}
	for _, srv := range s.servers {
		go func() {
			if err := srv.ActivateAndServe(); err != nil {
				opts.Logger.Error("BOSH DNS stopped", "error", err.Error())
			}
		}()
	}
	go func() {
		<-ctx.Done()
		s.Close()
	}()
	opts.Logger.Info("BOSH DNS listening", "address", opts.Addr, "upstreams", opts.Upstreams)
	return s, nil
}

// Close stops serving.
func (s *Server) Close() {
	for _, srv := range s.servers {
		_ = srv.Shutdown()
	}
}

func (s *Server) current(ctx context.Context) Records {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.fetched) < s.opts.CacheFor {
		return s.records
	}
	r, err := s.opts.Source(ctx)
	if err != nil {
		s.opts.Logger.Error("BOSH DNS: reading the records", "error", err.Error())
		return s.records
	}
	s.records, s.fetched = r, time.Now()
	return r
}

func (s *Server) answer(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		reply := new(dns.Msg)
		reply.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(reply)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(dns.Fqdn(q.Name))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ips := Resolve(s.current(ctx), strings.TrimSuffix(name, "."))
	if len(ips) == 0 && !strings.HasSuffix(name, ".bosh.") {
		s.forward(w, req) // neither a BOSH name nor an alias
		return
	}
	reply := new(dns.Msg)
	reply.SetReply(req)
	reply.Authoritative = true
	if len(ips) == 0 {
		reply.SetRcode(req, dns.RcodeNameError)
		_ = w.WriteMsg(reply)
		return
	}
	for _, ip := range ips {
		switch {
		case q.Qtype == dns.TypeA && ip.Is4():
			reply.Answer = append(reply.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl}, A: ip.AsSlice()})
		case q.Qtype == dns.TypeAAAA && ip.Is6():
			reply.Answer = append(reply.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: ttl}, AAAA: ip.AsSlice()})
		}
	}
	_ = w.WriteMsg(reply)
}

// forward asks the host's resolvers, in turn, and relays the first answer.
func (s *Server) forward(w dns.ResponseWriter, req *dns.Msg) {
	c := &dns.Client{Net: "udp", Timeout: 3 * time.Second}
	if _, ok := w.RemoteAddr().(*net.TCPAddr); ok {
		c.Net = "tcp"
	}
	for _, up := range s.opts.Upstreams {
		reply, _, err := c.Exchange(req, up)
		if err == nil && reply != nil {
			_ = w.WriteMsg(reply)
			return
		}
	}
	reply := new(dns.Msg)
	reply.SetRcode(req, dns.RcodeServerFailure)
	_ = w.WriteMsg(reply)
}

// query is q-<criteria>: a<N> (AZ index, any of them), s<N> (0 healthy, 3 all).
var query = regexp.MustCompile(`^q-((?:[a-z][0-9]+)+)$`)

// Resolve answers a .bosh name (without the trailing dot) from records:
// an instance by id or index, a group query, or an alias (whose targets are
// resolved in turn, one level).
func Resolve(r Records, name string) []netip.Addr {
	if ips := resolveName(r, name); len(ips) > 0 {
		return ips
	}
	var out []netip.Addr
	for _, a := range r.Aliases {
		if strings.EqualFold(a.Name, name) {
			for _, t := range a.Targets {
				out = appendNew(out, resolveName(r, strings.ToLower(strings.TrimSuffix(t, ".")))...)
			}
		}
	}
	return out
}

func resolveName(r Records, name string) []netip.Addr {
	labels := strings.Split(name, ".")
	if len(labels) != 5 || labels[4] != "bosh" {
		return nil
	}
	host, group, network, deployment := labels[0], labels[1], labels[2], labels[3]
	var out []netip.Addr
	if m := query.FindStringSubmatch(host); m != nil {
		azs, status, err := criteria(m[1])
		if err != nil {
			return nil
		}
		var matched []Instance
		healthy := 0
		for _, inst := range r.Instances {
			if inst.matches(group, deployment) && (len(azs) == 0 || slices.Contains(azs, inst.AZIndex)) {
				matched = append(matched, inst)
				if inst.Healthy {
					healthy++
				}
			}
		}
		for _, inst := range matched {
			switch {
			case status == statusSmart && healthy > 0 && !inst.Healthy,
				status == statusHealthy && !inst.Healthy,
				status == statusUnhealthy && inst.Healthy:
				continue
			}
			if ip, ok := inst.ip(network); ok {
				out = appendNew(out, ip)
			}
		}
		return out
	}
	for _, inst := range r.Instances {
		if inst.matches(group, deployment) && (host == inst.ID || host == strconv.Itoa(inst.Index)) {
			if ip, ok := inst.ip(network); ok {
				out = appendNew(out, ip)
			}
		}
	}
	return out
}

// BOSH DNS's health filters (the s criterion).
const (
	statusSmart     = 0
	statusUnhealthy = 1
	statusHealthy   = 3
	statusAll       = 4
)

func criteria(text string) (azs []int, status int, err error) {
	for _, tok := range regexp.MustCompile(`[a-z][0-9]+`).FindAllString(text, -1) {
		n, _ := strconv.Atoi(tok[1:])
		switch tok[0] {
		case 'a':
			azs = append(azs, n)
		case 's':
			// BOSH DNS's health filter reads any other value as smart.
			if slices.Contains([]int{statusUnhealthy, statusHealthy, statusAll}, n) {
				status = n
			}
		case 'y':
		default:
			return nil, 0, errors.New("unknown criterion " + tok)
		}
	}
	return azs, status, nil
}

func (i Instance) matches(group, deployment string) bool {
	return manifest.Canonical(i.Group) == group && manifest.Canonical(i.Deployment) == deployment
}

func (i Instance) ip(network string) (netip.Addr, bool) {
	for name, ip := range i.IPs {
		if manifest.Canonical(name) == network {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

func appendNew(out []netip.Addr, ips ...netip.Addr) []netip.Addr {
	for _, ip := range ips {
		if !slices.Contains(out, ip) {
			out = append(out, ip)
		}
	}
	return out
}
