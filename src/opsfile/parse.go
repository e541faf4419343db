package opsfile

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// definition is one list item of an ops file as written. Value is a node so
// that `value: null` (replace with null) differs from no value at all.
type definition struct {
	Type   string    `yaml:"type"`
	Path   *string   `yaml:"path"`
	Value  yaml.Node `yaml:"value"`
	Absent *bool     `yaml:"absent"`
	Error  *string   `yaml:"error"`
}

// Load reads and parses an ops file; errors name the file.
func Load(path string) (Ops, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading ops file: %w", err)
	}
	return Parse(path, data)
}

// LoadFiles reads ops files in the order given (the -o flags) into one
// Ops, applied one file after the other.
func LoadFiles(paths []string) (Ops, error) {
	var all Ops
	for _, path := range paths {
		ops, err := Load(path)
		if err != nil {
			return nil, err
		}
		all = append(all, ops...)
	}
	return all, nil
}

// Parse parses an ops file's content: a YAML list of operations, each with
// type (replace, remove or test), path, and value, absent or error as the
// type allows. source names the file in errors. An empty file has no
// operations.
func Parse(source string, data []byte) (Ops, error) {
	var defs []definition
	if err := yaml.Unmarshal(data, &defs); err != nil {
		return nil, fmt.Errorf("ops file '%s' must be a YAML list of operations ({type, path, value}): %w", source, err)
	}
	ops := make(Ops, 0, len(defs))
	for i, def := range defs {
		op, err := def.toOp()
		if err != nil {
			return nil, fmt.Errorf("ops file '%s' operation [%d] (type '%s'): %w", source, i, def.Type, err)
		}
		op.Source, op.Index = source, i
		ops = append(ops, op)
	}
	return ops, nil
}

func (def definition) toOp() (Op, error) {
	op := Op{Type: OpType(def.Type)}
	if def.Error != nil {
		op.Error = *def.Error
	}
	// A null value is no value, as go-patch decodes it ("Missing value").
	hasValue := !def.Value.IsZero() && !(def.Value.Kind == yaml.ScalarNode && def.Value.ShortTag() == "!!null")
	switch op.Type {
	case Replace:
		if !hasValue {
			return Op{}, fmt.Errorf("missing 'value' (null counts as missing, as for the bosh CLI); a replace operation needs the value to put at its path")
		}
	case Remove:
		if hasValue {
			return Op{}, fmt.Errorf("a remove operation cannot specify 'value'")
		}
	case Test:
		if !hasValue && def.Absent == nil {
			return Op{}, fmt.Errorf("missing 'value' or 'absent'; a test operation needs one of them")
		}
		op.Absent = def.Absent != nil && *def.Absent
	default:
		return Op{}, fmt.Errorf("unknown operation type '%s'; use replace, remove or test", def.Type)
	}
	if def.Path == nil {
		return Op{}, fmt.Errorf("missing 'path'; every operation needs a path such as '/name'")
	}
	path, err := ParsePointer(*def.Path)
	if err != nil {
		return Op{}, fmt.Errorf("invalid path: %w", err)
	}
	op.Path = path
	if hasValue {
		if err := def.Value.Decode(&op.Value); err != nil {
			return Op{}, fmt.Errorf("decoding 'value': %w", err)
		}
		op.Value = Clone(op.Value)
	}
	return op, nil
}
