package vars

import "fmt"

// Definition is one entry of a document's `variables:` section.
type Definition struct {
	Name    string
	Type    string // password, certificate, rsa, ssh; "" declares without generating
	Options any    // type-specific generation options; may contain ((variables))
}

// Definitions reads the `variables:` section of doc, in order. A document
// that is not a map, or has no such section, declares nothing.
func Definitions(doc any) ([]Definition, error) {
	root, ok := doc.(map[string]any)
	if !ok || root["variables"] == nil {
		return nil, nil
	}
	list, ok := root["variables"].([]any)
	if !ok {
		return nil, fmt.Errorf("manifest 'variables' must be a list of {name, type, options}")
	}
	defs := make([]Definition, 0, len(list))
	seen := map[string]bool{}
	for i, item := range list {
		def, err := parseDefinition(item)
		if err != nil {
			return nil, fmt.Errorf("manifest variables[%d]: %w", i, err)
		}
		if seen[def.Name] {
			return nil, fmt.Errorf("manifest variables[%d]: variable '%s' is declared twice; remove one", i, def.Name)
		}
		seen[def.Name] = true
		defs = append(defs, def)
	}
	return defs, nil
}

func parseDefinition(item any) (Definition, error) {
	m, ok := item.(map[string]any)
	if !ok {
		return Definition{}, fmt.Errorf("expected a map with name, type and options")
	}
	name, ok := m["name"].(string)
	if !ok || name == "" {
		return Definition{}, fmt.Errorf("'name' must be a non-empty string")
	}
	def := Definition{Name: name, Options: m["options"]}
	if t, present := m["type"]; present && t != nil {
		if def.Type, ok = t.(string); !ok {
			return Definition{}, fmt.Errorf("variable '%s': 'type' must be a string such as password or certificate", name)
		}
	}
	return def, nil
}
