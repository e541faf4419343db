package cli

import (
	"context"
	"strings"
)

// command is one CLI command. A fresh value is made for every run; Flags
// binds the command's flags to its fields, then Run runs it with its
// positional arguments (already checked against its spec's args).
type command interface {
	Flags(fs *flagSet)
	Run(ctx context.Context, s *Session, args []string) error
}

// commandSpec describes a command for the command table and usage.
type commandSpec struct {
	summary string
	aliases []string
	args    []argSpec
	new     func() command
}

// argSpec is one positional argument.
type argSpec struct {
	name     string // as usage prints it: "PATH"
	optional bool
}

// checkArgs reports missing and extra positional arguments in the bosh
// CLI's words.
func (c commandSpec) checkArgs(name string, args []string) error {
	for i, a := range c.args {
		if i >= len(args) && !a.optional {
			return usageErrorf("the required argument `%s` was not provided (see 'localbosh %s --help')", a.name, name)
		}
	}
	if len(args) > len(c.args) {
		return usageErrorf("Command '%s' does not support extra arguments: %s", name, strings.Join(args[len(c.args):], ", "))
	}
	return nil
}

func (c commandSpec) argsUsage() string {
	var parts []string
	for _, a := range c.args {
		if a.optional {
			parts = append(parts, "["+a.name+"]")
		} else {
			parts = append(parts, a.name)
		}
	}
	return strings.Join(parts, " ")
}

// arg returns positional argument i, or "" when it was not given.
func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}
