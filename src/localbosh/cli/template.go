package cli

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

// templateFlags are the bosh CLI's ops-file and variable flags, shared by
// every command that reads a manifest or config (deploy, interpolate,
// update-cloud-config).
type templateFlags struct {
	opsFiles []string
	vars     vars.Flags
}

func (t *templateFlags) register(fs *flagSet) {
	fs.listFlag(&t.opsFiles, "ops-file", "o", "PATH", "Load manifest operations from a YAML file")
	fs.listFlag(&t.vars.Vars, "var", "v", "VAR=VALUE", "Set variable")
	fs.listFlag(&t.vars.VarFiles, "var-file", "", "VAR=PATH", "Set variable to file contents")
	fs.listFlag(&t.vars.VarsFiles, "vars-file", "l", "PATH", "Load variables from a YAML file")
	fs.stringFlag(&t.vars.VarsStore, "vars-store", "", "PATH", "Load/save variables from/to a YAML file")
}

// evaluate applies the ops files to the YAML document, then resolves its
// ((variables)), generating declared ones into the vars store; expectAll
// makes variables nothing provides an error.
func (t *templateFlags) evaluate(source string, data []byte, expectAll bool) (any, error) {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("parsing %s as YAML: %w", source, err)
	}
	ops, err := opsfile.LoadFiles(t.opsFiles)
	if err != nil {
		return nil, err
	}
	doc, err = ops.Apply(opsfile.Clone(doc))
	if err != nil {
		return nil, err
	}
	src, err := t.vars.Load()
	if err != nil {
		return nil, err
	}
	return vars.Interpolate(doc, src, vars.Options{ExpectAll: expectAll})
}

// evaluateYAML is evaluate, printed back as YAML.
func (t *templateFlags) evaluateYAML(source string, data []byte, expectAll bool) ([]byte, error) {
	doc, err := t.evaluate(source, data, expectAll)
	if err != nil {
		return nil, err
	}
	out, err := vars.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("printing %s as YAML: %w", source, err)
	}
	return out, nil
}
