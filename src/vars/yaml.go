package vars

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// Marshal renders a document as YAML the way localbosh prints and stores
// documents: map keys sorted (as the bosh CLI prints them), two-space
// indentation, multi-line strings such as PEM as literal blocks.
func Marshal(doc any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
