package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/localbosh/vm"
)

// sshCmd is `ssh [GROUP[/ID]] [-c CMD]`: a shell in an instance's VM, or a
// command run on every matching instance with its output prefixed by the
// instance, as `bosh ssh -c` prints it.
type sshCmd struct {
	command string
}

func (c *sshCmd) Flags(fs *flagSet) {
	fs.stringFlag(&c.command, "command", "c", "CMD", "Command to run instead of an interactive shell")
}

func (c *sshCmd) Run(ctx context.Context, s *Session, args []string) error {
	instances, vms, err := instanceVMs(ctx, s, arg(args, 0))
	if err != nil {
		return err
	}
	if c.command == "" {
		if len(vms) != 1 {
			return usageErrorf("an interactive shell needs exactly one instance, and %d match: name one as INSTANCE-GROUP/INSTANCE-ID", len(vms))
		}
		code, err := vms[0].Exec(ctx, vm.Cmd{Argv: []string{"bash", "-l"}, Env: []string{"TERM=" + s.Deps.Getenv("TERM")},
			Stdin: s.Deps.Stdin, Stdout: s.Deps.Stdout, Stderr: s.Deps.Stderr})
		if err == nil && code != 0 {
			err = fmt.Errorf("the shell exited %d", code)
		}
		return err
	}
	var failed []string
	for i, v := range vms {
		name := instances[i].JobName + "/" + instances[i].ID
		prefix := func(stream string) io.Writer {
			return &linePrefixer{w: s.Deps.Stdout, prefix: name + ": " + stream + " | "}
		}
		code, err := v.Exec(ctx, vm.Cmd{Argv: []string{"bash", "-c", c.command}, Stdout: prefix("stdout"), Stderr: prefix("stderr")})
		if err != nil {
			return err
		}
		if code != 0 {
			failed = append(failed, fmt.Sprintf("%s (exit code %d)", name, code))
		}
	}
	if len(failed) > 0 {
		return errors.New("the command failed on " + strings.Join(failed, ", "))
	}
	return nil
}

// linePrefixer writes each line with a prefix.
type linePrefixer struct {
	w       io.Writer
	prefix  string
	partial bool
}

func (p *linePrefixer) Write(b []byte) (int, error) {
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line == "" {
			continue
		}
		if !p.partial {
			if _, err := io.WriteString(p.w, p.prefix); err != nil {
				return 0, err
			}
		}
		if _, err := io.WriteString(p.w, line); err != nil {
			return 0, err
		}
		p.partial = !strings.HasSuffix(line, "\n")
	}
	return len(b), nil
}
