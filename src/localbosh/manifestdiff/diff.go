// Package manifestdiff computes the diff of POST /deployments/:name/diff as
// the BOSH director reports it: the deployment's manifest merged with its
// cloud and runtime configs, before and after, compared key by key, with
// changed values as YAML lines marked "added" or "removed", array elements
// matched by name (or range), the values under properties and bosh
// redacted, and top-level sections in the director's order.
package manifestdiff

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// Line is one line of the diff: its text, indented, and its status,
// "added", "removed" or "" (context). It travels as the director's
// [text, status] pair, with a null status for context.
type Line struct {
	Text   string
	Status string
	indent int
}

// MarshalJSON encodes the line as [text, status].
func (l Line) MarshalJSON() ([]byte, error) {
	var status any
	if l.Status != "" {
		status = l.Status
	}
	return json.Marshal([]any{l.Text, status})
}

// Status values of a Line.
const (
	Added   = "added"
	Removed = "removed"
)

// redacted replaces every value under properties and bosh, as the director's.
const redacted = "<redacted>"

// Map is a YAML mapping in document order.
type Map struct {
	Keys   []string
	Values map[string]any
}

// Get returns the value of key, or nil.
func (m *Map) Get(key string) any {
	if m == nil {
		return nil
	}
	return m.Values[key]
}

// Set sets key, keeping its place if it exists, else appending it.
func (m *Map) Set(key string, v any) {
	if _, ok := m.Values[key]; !ok {
		m.Keys = append(m.Keys, key)
	}
	m.Values[key] = v
}

// NewMap returns an empty Map.
func NewMap() *Map { return &Map{Values: map[string]any{}} }

// Parse reads a YAML document into Maps (mappings, in document order),
// []any (sequences) and scalars; an empty document is an empty Map.
func Parse(doc []byte) (*Map, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, err
	}
	if n.Kind == 0 || len(n.Content) == 0 {
		return NewMap(), nil
	}
	v, err := fromNode(n.Content[0])
	if err != nil {
		return nil, err
	}
	m, ok := v.(*Map)
	if !ok {
		return nil, fmt.Errorf("a YAML mapping is expected, not %T", v)
	}
	return m, nil
}

func fromNode(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return fromNode(n.Alias)
	case yaml.MappingNode:
		m := NewMap()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := fromNode(n.Content[i])
			if err != nil {
				return nil, err
			}
			v, err := fromNode(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m.Set(fmt.Sprint(k), v)
		}
		return m, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := fromNode(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	default:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, err
		}
		return v, nil
	}
}

// Merge is the director's merged manifest: the deployment manifest, with
// the cloud configs' keys over it, then the runtime configs' keys, whose
// releases, variables and addons are appended to the manifest's (each
// element once) and whose tags are merged under the manifest's.
func Merge(manifest *Map, cloud []*Map, runtime []*Map) *Map {
	out := copyMap(manifest)
	for _, c := range cloud {
		for _, k := range c.Keys {
			out.Set(k, appendList(out.Get(k), c.Values[k], false))
		}
	}
	for _, r := range runtime {
		for _, k := range r.Keys {
			switch k {
			case "releases", "variables", "addons":
				out.Set(k, appendList(out.Get(k), r.Values[k], true))
			case "tags":
				tags := copyMap(asMap(r.Values[k]))
				for _, tk := range asMap(out.Get(k)).keys() {
					tags.Set(tk, out.Get(k).(*Map).Values[tk])
				}
				out.Set(k, tags)
			default:
				out.Set(k, r.Values[k])
			}
		}
	}
	return out
}

// appendList joins two lists (several cloud configs each list azs,
// networks, ...); anything else takes the later value. unique drops
// elements of b already in a.
func appendList(a, b any, unique bool) any {
	la, okA := a.([]any)
	lb, okB := b.([]any)
	if !okA || !okB {
		if b == nil {
			return a
		}
		return b
	}
	out := append([]any(nil), la...)
	for _, e := range lb {
		if unique && containsEqual(out, e) {
			continue
		}
		out = append(out, e)
	}
	return out
}

func asMap(v any) *Map {
	if m, ok := v.(*Map); ok {
		return m
	}
	return NewMap()
}

func (m *Map) keys() []string {
	if m == nil {
		return nil
	}
	return m.Keys
}

// Diff compares two merged manifests as the director does. With redact,
// values under properties and bosh are shown as "<redacted>", and
// credentials in release URLs too.
func Diff(before, after *Map, redact bool) []Line {
	shownBefore, shownAfter := before, after
	if redact {
		shownBefore, shownAfter = redactCopy(before), redactCopy(after)
	}
	return order(diffMaps(before, after, shownBefore, shownAfter, 0))
}

func diffMaps(before, after, shownBefore, shownAfter *Map, indent int) []Line {
	var lines []Line
	for _, key := range mergedKeys(before, after) {
		b, a := before.Get(key), after.Get(key)
		if equal(b, a) {
			continue
		}
		switch {
		case b == nil:
			lines = append(lines, yamlLines(single(key, shownAfter.Get(key)), indent, Added)...)
		case a == nil:
			lines = append(lines, yamlLines(single(key, shownBefore.Get(key)), indent, Removed)...)
		default:
			bl, bIsList := b.([]any)
			al, aIsList := a.([]any)
			bm, bIsMap := b.(*Map)
			am, aIsMap := a.(*Map)
			switch {
			case bIsList && aIsList:
				lines = append(lines, diffLists(bl, al, asList(shownBefore.Get(key)), asList(shownAfter.Get(key)), key, indent)...)
			case bIsMap && aIsMap:
				if sub := diffMaps(bm, am, asMap(shownBefore.Get(key)), asMap(shownAfter.Get(key)), indent+1); len(sub) > 0 {
					lines = append(lines, header(key, indent))
					lines = append(lines, sub...)
				}
			default:
				lines = append(lines, yamlLines(single(key, shownBefore.Get(key)), indent, Removed)...)
				lines = append(lines, yamlLines(single(key, shownAfter.Get(key)), indent, Added)...)
			}
		}
	}
	return lines
}

// mergedKeys are before's keys, then after's new ones.
func mergedKeys(before, after *Map) []string {
	keys := append([]string(nil), before.keys()...)
	for _, k := range after.keys() {
		if _, ok := before.Values[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// pair is an element of a list with what is shown of it.
type pair struct{ value, shown any }

func pairs(values, shown []any) []pair {
	out := make([]pair, len(values))
	for i, v := range values {
		out[i] = pair{value: v}
		if i < len(shown) {
			out[i].shown = shown[i]
		}
	}
	return out
}

// without is the pairs of a whose element no pair of b equals.
func without(a, b []pair) []pair {
	var out []pair
	for _, p := range a {
		found := false
		for _, q := range b {
			if equal(p.value, q.value) && equal(p.shown, q.shown) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, p)
		}
	}
	return out
}

// diffLists compares lists: elements only in after are added, only in
// before removed; when every changed element is a mapping with a name (or
// a range), an element changed in place is diffed under its name.
func diffLists(before, after, shownBefore, shownAfter []any, parent string, indent int) []Line {
	oldPairs, newPairs := pairs(before, shownBefore), pairs(after, shownAfter)
	added, removed := without(newPairs, oldPairs), without(oldPairs, newPairs)
	changed := append(append([]pair(nil), added...), removed...)
	byName, byRange := allHave(changed, "name"), allHave(changed, "range")
	var lines []Line
	for _, p := range added {
		m, isMap := p.value.(*Map)
		if !isMap || (!byName && !byRange) {
			lines = append(lines, yamlLines([]any{p.shown}, indent, Added)...)
			continue
		}
		key := "name"
		if !byName {
			key = "range"
		}
		match := -1
		for i, r := range removed {
			if rm, ok := r.value.(*Map); ok && equal(rm.Get(key), m.Get(key)) {
				match = i
				break
			}
		}
		if match < 0 {
			lines = append(lines, yamlLines([]any{p.shown}, indent, Added)...)
			continue
		}
		old := removed[match]
		removed = append(removed[:match:match], removed[match+1:]...)
		sub := diffMaps(old.value.(*Map), m, asMap(old.shown), asMap(p.shown), indent+1)
		if len(sub) > 0 {
			lines = append(lines, yamlLines([]any{single(key, asMap(p.shown).Get(key))}, indent, "")...)
			lines = append(lines, sub...)
		}
	}
	if len(removed) > 0 {
		var shown []any
		for _, r := range removed {
			shown = append(shown, r.shown)
		}
		lines = append(lines, yamlLines(shown, indent, Removed)...)
	}
	if len(lines) > 0 {
		lines = append([]Line{header(parent, indent)}, lines...)
	}
	return lines
}

func allHave(ps []pair, key string) bool {
	for _, p := range ps {
		if p.value == nil {
			continue
		}
		m, ok := p.value.(*Map)
		if !ok || m.Get(key) == nil {
			return false
		}
	}
	return true
}

// header is the context line "<key>:" at indent levels.
func header(key string, indent int) Line {
	return Line{Text: strings.Repeat("  ", indent) + key + ":", indent: indent}
}

func single(key string, v any) *Map {
	m := NewMap()
	m.Set(key, v)
	return m
}

// yamlLines is v as YAML lines, each indented by indent levels.
func yamlLines(v any, indent int, status string) []Line {
	var b strings.Builder
	emit(&b, v)
	var lines []Line
	for _, text := range strings.Split(strings.TrimRight(b.String(), "\n"), "\n") {
		lines = append(lines, Line{Text: strings.Repeat("  ", indent) + text, Status: status, indent: indent})
	}
	return lines
}

// keyOrder is the director's order of top-level sections in a diff.
var keyOrder = []string{"azs", "vm_types", "vm_extensions", "resource_pools", "compilation", "networks", "disk_types",
	"name", "stemcells", "releases", "update", "jobs", "release", "addons", "variables"}

// order groups the top-level sections, puts them in the director's order
// (others after, as they came) with an empty line between sections.
func order(lines []Line) []Line {
	type section struct {
		name  string
		lines []Line
	}
	var sections []*section
	var cur *section
	for _, l := range lines {
		if l.indent == 0 && !strings.HasPrefix(l.Text, " ") && !strings.HasPrefix(l.Text, "-") {
			cur = &section{name: l.Text, lines: []Line{{}}}
			sections = append(sections, cur)
		}
		if cur == nil {
			cur = &section{}
			sections = append(sections, cur)
		}
		cur.lines = append(cur.lines, l)
	}
	var out []Line
	taken := make([]bool, len(sections))
	for _, key := range keyOrder {
		for i, s := range sections {
			if !taken[i] && s.name == key+":" {
				taken[i] = true
				out = append(out, s.lines...)
			}
		}
	}
	for i, s := range sections {
		if !taken[i] {
			out = append(out, s.lines...)
		}
	}
	if len(out) > 0 && out[0].Text == "" && out[0].Status == "" {
		out = out[1:]
	}
	return out
}

// redactCopy is a copy of m with values under properties and bosh keys
// redacted, and basic auth credentials in top-level releases' url.
func redactCopy(m *Map) *Map {
	out := copyMap(m)
	redactKnown(out)
	for _, r := range asList(out.Get("releases")) {
		if rm, ok := r.(*Map); ok {
			if u, ok := rm.Get("url").(string); ok {
				rm.Set("url", redactURL(u))
			}
		}
	}
	return out
}

func redactKnown(v any) {
	switch t := v.(type) {
	case *Map:
		for _, k := range t.Keys {
			if sub, ok := t.Values[k].(*Map); ok && (k == "properties" || k == "bosh") {
				t.Values[k] = redactAll(sub)
				continue
			}
			redactKnown(t.Values[k])
		}
	case []any:
		for _, e := range t {
			redactKnown(e)
		}
	}
}

func redactAll(v any) any {
	switch t := v.(type) {
	case *Map:
		out := NewMap()
		for _, k := range t.Keys {
			out.Set(k, redactAll(t.Values[k]))
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = redactAll(e)
		}
		return out
	default:
		return redacted
	}
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	out := raw
	if name := u.User.Username(); name != "" {
		out = strings.Replace(out, name, redacted, 1)
	}
	if pw, ok := u.User.Password(); ok && pw != "" {
		out = strings.Replace(out, pw, redacted, 1)
	}
	return out
}

func copyMap(m *Map) *Map {
	if m == nil {
		return NewMap()
	}
	return copyValue(m).(*Map)
}

func copyValue(v any) any {
	switch t := v.(type) {
	case *Map:
		out := NewMap()
		for _, k := range t.Keys {
			out.Set(k, copyValue(t.Values[k]))
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = copyValue(e)
		}
		return out
	default:
		return v
	}
}

// equal compares values as Ruby compares hashes, arrays and scalars:
// mappings regardless of key order.
func equal(a, b any) bool {
	switch ta := a.(type) {
	case *Map:
		tb, ok := b.(*Map)
		if !ok || len(ta.Keys) != len(tb.Keys) {
			return false
		}
		for _, k := range ta.Keys {
			vb, ok := tb.Values[k]
			if !ok || !equal(ta.Values[k], vb) {
				return false
			}
		}
		return true
	case []any:
		tb, ok := b.([]any)
		if !ok || len(ta) != len(tb) {
			return false
		}
		for i := range ta {
			if !equal(ta[i], tb[i]) {
				return false
			}
		}
		return true
	default:
		if _, isMap := b.(*Map); isMap {
			return false
		}
		if _, isList := b.([]any); isList {
			return false
		}
		return a == b
	}
}

func containsEqual(list []any, v any) bool {
	for _, e := range list {
		if equal(e, v) {
			return true
		}
	}
	return false
}
