package vm

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// remonitorLiveServices prepares a stop: monit 5.33 skips the stop program
// of a service it does not monitor (the BOSH agent's monit ran it), so a
// process left running after Unmonitor would survive Stop. It monitors
// such services again, but only those whose process is alive: monitoring a
// dead process makes monit start it, which would undo a drain script's
// work. Services without a pid file in their monit file are left alone.
func (v *VM) remonitorLiveServices(ctx context.Context, service string) error {
	services, err := v.statusOf(ctx, service)
	if err != nil {
		return err
	}
	var pidfiles map[string]string
	for _, s := range services {
		if s.Type != "Process" || s.Monitoring != "Not monitored" || s.pending() {
			continue
		}
		if pidfiles == nil {
			if pidfiles, err = v.jobPidfiles(); err != nil {
				return err
			}
		}
		pidfile, ok := pidfiles[s.Name]
		if !ok || !v.pidfileProcessAlive(ctx, pidfile) {
			continue
		}
		if _, err := v.monit(ctx, "monitor", s.Name); err != nil {
			return err
		}
		// A stop sent before monit has taken the monitor request would
		// replace it and again be skipped.
		if err := v.waitServices(ctx, s.Name, func(st ServiceStatus) bool { return st.Monitoring != "Not monitored" }); err != nil {
			return err
		}
	}
	return nil
}

// jobPidfiles maps the process services of the VM's job monit files to
// their pid files (paths inside the VM).
func (v *VM) jobPidfiles() (map[string]string, error) {
	root, err := v.OpenRoot()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	files, err := fs.Glob(root.FS(), monitJobsPath+"/*.monitrc")
	if err != nil {
		return nil, err
	}
	pidfiles := map[string]string{}
	for _, f := range files {
		data, err := root.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading job monit file of VM %s: %w", v.rec.CID, err)
		}
		for name, pidfile := range parseMonitPidfiles(string(data)) {
			pidfiles[name] = pidfile
		}
	}
	return pidfiles, nil
}

// parseMonitPidfiles finds "check process <name> ... pidfile <path>" in a
// monit control file. Keywords are case-insensitive, strings may be
// quoted, and # starts a comment.
func parseMonitPidfiles(content string) map[string]string {
	tokens := monitTokens(content)
	pidfiles := map[string]string{}
	current := ""
	for i := 0; i+1 < len(tokens); i++ {
		switch strings.ToLower(tokens[i]) {
		case "check":
			current = ""
			if strings.EqualFold(tokens[i+1], "process") && i+2 < len(tokens) {
				current = tokens[i+2]
				i += 2
			}
		case "pidfile":
			if current != "" {
				pidfiles[current] = tokens[i+1]
				i++
			}
		}
	}
	return pidfiles
}

// monitTokens splits monit control file text into words and quoted strings
// (without their quotes), dropping comments.
func monitTokens(content string) []string {
	var tokens []string
	for _, line := range strings.Split(content, "\n") {
		for rest := strings.TrimSpace(line); rest != ""; rest = strings.TrimSpace(rest) {
			if rest[0] == '#' {
				break
			}
			if q := rest[0]; q == '"' || q == '\'' {
				end := strings.IndexByte(rest[1:], q)
				if end < 0 {
					tokens = append(tokens, rest[1:])
					break
				}
				tokens = append(tokens, rest[1:end+1])
				rest = rest[end+2:]
				continue
			}
			end := strings.IndexAny(rest, " \t\"'#")
			if end < 0 {
				end = len(rest)
			}
			tokens = append(tokens, rest[:end])
			rest = rest[end:]
		}
	}
	return tokens
}

// pidfileProcessAlive reads a pid file inside the VM and reports whether
// its process lives and is not a zombie, in the VM's own /proc (the pid is
// one of the VM's PID namespace).
func (v *VM) pidfileProcessAlive(ctx context.Context, pidfile string) bool {
	var out bytes.Buffer
	code, err := v.Exec(ctx, Cmd{Argv: []string{"cat", pidfile}, Stdout: &out})
	if err != nil || code != 0 {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out.String()))
	if err != nil || pid <= 0 {
		return false
	}
	out.Reset()
	code, err = v.Exec(ctx, Cmd{Argv: []string{"cat", fmt.Sprintf("%s/%d/stat", procDir, pid)}, Stdout: &out})
	if err != nil || code != 0 {
		return false
	}
	// The state is the first field after the parenthesised command name.
	stat := out.Bytes()
	afterName := stat[bytes.LastIndexByte(stat, ')')+1:]
	fields := bytes.Fields(afterName)
	return len(fields) > 0 && string(fields[0]) != "Z"
}
