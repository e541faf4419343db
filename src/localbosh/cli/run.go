package cli

import (
	"context"
	"strings"
)

// invocation is a parsed command line.
type invocation struct {
	opts   GlobalOptions
	name   string // the command's canonical name; "" for none
	spec   commandSpec
	cmd    command
	cmdSet *flagSet
	args   []string
	help   bool // print usage instead of running (-h, help [COMMAND])
}

// Run runs the command line args (without the program name) and returns
// the exit status: 0 on success, 1 on any failure, as the bosh CLI does.
// Success ends with "Succeeded", failure with the error on stderr and
// "Exit code 1".
func Run(args []string, deps Deps) int {
	deps = deps.withDefaults()
	inv, parseErr := parse(args, deps.Getenv)
	if parseErr == nil && inv.help {
		writeUsage(deps.Stdout, inv)
		return 0
	}
	ui := newUI(inv.opts, deps)
	if parseErr != nil {
		return fail(ui, parseErr)
	}
	session := newSession(inv.opts, ui, deps)
	if err := inv.cmd.Run(context.Background(), session, inv.args); err != nil {
		return fail(ui, err)
	}
	ui.PrintLinef("Succeeded")
	ui.Flush()
	return 0
}

func fail(ui UI, err error) int {
	ui.ErrorLinef("%s", multilineError(err))
	ui.PrintLinef("Exit code 1")
	ui.Flush()
	return 1
}

func newUI(opts GlobalOptions, deps Deps) UI {
	if opts.JSON {
		return newJSONUI(deps.Stdout)
	}
	return newTextUI(deps.Stdout, deps.Stderr, deps.Stdin, deps.StdoutIsTTY || opts.TTY, !opts.NonInteractive)
}

// parse reads global flags up to the command name, then the command's and
// global flags, in any order, and the command's arguments. "help
// [COMMAND]" and -h ask for usage.
func parse(args []string, getenv func(string) string) (invocation, error) {
	var inv invocation
	parser := newFlagParser(inv.opts.flags())
	rest, err := parser.parse(args, true)
	if err != nil {
		return inv, err
	}
	// Only global flags read the environment, and the command line parsed
	// after this still wins.
	if err := parser.applyEnv(getenv); err != nil {
		return inv, err
	}
	if len(rest) > 0 && rest[0] == "help" {
		if rest, err = parser.parse(rest[1:], false); err != nil {
			return inv, err
		}
		inv.opts.Help = true
	}
	if len(rest) == 0 {
		inv.help = inv.opts.Help
		if inv.help {
			return inv, nil
		}
		return inv, usageErrorf("Please specify one command of: %s", strings.Join(commandNames(), ", "))
	}
	name, spec, ok := lookupCommand(rest[0])
	if !ok {
		return inv, usageErrorf("Unknown command `%s'. Please specify one command of: %s", rest[0], strings.Join(commandNames(), ", "))
	}
	inv.name, inv.spec, inv.cmd, inv.cmdSet = name, spec, spec.new(), &flagSet{}
	inv.cmd.Flags(inv.cmdSet)
	parser.include(inv.cmdSet)
	if inv.args, err = parser.parse(rest[1:], false); err != nil {
		return inv, err
	}
	if inv.help = inv.opts.Help; inv.help {
		return inv, nil
	}
	return inv, spec.checkArgs(name, inv.args)
}
