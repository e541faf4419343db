package vars

import (
	"fmt"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
)

// resolver finds variable values: static values first, then the store, and
// last, with a store, generates declared variables and saves them there.
type resolver struct {
	static     map[string]any
	store      *Store
	defs       map[string]Definition
	missing    map[string]bool // names with no value, reported by MissingError
	generating []string        // names being generated, innermost last, to catch cycles
}

func newResolver(src Sources, defs []Definition) *resolver {
	r := &resolver{
		static:  src.Static.expanded(),
		store:   src.Store,
		defs:    make(map[string]Definition, len(defs)),
		missing: map[string]bool{},
	}
	for _, def := range defs {
		r.defs[def.Name] = def
	}
	return r
}

// lookup resolves a reference such as "etcd_server" or
// "etcd_server.certificate": the first part names the variable, the rest
// are keys inside its value.
func (r *resolver) lookup(ref string) (any, bool, error) {
	pieces := strings.Split(ref, ".")
	value, found, err := r.get(pieces[0])
	if err != nil || !found || len(pieces) == 1 {
		return value, found, err
	}
	keys := make([]opsfile.Token, 0, len(pieces)-1)
	for _, key := range pieces[1:] {
		keys = append(keys, opsfile.KeyToken{Key: key})
	}
	value, err = opsfile.Find(value, opsfile.NewPointer(keys...))
	if err != nil {
		return nil, false, fmt.Errorf("finding variable '%s': %w", ref, err)
	}
	return value, true, nil
}

// get resolves one variable by name, recording it as missing when nothing
// provides it.
func (r *resolver) get(name string) (any, bool, error) {
	if v, ok := r.static[name]; ok {
		return opsfile.Clone(v), true, nil
	}
	if r.store != nil {
		if v, ok := r.store.Get(name); ok {
			return opsfile.Clone(v), true, nil
		}
	}
	def, declared := r.defs[name]
	if !declared || def.Type == "" || r.store == nil {
		r.missing[name] = true
		return nil, false, nil
	}
	return r.generate(def)
}

// generate makes a declared variable's value and saves it in the store.
// Options are interpolated first; while any of their variables is missing
// the variable stays missing too.
func (r *resolver) generate(def Definition) (any, bool, error) {
	for _, name := range r.generating {
		if name == def.Name {
			cycle := strings.Join(append(r.generating, def.Name), " -> ")
			return nil, false, fmt.Errorf("variable '%s' depends on itself (%s); break the cycle in its options", def.Name, cycle)
		}
	}
	r.generating = append(r.generating, def.Name)
	defer func() { r.generating = r.generating[:len(r.generating)-1] }()

	unresolved := map[string]bool{}
	options, err := r.interpolate(opsfile.Clone(def.Options), unresolved)
	if err != nil {
		return nil, false, fmt.Errorf("interpolating options of variable '%s': %w", def.Name, err)
	}
	if len(unresolved) > 0 {
		r.missing[def.Name] = true
		return nil, false, nil
	}

	value, found, err := r.generateValue(def.Type, options)
	if err != nil {
		return nil, false, fmt.Errorf("generating variable '%s' (type %s): %w", def.Name, def.Type, err)
	}
	if !found {
		r.missing[def.Name] = true
		return nil, false, nil
	}
	if err := r.store.Set(def.Name, value); err != nil {
		return nil, false, fmt.Errorf("saving generated variable '%s': %w", def.Name, err)
	}
	return opsfile.Clone(value), true, nil
}

// generateValue makes a value of the given type; found is false when a
// certificate's CA is declared but cannot be resolved yet.
func (r *resolver) generateValue(varType string, options any) (value any, found bool, err error) {
	switch varType {
	case "password":
		value, err = generatePassword(options)
	case "certificate":
		return r.generateCertificate(options)
	case "rsa":
		value, err = generateRSA()
	case "ssh":
		value, err = generateSSH()
	default:
		err = fmt.Errorf("localbosh cannot generate type '%s'; use password, certificate, rsa or ssh, or give the value with -v, -l or in the vars store", varType)
	}
	return value, err == nil, err
}

// generateCertificate resolves the CA the options name (generating it
// first if it is declared) and issues the certificate from it.
func (r *resolver) generateCertificate(options any) (any, bool, error) {
	opts, err := certificateOptions(options)
	if err != nil {
		return nil, false, err
	}
	var caValue any
	if opts.CA != "" {
		var found bool
		caValue, found, err = r.get(opts.CA)
		if err != nil {
			return nil, false, fmt.Errorf("getting CA '%s': %w", opts.CA, err)
		}
		if !found {
			if _, declared := r.defs[opts.CA]; declared {
				return nil, false, nil
			}
			return nil, false, fmt.Errorf("CA '%s' is neither declared under variables: nor given a value; declare it as a certificate with is_ca: true", opts.CA)
		}
	}
	value, err := generateCertificate(opts, caValue)
	return value, err == nil, err
}
