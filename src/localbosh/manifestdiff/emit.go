package manifestdiff

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// emit writes v as YAML in the layout Ruby's YAML (Psych) gives the
// director's diff: two-space mappings, sequences in a mapping not indented.
func emit(b *strings.Builder, v any) {
	var lines []string
	switch v.(type) {
	case *Map, []any:
		lines = block(v)
	default:
		lines = scalarLines("", v)
	}
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
}

// block is a non-scalar value's lines.
func block(v any) []string {
	var out []string
	switch t := v.(type) {
	case *Map:
		for _, k := range t.Keys {
			out = append(out, entry(k+":", t.Values[k], true)...)
		}
	case []any:
		for _, e := range t {
			out = append(out, entry("-", e, false)...)
		}
	}
	return out
}

// entry is "<head> value": a scalar or empty collection on the line, a
// mapping below (indented under a key, beside a dash), a sequence below
// (not indented under a key).
func entry(head string, v any, underKey bool) []string {
	switch t := v.(type) {
	case *Map:
		if len(t.Keys) == 0 {
			return []string{head + " {}"}
		}
		sub := block(t)
		if !underKey {
			return prefixed(head+" ", "  ", sub)
		}
		return append([]string{head}, indented("  ", sub)...)
	case []any:
		if len(t) == 0 {
			return []string{head + " []"}
		}
		sub := block(t)
		if !underKey {
			return prefixed(head+" ", "  ", sub)
		}
		return append([]string{head}, sub...)
	default:
		return scalarLines(head, v)
	}
}

func prefixed(first, rest string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if i == 0 {
			out[i] = first + l
		} else {
			out[i] = rest + l
		}
	}
	return out
}

func indented(prefix string, lines []string) []string {
	return prefixed(prefix, prefix, lines)
}

// scalarLines is "<head> scalar", a multi-line string as a literal block.
func scalarLines(head string, v any) []string {
	sep := " "
	if head == "" {
		sep = ""
	}
	if s, ok := v.(string); ok && strings.Contains(s, "\n") {
		indicator := "|-"
		body := s
		if strings.HasSuffix(s, "\n") {
			indicator = "|"
			body = strings.TrimSuffix(s, "\n")
		}
		return append([]string{head + sep + indicator}, indented("  ", strings.Split(body, "\n"))...)
	}
	if v == nil {
		return []string{head}
	}
	out, err := yaml.Marshal(v)
	if err != nil {
		return []string{head + sep + strings.TrimSpace(strings.ReplaceAll(string(out), "\n", " "))}
	}
	return []string{head + sep + strings.TrimSuffix(string(out), "\n")}
}
