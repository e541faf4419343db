package manifest

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
)

// document is one parsed YAML document with what validation needs to report
// problems well: the line and raw text of each value by pointer.
type document struct {
	name     string // "deployment manifest", "cloud config"
	kind     error  // ErrInvalidManifest or ErrInvalidCloudConfig
	root     map[string]any
	nodes    map[string]nodeInfo // pointer -> where the value came from
	problems []Problem
	// nameProblems are the problems with names, also in problems.
	nameProblems []Problem
	warnings     []Warning
}

type nodeInfo struct {
	line int    // line of the key (in a hash) or of the item (in a list)
	raw  string // the scalar as written, so version "1.10" stays "1.10"
}

// decodeDocument parses data as one YAML hash. Maps come out keyed by
// strings (numeric keys are written as text, as BOSH sees them after JSON).
func decodeDocument(data []byte, name string, kind error) (*document, error) {
	var node yaml.Node
	if err := yaml.Unmarshal(data, &node); err != nil {
		return nil, fmt.Errorf("%w: %s is not valid YAML: %v; fix the syntax at that line", kind, name, err)
	}
	if node.Kind == 0 || len(node.Content) == 0 || node.Content[0].Tag == "!!null" {
		return nil, fmt.Errorf("%w: %s is empty; give it as a YAML hash", kind, name)
	}
	var value any
	if err := node.Decode(&value); err != nil {
		return nil, fmt.Errorf("%w: %s is not valid YAML: %v; fix the syntax at that line", kind, name, err)
	}
	root, ok := opsfile.Clone(value).(map[string]any) // also makes every map map[string]any
	if !ok {
		return nil, fmt.Errorf("%w: %s must be a YAML hash at the top level, not %s", kind, name, describe(value))
	}
	doc := &document{name: name, kind: kind, root: root, nodes: map[string]nodeInfo{}}
	doc.index("", node.Content[0], node.Content[0].Line)
	return doc, nil
}

// index records every value's line and raw scalar text under its pointer.
func (d *document) index(pointer string, n *yaml.Node, line int) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.nodes[pointer] = nodeInfo{line: line, raw: n.Value}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			d.index(pointer+"/"+escapePointer(key.Value), value, key.Line)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			d.index(pointer+"/"+strconv.Itoa(i), item, item.Line)
		}
	}
}

func (d *document) line(pointer string) int { return d.nodes[pointer].line }

func (d *document) addProblem(p Problem) { d.problems = append(d.problems, p) }

func (d *document) warn(typ, format string, args ...any) {
	d.warnings = append(d.warnings, Warning{Type: typ, Message: fmt.Sprintf(format, args...)})
}

// err returns the problems found so far as one error, or nil.
func (d *document) err() error { return d.errOf(d.problems) }

// nameErr reports the problems with names only.
func (d *document) nameErr() error { return d.errOf(d.nameProblems) }

func (d *document) errOf(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	return &ValidationError{Document: d.name, Problems: problems, kinds: []error{d.kind}}
}

// escapePointer escapes a hash key for a go-patch path.
func escapePointer(key string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
}

// describe names a YAML value's kind for error messages.
func describe(value any) string {
	switch v := value.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", v)
	case bool:
		return fmt.Sprintf("the boolean %t", v)
	case int, int64, uint64, float64:
		return fmt.Sprintf("the number %v", v)
	case map[string]any, map[any]any:
		return "a hash"
	case []any:
		return "a list"
	default:
		return fmt.Sprintf("%T", v)
	}
}
