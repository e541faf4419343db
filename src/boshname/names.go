// Package boshname holds the BOSH director's rules for the names operators and
// release authors choose (deployments, releases and their versions, jobs,
// packages, instance groups, errands, stemcells, networks, AZs, variables),
// so that every place that takes a name from outside refuses the same ones
// with the same message. localbosh keeps its state in files named after
// them, so a name is also never "." or "..".
package boshname

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Rule is one of the director's rules for a name.
type Rule struct {
	describe string
	valid    func(string) bool
}

// maxLength is what the director's database columns hold, and what a file
// name may be.
const maxLength = 255

var identifier = regexp.MustCompile(`^[-0-9A-Za-z_+.]+$`)

// Identifier is the director's VALID_ID (bosh-director models.rb): letters,
// digits, '-', '_', '+' and '.'. It is the rule for deployment, release,
// release version, job, package and stemcell names, and localbosh applies it
// to the other names that reach a path or a URL too: instance groups,
// errands, instances, networks and AZs.
var Identifier = Rule{
	describe: "use only letters, digits, '-', '_', '+' and '.', at most 255 of them, and not '.' or '..' alone (the BOSH director's rule for names)",
	valid: func(s string) bool {
		return len(s) <= maxLength && identifier.MatchString(s) && s != "." && s != ".."
	},
}

var variable = regexp.MustCompile(`^[A-Za-z0-9_/-]+$`)

// Variable is the director's rule for the names in a manifest's variables
// section (bosh-director config_server_helper.rb): letters, digits, '_', '-'
// and '/', not ending in '/' and without "//".
var Variable = Rule{
	describe: "use only letters, digits, '_', '-' and '/', without '//' and not ending in '/' (the BOSH director's rule for variable names)",
	valid: func(s string) bool {
		return len(s) <= maxLength && variable.MatchString(s) && !strings.HasSuffix(s, "/") && !strings.Contains(s, "//")
	},
}

// TaskID is the rule for task ids: a positive whole number.
var TaskID = Rule{
	describe: "a task id is a positive whole number",
	valid: func(s string) bool {
		n, err := strconv.Atoi(s)
		return err == nil && n > 0 && strconv.Itoa(n) == s
	},
}

// Check returns nil when value follows the rule, else an *Error naming the
// field ("deployment name", "release version") and the rule.
func (r Rule) Check(field, value string) error {
	if r.valid(value) {
		return nil
	}
	return &Error{Field: field, Value: value, rule: r.describe}
}

// Valid reports whether value follows the rule.
func (r Rule) Valid(value string) bool { return r.valid(value) }

// Error is a name that breaks its rule.
type Error struct {
	Field string // what the name names: "deployment name"
	Value string
	rule  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s %s is not valid: %s", e.Field, strconv.Quote(e.Value), e.rule)
}
