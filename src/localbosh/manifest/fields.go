package manifest

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/boshname"
)

// at is one hash in a document being validated: its value, how errors name
// it and its pointer. Accessors report problems into the document and return
// zero values, so validation goes on and reports everything at once.
type at struct {
	doc     *document
	label   string // "instance_groups[1] (etcd)"
	pointer string // "/instance_groups/1"
	hash    map[string]any
}

func (d *document) top() at { return at{doc: d, hash: d.root} }

// problem reports something wrong with key (or with the hash itself when key is "").
func (a at) problem(key, format string, args ...any) {
	a.doc.addProblem(a.newProblem(key, format, args...))
}

func (a at) newProblem(key, format string, args ...any) Problem {
	pointer := a.pointer
	if key != "" {
		pointer += "/" + escapePointer(key)
	}
	line := a.doc.line(pointer)
	if line == 0 {
		line = a.doc.line(a.pointer)
	}
	return Problem{Path: a.label, Pointer: pointer, Line: line, Message: fmt.Sprintf(format, args...)}
}

// nameStr reads a required name and checks it against the director's rule
// for it (nameRule).
func (a at) nameStr(key, field, fix string, rule boshname.Rule) string {
	n := a.requiredStr(key, fix)
	a.nameRule(key, field, n, rule)
	return n
}

// nameRule reports a name (field: "instance group name") that breaks the
// director's rule for it. Such problems are also kept apart, for the API to
// refuse before a task starts (CheckManifestNames): localbosh keeps state in
// files named after these names. A ((variable)) is left to checkVariables.
func (a at) nameRule(key, field, value string, rule boshname.Rule) {
	if value == "" || variableReference.MatchString(value) {
		return
	}
	if err := rule.Check(field, value); err != nil {
		p := a.newProblem(key, "%v", err)
		a.doc.addProblem(p)
		a.doc.nameProblems = append(a.doc.nameProblems, p)
	}
}

// warn records a warning about key, naming where it is.
func (a at) warn(typ, key, format string, args ...any) {
	where := "'" + key + "'"
	if a.label != "" {
		where = a.label + ": " + where
	}
	if line := a.doc.line(a.pointer + "/" + escapePointer(key)); line > 0 {
		where += fmt.Sprintf(" (line %d)", line)
	}
	a.doc.warn(typ, "%s %s", where, fmt.Sprintf(format, args...))
}

func (a at) has(key string) bool {
	_, ok := a.hash[key]
	return ok
}

// missing reports a required key that is absent or null; it returns true
// when it did.
func (a at) missing(key, fix string) bool {
	if a.hash[key] != nil {
		return false
	}
	a.problem(key, "'%s' is required; %s", key, fix)
	return true
}

func (a at) wrongType(key, want string) {
	a.problem(key, "'%s' must be %s, not %s", key, want, describe(a.hash[key]))
}

// str reads a string; absent or null gives "".
func (a at) str(key string) string {
	switch v := a.hash[key].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		a.wrongType(key, "a string")
		return ""
	}
}

// requiredStr reads a non-empty string.
func (a at) requiredStr(key, fix string) string {
	if a.missing(key, fix) {
		return ""
	}
	s := a.str(key)
	if s == "" && a.hash[key] == "" {
		a.problem(key, "'%s' must not be empty; %s", key, fix)
	}
	return s
}

// scalarText reads a string or a number as written: "1.10" stays "1.10".
func (a at) scalarText(key string) string {
	switch v := a.hash[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case int, int64, uint64, float64:
		if raw := a.doc.nodes[a.pointer+"/"+escapePointer(key)].raw; raw != "" {
			return raw
		}
		return fmt.Sprint(v)
	default:
		a.wrongType(key, "a string or a number")
		return ""
	}
}

// integer reads a whole number; ok is false when absent or invalid.
func (a at) integer(key string) (int, bool) {
	value := a.hash[key]
	if value == nil {
		return 0, false
	}
	n, ok := asInt(value)
	if !ok {
		a.wrongType(key, "a whole number")
	}
	return n, ok
}

// boolean reads true or false, def when absent.
func (a at) boolean(key string, def bool) bool {
	switch v := a.hash[key].(type) {
	case nil:
		return def
	case bool:
		return v
	default:
		a.wrongType(key, "true or false")
		return def
	}
}

// subHash reads an optional hash; absent or null gives nil.
func (a at) subHash(key string) map[string]any {
	switch v := a.hash[key].(type) {
	case nil:
		return nil
	case map[string]any:
		return v
	default:
		a.wrongType(key, "a hash")
		return nil
	}
}

// child returns the hash under key, for validating inside it.
func (a at) child(key string) (at, bool) {
	h, ok := a.hash[key].(map[string]any)
	if !ok {
		if a.hash[key] != nil {
			a.wrongType(key, "a hash")
		}
		return at{}, false
	}
	return at{doc: a.doc, label: joinLabel(a.label, key), pointer: a.pointer + "/" + escapePointer(key), hash: h}, true
}

// list reads an optional list; absent or null gives nil.
func (a at) list(key string) []any {
	switch v := a.hash[key].(type) {
	case nil:
		return nil
	case []any:
		return v
	default:
		a.wrongType(key, "a list")
		return nil
	}
}

// hashes reads a list of hashes, each labelled "key[i]" plus its name when
// it has one, so errors say which instance group or job they mean.
func (a at) hashes(key string) []at { return a.hashesLabelled(key, "name") }

// hashesLabelled is hashes with the label taken from another key.
func (a at) hashesLabelled(key, labelKey string) []at {
	var out []at
	for i, item := range a.list(key) {
		label := fmt.Sprintf("%s[%d]", joinLabel(a.label, key), i)
		pointer := fmt.Sprintf("%s/%s/%d", a.pointer, escapePointer(key), i)
		h, ok := item.(map[string]any)
		if !ok {
			a.doc.addProblem(Problem{Path: label, Pointer: pointer, Line: a.doc.line(pointer),
				Message: fmt.Sprintf("must be a hash, not %s", describe(item))})
			continue
		}
		if name, ok := h[labelKey].(string); ok && name != "" {
			label += " (" + name + ")"
		}
		out = append(out, at{doc: a.doc, label: label, pointer: pointer, hash: h})
	}
	return out
}

// strings reads a list of strings.
func (a at) strings(key string) []string {
	items := a.list(key)
	out := make([]string, 0, len(items))
	for i, item := range items {
		s, ok := item.(string)
		if !ok {
			a.problem(key, "'%s' must be a list of strings, but item %d is %s", key, i, describe(item))
			continue
		}
		out = append(out, s)
	}
	if items == nil {
		return nil
	}
	return out
}

// checkKeys warns about keys BOSH ignores (most likely typos) and reports
// keys localbosh cannot honour, with the reason.
func (a at) checkKeys(known []string, unsupported map[string]string) {
	for _, key := range sortedKeys(a.hash) {
		if reason, ok := unsupported[key]; ok {
			a.problem(key, "'%s' %s", key, reason)
			continue
		}
		if !slices.Contains(known, key) {
			a.warn(warningType, key, "is not a key BOSH knows here and is ignored; known keys: %s", strings.Join(known, ", "))
		}
	}
}

func joinLabel(label, key string) string {
	if label == "" {
		return key
	}
	return label + "." + key
}

// asInt accepts YAML whole numbers, however the decoder typed them.
func asInt(value any) (int, bool) {
	switch v := value.(type) {
	case int:
		return v, true
	case int64:
		if v < math.MinInt || v > math.MaxInt {
			return 0, false
		}
		return int(v), true
	case uint64:
		if v > math.MaxInt {
			return 0, false
		}
		return int(v), true
	default:
		return 0, false
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
