package vars

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Flags are the bosh CLI's variable flags, as given on the command line.
type Flags struct {
	Vars      []string // -v name=value
	VarFiles  []string // --var-file name=path
	VarsFiles []string // -l path
	VarsStore string   // --vars-store path; "" for none
}

// Sources are the places variable values come from, highest precedence
// first: Static, then the Store. Store is nil without --vars-store, and only
// with a store are declared variables generated.
type Sources struct {
	Static Static
	Store  *Store
}

// Load reads every file the flags name. Precedence follows the bosh CLI:
// -v over --var-file over -l (a later -l file over an earlier one), and all
// of them over the vars store.
func (f Flags) Load() (Sources, error) {
	static := Static{}
	for _, path := range f.VarsFiles {
		fileVars, err := LoadVarsFile(path)
		if err != nil {
			return Sources{}, err
		}
		static = static.Merge(fileVars)
	}
	for _, arg := range f.VarFiles {
		name, value, err := ReadVarFileFlag(arg)
		if err != nil {
			return Sources{}, err
		}
		static = static.Merge(Static{name: value})
	}
	for _, arg := range f.Vars {
		name, value, err := ParseVarFlag(arg)
		if err != nil {
			return Sources{}, err
		}
		static = static.Merge(Static{name: value})
	}
	src := Sources{Static: static}
	if f.VarsStore != "" {
		store, err := OpenStore(f.VarsStore)
		if err != nil {
			return Sources{}, err
		}
		src.Store = store
	}
	return src, nil
}

// ParseVarFlag reads "-v name=value". Like the bosh CLI, the value is
// decoded as YAML unless that yields a string, in which case the text is
// kept verbatim: "-v instances=3" is the integer 3, "-v ip=10.0.0.1" and
// "-v name=etcd" are strings.
func ParseVarFlag(arg string) (string, any, error) {
	name, text, err := splitFlag(arg, "-v", "value")
	if err != nil {
		return "", nil, err
	}
	var value any
	if err := yaml.Unmarshal([]byte(text), &value); err != nil {
		return "", nil, fmt.Errorf("-v %s: value is not valid YAML: %w; quote it for the shell or use --var-file", arg, err)
	}
	if _, isString := value.(string); isString {
		return name, text, nil
	}
	return name, value, nil
}

// ReadVarFileFlag reads "--var-file name=path": the variable's value is the
// whole file, as a string.
func ReadVarFileFlag(arg string) (string, any, error) {
	name, path, err := splitFlag(arg, "--var-file", "path")
	if err != nil {
		return "", nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", nil, fmt.Errorf("--var-file %s: %w", arg, err)
	}
	return name, string(data), nil
}

// LoadVarsFile reads a "-l" file: a YAML map of variable names to values.
func LoadVarsFile(path string) (Static, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading variables file (-l): %w", err)
	}
	// Decoded into a plain map: yaml.v3 gives nested maps the type of the
	// outer one, and a nested Static is no map to the variable lookups.
	var values map[string]any
	if err := yaml.Unmarshal(data, &values); err != nil {
		return nil, fmt.Errorf("variables file (-l) '%s' must be a YAML map of names to values: %w", path, err)
	}
	return Static(values), nil
}

func splitFlag(arg, flag, what string) (string, string, error) {
	name, value, ok := strings.Cut(arg, "=")
	switch {
	case !ok:
		return "", "", fmt.Errorf("%s '%s': expected the form name=%s", flag, arg, what)
	case name == "":
		return "", "", fmt.Errorf("%s '%s': the variable name before '=' is empty", flag, arg)
	case value == "":
		return "", "", fmt.Errorf("%s '%s': the %s after '=' is empty", flag, arg, what)
	}
	return name, value, nil
}
