package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/cloudfoundry-incubator/etcd-release/src/opsfile"
	"github.com/cloudfoundry-incubator/etcd-release/src/vars"
)

// interpolateCmd is `interpolate PATH`: print a document with ops files
// applied and variables resolved, or one value of it (--path).
type interpolateCmd struct {
	template templateFlags
	path     string
	varErrs  bool
}

func (c *interpolateCmd) Flags(fs *flagSet) {
	c.template.register(fs)
	fs.stringFlag(&c.path, "path", "", "OP-PATH", "Extract value out of template (e.g.: /private_key)")
	fs.boolFlag(&c.varErrs, "var-errs", "", "Expect all variables to be found, otherwise error")
}

func (c *interpolateCmd) Run(_ context.Context, s *Session, args []string) error {
	var pointer opsfile.Pointer
	if c.path != "" {
		var err error
		if pointer, err = opsfile.ParsePointer(c.path); err != nil {
			return usageErrorf("invalid argument for flag `--path': %v", err)
		}
	}
	data, err := s.ReadInput(args[0])
	if err != nil {
		return err
	}
	doc, err := c.template.evaluate(args[0], data, c.varErrs)
	if err != nil {
		return fmt.Errorf("Evaluating manifest: %w", err)
	}
	if c.path != "" {
		if doc, err = opsfile.Find(doc, pointer); err != nil {
			return fmt.Errorf("Evaluating manifest: finding --path %s: %w", c.path, err)
		}
	}
	// A string value prints as it is (a PEM stays a PEM), like the bosh CLI.
	if text, ok := doc.(string); ok {
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		s.UI.PrintBlock(text)
		return nil
	}
	out, err := vars.Marshal(doc)
	if err != nil {
		return fmt.Errorf("printing %s as YAML: %w", args[0], err)
	}
	s.UI.PrintBlock(string(out))
	return nil
}
