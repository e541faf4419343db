package vars

import (
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
)

// rsaBits is the key size of generated `rsa` and `ssh` variables, as the
// bosh CLI documents (variable-types.md).
const rsaBits = 2048

// generateRSA makes an `rsa` variable: private_key (PKCS#1 PEM) and
// public_key (PKIX PEM).
func generateRSA() (map[string]any, error) {
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"private_key": privateKeyPEM(key),
		"public_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
	}, nil
}

// generateSSH makes an `ssh` variable: private_key (PKCS#1 PEM), public_key
// in authorized_keys form ("ssh-rsa AAAA...\n") and public_key_fingerprint,
// the MD5 fingerprint as colon-separated hex.
func generateSSH() (map[string]any, error) {
	key, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return nil, err
	}
	wire := sshRSAPublicKey(&key.PublicKey)
	sum := md5.Sum(wire)
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02x", b)
	}
	return map[string]any{
		"private_key":            privateKeyPEM(key),
		"public_key":             "ssh-rsa " + base64.StdEncoding.EncodeToString(wire) + "\n",
		"public_key_fingerprint": strings.Join(hexes, ":"),
	}, nil
}

func privateKeyPEM(key *rsa.PrivateKey) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
}

// sshRSAPublicKey is the SSH wire form of an RSA public key (RFC 4253
// section 6.6): the strings "ssh-rsa", e and n, each length-prefixed.
func sshRSAPublicKey(pub *rsa.PublicKey) []byte {
	var out []byte
	out = appendSSHString(out, []byte("ssh-rsa"))
	out = appendSSHString(out, mpint(big.NewInt(int64(pub.E))))
	return appendSSHString(out, mpint(pub.N))
}

func appendSSHString(out, s []byte) []byte {
	out = binary.BigEndian.AppendUint32(out, uint32(len(s)))
	return append(out, s...)
}

// mpint encodes a positive integer as SSH does: big-endian, with a leading
// zero byte when the top bit is set so it does not read as negative.
func mpint(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) > 0 && b[0]&0x80 != 0 {
		return append([]byte{0}, b...)
	}
	return b
}
