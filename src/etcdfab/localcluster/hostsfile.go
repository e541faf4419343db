package localcluster

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
)

// AppendHosts maps names to addresses in the private /etc/hosts of
// IsolateHosts, for processes that run nodes of their own. It refuses to
// write the machine's real file.
func AppendHosts(addrs map[string]string) error {
	if os.Getenv(isolatedEnv) != "1" {
		return errors.New("AppendHosts needs the private /etc/hosts of IsolateHosts")
	}
	names := make([]string, 0, len(addrs))
	for name := range addrs {
		names = append(names, name)
	}
	sort.Strings(names)
	f, err := os.OpenFile("/etc/hosts", os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, name := range names {
		if _, err := fmt.Fprintf(f, "%s %s\n", addrs[name], name); err != nil {
			return err
		}
	}
	return nil
}

// RemoveHosts drops the lines that map the given names from the private
// /etc/hosts of IsolateHosts, as consul stops resolving a name whose
// instance is gone or renamed. It refuses to write the machine's real file.
func RemoveHosts(names ...string) error {
	if os.Getenv(isolatedEnv) != "1" {
		return errors.New("RemoveHosts needs the private /etc/hosts of IsolateHosts")
	}
	data, err := os.ReadFile("/etc/hosts")
	if err != nil {
		return err
	}
	var kept []string
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 2 && slices.Contains(names, fields[1]) {
			continue
		}
		kept = append(kept, line)
	}
	// Written in place: /etc/hosts is a bind mount of a file, which a
	// rename would not replace.
	return os.WriteFile("/etc/hosts", []byte(strings.Join(kept, "\n")+"\n"), 0o644)
}
