package localcluster

import (
	"errors"
	"fmt"
	"os"
	"sort"
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
