// Package vars resolves ((name)) variables in YAML documents the way the bosh
// CLI does for `bosh deploy` and `bosh interpolate`: values come from -v,
// --var-file, -l and a --vars-store file, and variables declared in the
// document's `variables:` section are generated into the store when missing.
package vars

import (
	"sort"
	"strings"
)

// Static holds read-only variable values (from -v, --var-file and -l). A
// name with dots, such as "etcd_ca.certificate", sets that key inside the
// map named by its first part, as the bosh CLI does.
type Static map[string]any

// Merge returns s with the values of higher overriding s's values of the
// same name; neither input is changed.
func (s Static) Merge(higher Static) Static {
	out := make(Static, len(s)+len(higher))
	for k, v := range s {
		out[k] = v
	}
	for k, v := range higher {
		out[k] = v
	}
	return out
}

// expanded turns dotted names into nested maps. Plain names go first so a
// dotted name adds to (rather than is replaced by) a map of the same name.
func (s Static) expanded() map[string]any {
	out := make(map[string]any, len(s))
	var dotted []string
	for name, v := range s {
		if strings.Contains(name, ".") {
			dotted = append(dotted, name)
			continue
		}
		out[name] = v
	}
	sort.Strings(dotted)
	for _, name := range dotted {
		pieces := strings.Split(name, ".")
		m := out
		for _, p := range pieces[:len(pieces)-1] {
			child, ok := m[p].(map[string]any)
			if !ok {
				child = map[string]any{}
			} else {
				child = copyMap(child)
			}
			m[p] = child
			m = child
		}
		m[pieces[len(pieces)-1]] = s[name]
	}
	return out
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
