package cli

import (
	"fmt"
	"io"
	"strings"
)

// writeUsage prints help: the commands, or one command's arguments and
// flags, with the global flags.
func writeUsage(w io.Writer, inv invocation) {
	var b strings.Builder
	if inv.cmdSet == nil {
		b.WriteString("Usage:\n  localbosh [OPTIONS] <command>\n\nAvailable commands:\n")
		table := commandTable()
		for _, name := range commandNames() {
			summary := table[name].summary
			if aliases := table[name].aliases; len(aliases) > 0 {
				summary += " (aliases: " + strings.Join(aliases, ", ") + ")"
			}
			fmt.Fprintf(&b, "  %-22s %s\n", name, summary)
		}
	} else {
		fmt.Fprintf(&b, "Usage:\n  localbosh [OPTIONS] %s [%s-OPTIONS] %s\n\n%s\n", inv.name, inv.name, inv.spec.argsUsage(), inv.spec.summary)
	}
	var global GlobalOptions
	b.WriteString("\nApplication Options:\n")
	writeFlagUsage(&b, global.flags())
	if inv.cmdSet != nil && len(inv.cmdSet.defs) > 0 {
		fmt.Fprintf(&b, "\n[%s command options]\n", inv.name)
		writeFlagUsage(&b, inv.cmdSet)
	}
	io.WriteString(w, b.String())
}

func writeFlagUsage(b *strings.Builder, fs *flagSet) {
	for _, d := range fs.defs {
		flag := "    --" + d.long
		if d.short != "" {
			flag = "-" + d.short + ", --" + d.long
		}
		switch d.kind {
		case flagValue:
			flag += "=" + d.valueName
		case flagOptional:
			flag += "[=" + d.valueName + "]"
		}
		usage := d.usage
		if d.env != "" {
			usage += " [$" + d.env + "]"
		}
		fmt.Fprintf(b, "  %-34s %s\n", flag, usage)
	}
}
