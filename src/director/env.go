package director

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// ConfigFromEnv reads the director settings the bosh CLI reads:
// BOSH_ENVIRONMENT (URL or host), BOSH_CLIENT, BOSH_CLIENT_SECRET and
// BOSH_CA_CERT (the CA's PEM, or a path to a file holding it).
// Pass os.Getenv, or a map lookup in tests.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		URL:      getenv("BOSH_ENVIRONMENT"),
		Username: getenv("BOSH_CLIENT"),
		Password: getenv("BOSH_CLIENT_SECRET"),
	}
	if strings.TrimSpace(cfg.URL) == "" {
		return Config{}, fmt.Errorf("BOSH_ENVIRONMENT is not set: export it as the director's address, for example https://10.244.0.1:25555")
	}
	ca := getenv("BOSH_CA_CERT")
	switch {
	case strings.TrimSpace(ca) == "":
	case strings.Contains(ca, "-----BEGIN"):
		cfg.CACert = []byte(ca)
	default:
		pem, err := os.ReadFile(ca)
		if err != nil {
			return Config{}, fmt.Errorf("reading BOSH_CA_CERT: it is neither a PEM certificate nor a readable file: %w", err)
		}
		if !bytes.Contains(pem, []byte("-----BEGIN")) {
			return Config{}, fmt.Errorf("BOSH_CA_CERT file %s holds no PEM certificate: point it at the director's CA certificate", ca)
		}
		cfg.CACert = pem
	}
	return cfg, nil
}
