package vars

import (
	"fmt"

	"github.com/cloudfoundry-incubator/etcd-release/src/certs"
)

// generateCertificate makes a `certificate` variable with the certs package,
// signed by caValue (the value of the CA variable opts.CA names) if given.
func generateCertificate(opts certs.VariableOptions, caValue any) (map[string]any, error) {
	var ca *certs.Authority
	if opts.CA != "" {
		var err error
		if ca, err = loadAuthority(opts.CA, caValue); err != nil {
			return nil, err
		}
	}
	value, err := certs.GenerateVariable(opts, ca)
	if err != nil {
		return nil, err
	}
	return map[string]any{"ca": value.CA, "certificate": value.Certificate, "private_key": value.PrivateKey}, nil
}

// certificateParameters are the options the bosh CLI's certificate
// generator (config-server's types/certificate_generator.go) takes; any
// other is refused ("Unsupported parameter"), organizations among them,
// which its parameters struct has but its list of supported ones does not.
var certificateParameters = []string{"common_name", "organization", "alternative_names", "is_ca", "ca",
	"extended_key_usage", "duration", "key_length"}

// certificateOptions decodes generic options (is_ca, ca, common_name,
// organization, alternative_names, extended_key_usage, duration,
// key_length) by their YAML names.
func certificateOptions(options any) (certs.VariableOptions, error) {
	var opts certs.VariableOptions
	err := decodeOptions(options, &opts, certificateParameters...)
	return opts, err
}

func loadAuthority(name string, value any) (*certs.Authority, error) {
	m, _ := value.(map[string]any)
	cert, _ := m["certificate"].(string)
	key, _ := m["private_key"].(string)
	if cert == "" || key == "" {
		return nil, fmt.Errorf("CA '%s' must be a certificate value with 'certificate' and 'private_key'", name)
	}
	ca, err := certs.LoadAuthority([]byte(cert), []byte(key))
	if err != nil {
		return nil, fmt.Errorf("loading CA '%s': %w", name, err)
	}
	return ca, nil
}
