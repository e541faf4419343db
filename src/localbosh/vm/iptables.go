package vm

import (
	"context"
	"fmt"
	"regexp"
	"slices"
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
		present, err := ruleExists(ctx, r, rule)
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

// ruleExists asks iptables -C, which exits 1 for a missing rule.
func ruleExists(ctx context.Context, r Runner, rule []string) (bool, error) {
	argv := slices.Concat([]string{"iptables", "-w", "-C", "FORWARD"}, rule)
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
			present, err := ruleExists(ctx, r, rule)
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
