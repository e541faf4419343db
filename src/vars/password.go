package vars

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"slices"

	"gopkg.in/yaml.v3"
)

// The bosh CLI's generated passwords: 20 characters from a-z0-9. Letters and
// digits only also keep them safe in monit's config grammar.
const (
	passwordLength   = 20
	passwordAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
)

// generatePassword makes a password of the options' length (default 20),
// refusing other options and a negative length, as the bosh CLI's password
// generator does.
func generatePassword(options any) (string, error) {
	var params struct {
		Length int `yaml:"length"`
	}
	if err := decodeOptions(options, &params, "length"); err != nil {
		return "", err
	}
	if params.Length < 0 {
		return "", fmt.Errorf("Failed to generate password, 'length' param cannot be negative")
	}
	length := params.Length
	if length == 0 {
		length = passwordLength
	}
	out := make([]byte, length)
	max := big.NewInt(int64(len(passwordAlphabet)))
	for i := range out {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		out[i] = passwordAlphabet[n.Int64()]
	}
	return string(out), nil
}

// decodeOptions decodes a variable's options into params, refusing any
// option not in supported, as the bosh CLI's generators do ("Unsupported
// parameter").
func decodeOptions(options any, params any, supported ...string) error {
	if options == nil {
		return nil
	}
	m, ok := options.(map[string]any)
	if !ok {
		return fmt.Errorf("options must be a map of %v, not %v", supported, options)
	}
	for key := range m {
		if !slices.Contains(supported, key) {
			return fmt.Errorf("Unsupported parameter '%s' (the bosh CLI takes %v)", key, supported)
		}
	}
	data, err := yaml.Marshal(options)
	if err != nil {
		return fmt.Errorf("reading options: %w", err)
	}
	if err := yaml.Unmarshal(data, params); err != nil {
		return fmt.Errorf("options must be a map of %v: %w", supported, err)
	}
	return nil
}
