package snapshot

import (
	"bytes"
	"crypto/rand"
	"io"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// The chunked format's edges (chunk boundaries, reordering), which the
// exported API does not reach.
var _ = Describe("the encrypted format", func() {
	randomBytes := func(n int) []byte {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return b
	}
	seal := func(key, plain []byte) []byte {
		var buf bytes.Buffer
		e, err := newEncrypter(&buf, key)
		Expect(err).NotTo(HaveOccurred())
		for p := plain; len(p) > 0; { // odd-sized writes cross chunk boundaries
			n := min(len(p), 1000)
			_, err := e.Write(p[:n])
			Expect(err).NotTo(HaveOccurred())
			p = p[n:]
		}
		Expect(e.Close()).To(Succeed())
		return buf.Bytes()
	}
	open := func(key, sealed []byte) ([]byte, error) {
		d, err := newDecrypter(bytes.NewReader(sealed), key)
		if err != nil {
			return nil, err
		}
		return io.ReadAll(d)
	}
	key := randomBytes(32)

	DescribeTable("round-trips, with a fresh header for every file", func(n int) {
		plain := randomBytes(n)
		sealed := seal(key, plain)
		Expect(open(key, sealed)).To(Equal(plain))
		Expect(seal(key, plain)[:headerSize]).NotTo(Equal(sealed[:headerSize]))
	},
		Entry("empty", 0), Entry("one byte", 1), Entry("a chunk less one", chunkSize-1),
		Entry("one chunk", chunkSize), Entry("a chunk and a byte", chunkSize+1), Entry("several chunks", 3*chunkSize+5))

	full := chunkSize + gcmOverhead
	sealed := seal(key, randomBytes(3*chunkSize+5))
	changed := func(f func(b []byte)) []byte { b := bytes.Clone(sealed); f(b); return b }
	DescribeTable("fails authentication", func(k, b []byte) {
		_, err := open(k, b)
		Expect(err).To(MatchError(ErrAuthentication))
	},
		Entry("with a wrong key", randomBytes(32), sealed),
		Entry("with a byte flipped in a chunk", key, changed(func(b []byte) { b[headerSize+full+10] ^= 1 })),
		Entry("with the salt changed", key, changed(func(b []byte) { b[headerSize-1] ^= 1 })),
		Entry("cut at a chunk boundary", key, sealed[:headerSize+2*full]),
		Entry("with the last chunk dropped", key, sealed[:headerSize+3*full]),
		Entry("with two chunks swapped", key, changed(func(b []byte) {
			c := bytes.Clone(b[headerSize : headerSize+full])
			copy(b[headerSize:], b[headerSize+full:headerSize+2*full])
			copy(b[headerSize+full:], c)
		})),
	)
})
