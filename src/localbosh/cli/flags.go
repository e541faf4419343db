package cli

import (
	"fmt"
	"strconv"
	"strings"
)

// flagKind says how a flag takes its value, as the bosh CLI's flag library
// (go-flags) does.
type flagKind int

const (
	// flagBool takes no value.
	flagBool flagKind = iota
	// flagValue needs a value: "--name v", "--name=v", "-n v" or "-nv".
	flagValue
	// flagOptional takes a value only after '=' ("--recent=5"); alone it
	// takes its default ("--recent" = 30).
	flagOptional
)

// flagDef is one flag.
type flagDef struct {
	long      string
	short     string // one character, or ""
	kind      flagKind
	valueName string // for usage, e.g. "PATH"
	optional  string // the value of a bare flagOptional flag
	env       string // environment variable giving the default, or ""
	usage     string
	set       func(string) error
}

// name is how errors and usage name the flag: "-o, --ops-file" or "--fix".
func (d *flagDef) name() string {
	if d.short != "" {
		return "-" + d.short + ", --" + d.long
	}
	return "--" + d.long
}

// flagSet is the flags of the CLI or of one command.
type flagSet struct {
	defs []*flagDef
}

func (fs *flagSet) add(d *flagDef) *flagDef {
	fs.defs = append(fs.defs, d)
	return d
}

// boolFlag registers a switch.
func (fs *flagSet) boolFlag(p *bool, long, short, usage string) *flagDef {
	return fs.add(&flagDef{long: long, short: short, kind: flagBool, usage: usage, set: func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("expected true or false, got %q", v)
		}
		*p = b
		return nil
	}})
}

// stringFlag registers a flag with one value; the last one given wins.
func (fs *flagSet) stringFlag(p *string, long, short, valueName, usage string) *flagDef {
	return fs.add(&flagDef{long: long, short: short, kind: flagValue, valueName: valueName, usage: usage, set: func(v string) error {
		*p = v
		return nil
	}})
}

// listFlag registers a flag that may be repeated, each value appended.
func (fs *flagSet) listFlag(p *[]string, long, short, valueName, usage string) *flagDef {
	return fs.add(&flagDef{long: long, short: short, kind: flagValue, valueName: valueName, usage: usage, set: func(v string) error {
		*p = append(*p, v)
		return nil
	}})
}

// optionalListFlag registers a repeatable flag whose value is optional
// ("--skip-drain" means "--skip-drain=*").
func (fs *flagSet) optionalListFlag(p *[]string, long, valueName, bare, usage string) *flagDef {
	d := fs.listFlag(p, long, "", valueName, usage)
	d.kind, d.optional = flagOptional, bare
	return d
}

// optionalIntFlag registers a flag whose number is optional ("--recent"
// means "--recent=30"); p stays nil when the flag is not given.
func (fs *flagSet) optionalIntFlag(p **int, long, short, valueName string, bare int, usage string) *flagDef {
	return fs.add(&flagDef{long: long, short: short, kind: flagOptional, valueName: valueName, optional: strconv.Itoa(bare), usage: usage, set: func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("expected a number, got %q", v)
		}
		*p = &n
		return nil
	}})
}

// flagParser parses command lines against several flag sets (global and
// command flags), which may be mixed with positional arguments in any order,
// as with the bosh CLI.
type flagParser struct {
	long  map[string]*flagDef
	short map[string]*flagDef
	seen  map[*flagDef]bool
}

func newFlagParser(sets ...*flagSet) *flagParser {
	p := &flagParser{long: map[string]*flagDef{}, short: map[string]*flagDef{}, seen: map[*flagDef]bool{}}
	for _, fs := range sets {
		p.include(fs)
	}
	return p
}

// include adds a flag set's flags, such as the command's once the command
// is known; a flag of the same name replaces an earlier one.
func (p *flagParser) include(fs *flagSet) {
	for _, d := range fs.defs {
		p.long[d.long] = d
		if d.short != "" {
			p.short[d.short] = d
		}
	}
}

// parse sets the flags found in args and returns the positional arguments.
// With stopAtPositional it stops at the first positional argument and
// returns it with everything after it (finding the command name).
func (p *flagParser) parse(args []string, stopAtPositional bool) ([]string, error) {
	var positionals []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case arg == "--":
			return append(positionals, args[i+1:]...), nil
		case arg == "-" || !strings.HasPrefix(arg, "-"):
			if stopAtPositional {
				return args[i:], nil
			}
			positionals = append(positionals, arg)
		case strings.HasPrefix(arg, "--"):
			consumed, err := p.parseLong(arg[2:], args[i+1:])
			if err != nil {
				return nil, err
			}
			i += consumed
		default:
			consumed, err := p.parseShorts(arg[1:], args[i+1:])
			if err != nil {
				return nil, err
			}
			i += consumed
		}
	}
	return positionals, nil
}

// parseLong handles "--name", "--name=value" and "--name value"; it returns
// how many of the following arguments it consumed.
func (p *flagParser) parseLong(body string, next []string) (int, error) {
	name, value, hasValue := strings.Cut(body, "=")
	d, ok := p.long[name]
	if !ok {
		return 0, usageErrorf("unknown flag `%s'", name)
	}
	switch {
	case hasValue && d.kind == flagBool:
		return 0, usageErrorf("bool flag `%s' cannot have an argument", d.name())
	case hasValue:
		return 0, p.set(d, value)
	case d.kind == flagBool:
		return 0, p.set(d, "true")
	case d.kind == flagOptional:
		return 0, p.set(d, d.optional)
	case len(next) == 0:
		return 0, usageErrorf("expected argument for flag `%s'", d.name())
	default:
		return 1, p.set(d, next[0])
	}
}

// parseShorts handles a cluster of short flags such as "-n", "-nd dep",
// "-ofile.yml" or "-o file.yml".
func (p *flagParser) parseShorts(cluster string, next []string) (int, error) {
	for j := 0; j < len(cluster); j++ {
		name := cluster[j : j+1]
		d, ok := p.short[name]
		if !ok {
			return 0, usageErrorf("unknown flag `%s'", name)
		}
		rest := cluster[j+1:]
		switch {
		case d.kind == flagBool:
			if err := p.set(d, "true"); err != nil {
				return 0, err
			}
		case d.kind == flagOptional && rest == "":
			return 0, p.set(d, d.optional)
		case rest != "":
			return 0, p.set(d, strings.TrimPrefix(rest, "="))
		case len(next) == 0:
			return 0, usageErrorf("expected argument for flag `%s'", d.name())
		default:
			return 1, p.set(d, next[0])
		}
	}
	return 0, nil
}

func (p *flagParser) set(d *flagDef, value string) error {
	p.seen[d] = true
	if err := d.set(value); err != nil {
		return usageErrorf("invalid argument for flag `%s': %v", d.name(), err)
	}
	return nil
}

// applyEnv gives every flag not on the command line the value of its
// environment variable, when that is set.
func (p *flagParser) applyEnv(getenv func(string) string) error {
	for _, d := range p.long {
		if d.env == "" || p.seen[d] {
			continue
		}
		value := getenv(d.env)
		if value == "" {
			continue
		}
		if err := d.set(value); err != nil {
			return usageErrorf("invalid value of $%s for flag `%s': %v", d.env, d.name(), err)
		}
	}
	return nil
}
