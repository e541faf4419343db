package vars

import (
	"crypto/rand"
	"math/big"
)

// The bosh CLI's generated passwords: 20 characters from a-z0-9. Letters and
// digits only also keep them safe in monit's config grammar.
const (
	passwordLength   = 20
	passwordAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
)

func generatePassword() (string, error) {
	out := make([]byte, passwordLength)
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
