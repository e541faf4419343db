package opsfile

import "fmt"

// Clone deep-copies a YAML document so that operations can edit the copy in
// place. Maps with non-string keys (which yaml.v3 decodes as map[any]any)
// become map[string]any with the keys printed, so every map has one type.
func Clone(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = Clone(item)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[fmt.Sprint(k)] = Clone(item)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = Clone(item)
		}
		return out
	default:
		return v
	}
}
