package certcheck

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Member is an instance to ask, by address.
type Member struct {
	Name, Address string
}

// Kind is what one kind of port must show: the certificate every member
// serves there, and the CAs it accepts.
type Kind struct {
	Port     int
	Serve    *x509.Certificate
	Accept   []*x509.Certificate
	Identity *tls.Certificate
}

// Expectation is what every member should show, by port kind, and where
// it was read from.
type Expectation struct {
	Source string
	Kinds  map[string]Kind
}

// kinds lists the expectation's port kinds in report order.
func (e Expectation) kinds() []string {
	var out []string
	for _, k := range []string{Client, Peer, Consul} {
		if _, ok := e.Kinds[k]; ok {
			out = append(out, k)
		}
	}
	return out
}

// known is every CA the expectation names, to recognise signers by.
func (e Expectation) known(extra []*x509.Certificate) []*x509.Certificate {
	out := slices.Clone(extra)
	for _, k := range e.Kinds {
		out = append(out, k.Accept...)
	}
	return out
}

// MemberReport is what one member showed, and how it differs from the
// expectation.
type MemberReport struct {
	Name     string   `json:"name"`
	Address  string   `json:"address"`
	Ports    []Served `json:"ports"`
	Problems []string `json:"problems"`
}

// Report is the cluster's answer.
type Report struct {
	Expected string         `json:"expected"`
	Members  []MemberReport `json:"members"`
	// Ready: every member serves and accepts what was expected, so the
	// stage took effect everywhere and the next may start.
	Ready bool `json:"ready"`
}

// Check asks every member on every port kind of exp, in parallel.
func Check(ctx context.Context, members []Member, exp Expectation, extraCAs []*x509.Certificate, timeout time.Duration) Report {
	known := exp.known(extraCAs)
	report := Report{Expected: exp.Source, Members: make([]MemberReport, len(members)), Ready: len(members) > 0}
	var wg sync.WaitGroup
	for i, m := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mr := MemberReport{Name: m.Name, Address: m.Address, Problems: []string{}}
			for _, kind := range exp.kinds() {
				k := exp.Kinds[kind]
				s := Probe(ctx, Target{Kind: kind, Address: net.JoinHostPort(m.Address, strconv.Itoa(k.Port)), Identity: k.Identity}, known, timeout)
				mr.Ports = append(mr.Ports, s)
				mr.Problems = append(mr.Problems, compare(s, k)...)
			}
			report.Members[i] = mr
		}()
	}
	wg.Wait()
	for _, m := range report.Members {
		if len(m.Problems) > 0 {
			report.Ready = false
		}
	}
	return report
}

// compare says how what a port showed differs from what it should show.
func compare(s Served, k Kind) []string {
	if s.Error != "" {
		return []string{fmt.Sprintf("%s port %s: %s", s.Kind, s.Address, s.Error)}
	}
	var problems []string
	if k.Serve != nil {
		if sum := sha256.Sum256(k.Serve.Raw); hex.EncodeToString(sum[:]) != s.Fingerprint {
			problems = append(problems, fmt.Sprintf("%s port serves a certificate signed by %s, not the expected one (signed by %s)",
				s.Kind, s.SignedBy, signer(k.Serve, nil, k.Accept)))
		}
	}
	if k.Accept != nil {
		var want []string
		for _, ca := range k.Accept {
			want = append(want, Label(ca))
		}
		got := slices.Clone(s.Accepts)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(slices.Compact(want), slices.Compact(got)) {
			problems = append(problems, fmt.Sprintf("%s port accepts [%s], expected [%s]", s.Kind, strings.Join(s.Accepts, ", "), strings.Join(want, ", ")))
		}
	}
	return problems
}

// WriteJSON writes the report as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes a table, one line per member and port, and the verdict.
func (r Report) WriteText(w io.Writer) error {
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tPORT\tSERVES\tSIGNED BY\tEXPIRES\tACCEPTS")
	for _, m := range r.Members {
		for _, p := range m.Ports {
			if p.Error != "" {
				fmt.Fprintf(tw, "%s (%s)\t%s\terror: %s\t\t\t\n", m.Name, p.Address, p.Kind, p.Error)
				continue
			}
			fmt.Fprintf(tw, "%s (%s)\t%s\t%s (sha256 %.8s)\t%s\t%s\t%s\n", m.Name, p.Address, p.Kind, p.Subject, p.Fingerprint, p.SignedBy,
				p.NotAfter.UTC().Format("2006-01-02"), strings.Join(p.Accepts, ", "))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.Ready {
		fmt.Fprintf(&b, "\nready for the next stage: every member serves and accepts what %s holds\n", r.Expected)
	} else {
		fmt.Fprintf(&b, "\nNOT ready for the next stage: the members differ from %s:\n", r.Expected)
		for _, m := range r.Members {
			for _, p := range m.Problems {
				fmt.Fprintf(&b, "  %s: %s\n", m.Name, p)
			}
		}
		if len(r.Members) == 0 {
			b.WriteString("  no member to ask\n")
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
