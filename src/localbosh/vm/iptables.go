package vm

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// isolationRules are the FORWARD rules that keep VM traffic on the bridge:
// traffic between two ports of the bridge is accepted (a host whose FORWARD
// policy is DROP, as Docker sets it, would otherwise cut VMs off from each
// other when bridged traffic passes through iptables), and anything routed
// between the bridge and another interface is dropped, whatever the host's
// ip_forward setting. Each carries a comment naming the prefix and bridge so
// that Clean removes exactly these.
func isolationRules(prefix, bridge string) [][]string {
	tag := []string{"-m", "comment", "--comment", isolationComment(prefix, bridge)}
	rule := func(match []string, target string) []string {
		return slices.Concat(match, tag, []string{"-j", target})
	}
	return [][]string{
		rule([]string{"-i", bridge, "-o", bridge}, "ACCEPT"),
		rule([]string{"-i", bridge, "!", "-o", bridge}, "DROP"),
		rule([]string{"!", "-i", bridge, "-o", bridge}, "DROP"),
	}
}

// ensureIsolation inserts the isolation rules at the top of FORWARD unless
// they are there already.
func ensureIsolation(ctx context.Context, r Runner, prefix, bridge string) error {
	for _, rule := range isolationRules(prefix, bridge) {
		present, err := ruleExists(ctx, r, "FORWARD", rule)
		if err != nil {
			return err
		}
		if present {
			continue
		}
		if _, err := run(ctx, r, slices.Concat([]string{"iptables", "-w", "-I", "FORWARD", "1"}, rule)...); err != nil {
			return fmt.Errorf("isolating bridge %s: %w", bridge, err)
		}
	}
	return nil
}

// dnsPort is where VMs may ask the director's DNS, on the gateway.
const dnsPort = "53"

// inputRules are the INPUT rules that keep VMs off the host: from the
// bridge, the host takes answers to connections it opened, and the
// director's API and DNS on the gateway, and the gateway services (TCP
// ports the operator opened, Options.GatewayServices); it drops everything else, whatever
// address it is sent to (another bridge's gateway, the host's other
// addresses) and whatever listens there on all addresses. They go in this
// order: the DROP last. Each carries a comment naming the prefix and the
// bridge, so that Clean removes exactly these.
func inputRules(prefix, bridge string, gateway netip.Addr, directorPort int, services []int) [][]string {
	tag := []string{"-m", "comment", "--comment", inputComment(prefix, bridge)}
	from := []string{"-i", bridge}
	to := func(proto, port string) []string {
		return []string{"-i", bridge, "-d", gateway.String() + "/32", "-p", proto, "-m", proto, "--dport", port}
	}
	rule := func(match []string, target string) []string { return slices.Concat(match, tag, []string{"-j", target}) }
	rules := [][]string{
		rule(slices.Concat(from, []string{"-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"}), "ACCEPT"),
		rule(to("tcp", strconv.Itoa(directorPort)), "ACCEPT"),
		rule(to("udp", dnsPort), "ACCEPT"),
		rule(to("tcp", dnsPort), "ACCEPT"),
	}
	for _, port := range services {
		rules = append(rules, rule(to("tcp", strconv.Itoa(port)), "ACCEPT"))
	}
	return append(rules, rule(from, "DROP"))
}

// ensureInputRules puts the bridge's inputRules at the top of INPUT. When
// one is missing, or the bridge has others (an earlier director port or
// gateway service), it
// removes the bridge's INPUT rules and inserts them all anew, in order.
func ensureInputRules(ctx context.Context, r Runner, prefix, bridge string, gateway netip.Addr, directorPort int, services []int) error {
	want := inputRules(prefix, bridge, gateway, directorPort, services)
	listed, err := taggedInputRules(ctx, r, func(c string) bool { return c == inputComment(prefix, bridge) })
	if err != nil {
		return err
	}
	complete := len(listed) == len(want)
	for _, rule := range want {
		if !complete {
			break
		}
		if complete, err = ruleExists(ctx, r, "INPUT", rule); err != nil {
			return err
		}
	}
	if complete {
		return nil
	}
	if _, err := removeInputRules(ctx, r, inputComment(prefix, bridge)); err != nil {
		return err
	}
	for i := len(want) - 1; i >= 0; i-- {
		if _, err := run(ctx, r, slices.Concat([]string{"iptables", "-w", "-I", "INPUT", "1"}, want[i])...); err != nil {
			return fmt.Errorf("keeping the VMs of bridge %s off the host: %w", bridge, err)
		}
	}
	return nil
}

// taggedInputRules lists the INPUT rules (as `iptables -S` prints them)
// whose comment the test accepts.
func taggedInputRules(ctx context.Context, r Runner, accept func(comment string) bool) ([][]string, error) {
	out, err := run(ctx, r, "iptables", "-w", "-S", "INPUT")
	if err != nil {
		return nil, fmt.Errorf("listing iptables INPUT rules: %w", err)
	}
	var rules [][]string
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[0] != "-A" || fields[1] != "INPUT" {
			continue
		}
		for i := range fields {
			fields[i] = strings.Trim(fields[i], `"`)
		}
		if i := slices.Index(fields, "--comment"); i >= 0 && i+1 < len(fields) && accept(fields[i+1]) {
			rules = append(rules, fields[2:])
		}
	}
	return rules, nil
}

// removeInputRules deletes the INPUT rules whose comment is tag, or starts
// with it when it ends in ':' (every bridge of a prefix), and returns their
// comments.
func removeInputRules(ctx context.Context, r Runner, tag string) ([]string, error) {
	accept := func(c string) bool { return c == tag || (strings.HasSuffix(tag, ":") && strings.HasPrefix(c, tag)) }
	rules, err := taggedInputRules(ctx, r, accept)
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, rule := range rules {
		if _, err := run(ctx, r, slices.Concat([]string{"iptables", "-w", "-D", "INPUT"}, rule)...); err != nil {
			return removed, fmt.Errorf("removing an INPUT rule tagged %s: %w", tag, err)
		}
		removed = append(removed, rule[slices.Index(rule, "--comment")+1])
	}
	return removed, nil
}

// ruleExists asks iptables -C, which exits 1 for a missing rule.
func ruleExists(ctx context.Context, r Runner, chain string, rule []string) (bool, error) {
	argv := slices.Concat([]string{"iptables", "-w", "-C", chain}, rule)
	out, code, err := runStatus(ctx, r, argv...)
	switch {
	case err != nil:
		return false, fmt.Errorf("checking iptables: %w", err)
	case code == 0:
		return true, nil
	case code == 1:
		return false, nil
	default:
		return false, fmt.Errorf("checking iptables (is the iptables package installed? scripts/setup installs it): %w",
			&CommandError{Argv: argv, ExitCode: code, Output: out.stderr})
	}
}

// removeIsolation deletes every copy of the isolation rules for bridge and
// reports how many it removed.
func removeIsolation(ctx context.Context, r Runner, prefix, bridge string) (int, error) {
	removed := 0
	for _, rule := range isolationRules(prefix, bridge) {
		for {
			present, err := ruleExists(ctx, r, "FORWARD", rule)
			if err != nil {
				return removed, err
			}
			if !present {
				break
			}
			if _, err := run(ctx, r, slices.Concat([]string{"iptables", "-w", "-D", "FORWARD"}, rule)...); err != nil {
				return removed, fmt.Errorf("removing isolation rule of bridge %s: %w", bridge, err)
			}
			removed++
		}
	}
	return removed, nil
}

// taggedBridges finds, in `iptables -S FORWARD` output, the bridges whose
// isolation rules carry prefix's tag, including bridges of earlier runs
// with another bridge name.
func taggedBridges(iptablesS, prefix string) []string {
	re := regexp.MustCompile(`--comment "?` + regexp.QuoteMeta(prefix) + `:isolate:([A-Za-z0-9_.-]+)"?`)
	var bridges []string
	for _, m := range re.FindAllStringSubmatch(iptablesS, -1) {
		if !slices.Contains(bridges, m[1]) {
			bridges = append(bridges, m[1])
		}
	}
	return bridges
}
