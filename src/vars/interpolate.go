package vars

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
)

// Options change how Interpolate treats variables nothing provides.
type Options struct {
	// ExpectAll makes unresolved variables an error (*MissingError) instead
	// of leaving their ((name)) in place: `interpolate --var-errs`, and
	// deploy, which has no config server to resolve them later.
	ExpectAll bool
}

// MissingError lists every variable nothing provided, sorted.
type MissingError struct {
	Names []string
}

func (e *MissingError) Error() string {
	return "Expected to find variables: " + strings.Join(e.Names, ", ") +
		" (give them with -v name=value, --var-file name=path or -l vars.yml," +
		" or declare them with a type under variables: and pass --vars-store)"
}

// reference matches ((name)), ((name.key)), ((!name)) and absolute
// ((/a/b)), with the bosh CLI's name characters and the one space it
// allows inside the brackets, (( name )). The bosh CLI resolves ((!name))
// like ((name)).
var (
	reference      = regexp.MustCompile(`\(\( ?(!?[-/.\w\pL]+) ?\)\)`)
	wholeReference = regexp.MustCompile(`\A` + reference.String() + `\z`)
)

// Interpolate returns doc with its ((variables)) replaced; doc is not
// changed. First every variable declared with a type under `variables:`
// is resolved in order, generating (with a store) what is missing, with
// each certificate's CA first; then the whole document is walked. A
// reference that is the whole of a value takes the variable's value as it
// is (a map stays a map); one inside a longer string takes its text.
func Interpolate(doc any, src Sources, opts Options) (any, error) {
	doc = opsfile.Clone(doc)
	defs, err := Definitions(doc)
	if err != nil {
		return nil, err
	}
	r := newResolver(src, defs)
	for _, def := range defs {
		if def.Type == "" {
			continue
		}
		if _, _, err := r.get(def.Name); err != nil {
			return nil, err
		}
	}
	out, err := r.interpolate(doc, map[string]bool{})
	if err != nil {
		return nil, err
	}
	if opts.ExpectAll && len(r.missing) > 0 {
		names := make([]string, 0, len(r.missing))
		for name := range r.missing {
			names = append(names, name)
		}
		sort.Strings(names)
		return nil, &MissingError{Names: names}
	}
	return out, nil
}

// interpolate walks node (a copy this package owns), replacing references;
// names it cannot resolve are added to unresolved and left in place.
func (r *resolver) interpolate(node any, unresolved map[string]bool) (any, error) {
	switch n := node.(type) {
	case map[string]any:
		keys := make([]string, 0, len(n))
		for k := range n {
			keys = append(keys, k)
		}
		sort.Strings(keys) // a stable order for generation and errors
		out := make(map[string]any, len(n))
		for _, k := range keys {
			value, err := r.interpolate(n[k], unresolved)
			if err != nil {
				return nil, err
			}
			key, err := r.interpolate(k, unresolved)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(key)] = value
		}
		return out, nil
	case []any:
		for i, item := range n {
			value, err := r.interpolate(item, unresolved)
			if err != nil {
				return nil, err
			}
			n[i] = value
		}
		return n, nil
	case string:
		return r.interpolateString(n, unresolved)
	}
	return node, nil
}

func (r *resolver) interpolateString(s string, unresolved map[string]bool) (any, error) {
	if m := wholeReference.FindStringSubmatch(s); m != nil {
		ref := strings.TrimPrefix(m[1], "!")
		value, found, err := r.lookup(ref)
		if err != nil {
			return nil, err
		}
		if !found {
			unresolved[ref] = true
			return s, nil
		}
		return value, nil
	}
	var failure error
	out := reference.ReplaceAllStringFunc(s, func(match string) string {
		if failure != nil {
			return match
		}
		ref := strings.TrimPrefix(reference.FindStringSubmatch(match)[1], "!")
		value, found, err := r.lookup(ref)
		switch {
		case err != nil:
			failure = err
			return match
		case !found:
			unresolved[ref] = true
			return match
		}
		text, ok := scalarText(value)
		if !ok {
			failure = fmt.Errorf("variable '%s' is %s, which cannot be placed inside the string '%s'; only strings and integers can (use the variable as the whole value instead)", ref, opsfile.Kind(value), s)
			return match
		}
		return text
	})
	if failure != nil {
		return nil, failure
	}
	return out, nil
}

// scalarText is how a value reads inside a string; like the bosh CLI, only
// strings and integers qualify.
func scalarText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int, int64, uint64:
		return fmt.Sprint(v), true
	}
	return "", false
}
