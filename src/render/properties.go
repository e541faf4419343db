package render

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/jobspec"
)

// ResolveProperties computes the properties a job's templates see, as the
// BOSH director does: each property declared in the spec is looked up at its
// dotted path in the manifest's nested hash; a missing or null value takes
// the spec default; undeclared manifest properties are dropped. The result is
// nested again ({"etcd": {"require_ssl": true}}) and shares no maps or slices
// with manifestProps.
func ResolveProperties(spec jobspec.Spec, manifestProps map[string]any) (map[string]any, error) {
	resolved := map[string]any{}
	// Sorted, so a parent ("a") is set before a child ("a.b") merges into it.
	for _, name := range slices.Sorted(maps.Keys(spec.Properties)) {
		value, err := manifestValue(manifestProps, name)
		if err != nil {
			return nil, fmt.Errorf("resolving properties of job '%s': %w", spec.Name, err)
		}
		if value == nil {
			value = spec.Properties[name].Default
		}
		if err := setPath(resolved, name, deepCopy(value)); err != nil {
			return nil, fmt.Errorf("resolving properties of job '%s': %w", spec.Name, err)
		}
	}
	return resolved, nil
}

// PublishedProperties picks, from a job's resolved properties, those its
// provided link publishes (the link's `properties` list in the spec), nested.
func PublishedProperties(spec jobspec.Spec, linkName string, resolved map[string]any) (map[string]any, error) {
	i := slices.IndexFunc(spec.Provides, func(l jobspec.Link) bool { return l.Name == linkName })
	if i < 0 {
		return nil, fmt.Errorf("job '%s' provides no link '%s'; add it to 'provides' in the job spec or consume another link", spec.Name, linkName)
	}
	published := map[string]any{}
	for _, name := range spec.Provides[i].Properties {
		if _, declared := spec.Properties[name]; !declared {
			return nil, fmt.Errorf("link '%s' of job '%s' publishes property '%s', which the job spec does not declare; declare it under 'properties'", linkName, spec.Name, name)
		}
		value, _ := lookupPath(resolved, name)
		if err := setPath(published, name, deepCopy(value)); err != nil {
			return nil, fmt.Errorf("publishing link '%s' of job '%s': %w", linkName, spec.Name, err)
		}
	}
	return published, nil
}

// manifestValue finds a dotted name in the manifest's nested hash. Like BOSH,
// it refuses a non-hash where the name needs to go deeper.
func manifestValue(props map[string]any, name string) (any, error) {
	var current any = props
	keys := strings.Split(name, ".")
	for i, key := range keys {
		m, ok := current.(map[string]any)
		if !ok {
			parent := strings.Join(keys[:i], ".")
			return nil, fmt.Errorf("property '%s' expects a hash at '%s', but the manifest gives %T (%v); make '%s' a hash in the manifest's job properties", name, parent, current, current, parent)
		}
		current = m[key]
		if current == nil {
			return nil, nil
		}
	}
	return current, nil
}

// lookupPath follows a dotted name through nested maps; false when absent.
func lookupPath(props map[string]any, name string) (any, bool) {
	var current any = props
	for _, key := range strings.Split(name, ".") {
		m, ok := current.(map[string]any)
		if !ok {
			return nil, false
		}
		if current, ok = m[key]; !ok {
			return nil, false
		}
	}
	return current, true
}

// setPath stores value at a dotted name, creating the intermediate hashes.
func setPath(dst map[string]any, name string, value any) error {
	keys := strings.Split(name, ".")
	current := dst
	for i, key := range keys[:len(keys)-1] {
		next, exists := current[key]
		if !exists || next == nil {
			child := map[string]any{}
			current[key] = child
			current = child
			continue
		}
		child, ok := next.(map[string]any)
		if !ok {
			parent := strings.Join(keys[:i+1], ".")
			return fmt.Errorf("property '%s' lies under '%s', whose value is %T (%v), not a hash; declare only one of them in the job spec, or make '%s' a hash", name, parent, next, next, parent)
		}
		current = child
	}
	current[keys[len(keys)-1]] = value
	return nil
}

// deepCopy copies the maps and slices of a YAML/JSON-like value.
func deepCopy(value any) any {
	switch v := value.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = deepCopy(item)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = deepCopy(item)
		}
		return out
	default:
		return v
	}
}
