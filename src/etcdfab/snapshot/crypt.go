package snapshot

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The encrypted format streams: a header, then the plaintext in chunks of
// chunkSize sealed one by one with AES-256-GCM.
//
//	header = magic (8 bytes) | nonce prefix (7 random bytes) | key salt (16 random bytes)
//	chunk  = AES-256-GCM(subkey, nonce = prefix | chunk counter (4 bytes, big endian) | last (1 byte),
//	                     additional data = header)
//
// The subkey is HKDF-SHA256 of the configured key with the file's salt, so
// no two files share a key and nonce even if their prefixes collide. The
// last chunk (possibly empty) is sealed with last = 1: a file cut at a chunk
// boundary, reordered chunks, a changed header or a wrong key all fail
// authentication.
const (
	magic       = "EFSNAP01"
	prefixSize  = 7
	saltSize    = 16
	headerSize  = len(magic) + prefixSize + saltSize
	chunkSize   = 64 << 10
	keySize     = 32
	hkdfInfo    = "etcdfab snapshot AES-256-GCM v1"
	maxChunks   = 1<<32 - 1
	gcmOverhead = 16
)

// ErrAuthentication: the encrypted object does not open with the key.
var ErrAuthentication = errors.New("authentication failed: the encryption key is wrong or the snapshot was tampered with")

func newAEAD(key, salt []byte) (cipher.AEAD, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("encryption key is %d bytes, not 32", len(key))
	}
	sub, err := hkdf.Key(sha256.New, key, salt, hkdfInfo, keySize)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sub)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func chunkNonce(prefix []byte, counter uint32, last bool) []byte {
	n := make([]byte, 0, 12)
	n = append(n, prefix...)
	n = binary.BigEndian.AppendUint32(n, counter)
	if last {
		return append(n, 1)
	}
	return append(n, 0)
}

// encrypter seals what is written to it onto w; Close seals the last chunk.
type encrypter struct {
	w       io.Writer
	aead    cipher.AEAD
	header  []byte
	prefix  []byte
	buf     []byte
	counter uint32
	started bool
}

func newEncrypter(w io.Writer, key []byte) (*encrypter, error) {
	header := make([]byte, headerSize)
	copy(header, magic)
	if _, err := rand.Read(header[len(magic):]); err != nil {
		return nil, err
	}
	aead, err := newAEAD(key, header[len(magic)+prefixSize:])
	if err != nil {
		return nil, err
	}
	return &encrypter{w: w, aead: aead, header: header, prefix: header[len(magic) : len(magic)+prefixSize], buf: make([]byte, 0, chunkSize)}, nil
}

func (e *encrypter) Write(p []byte) (int, error) {
	if !e.started {
		if _, err := e.w.Write(e.header); err != nil {
			return 0, err
		}
		e.started = true
	}
	n := 0
	for len(p) > 0 {
		if len(e.buf) == chunkSize {
			// More follows, so the full buffer is not the last chunk.
			if err := e.seal(false); err != nil {
				return n, err
			}
		}
		k := copy(e.buf[len(e.buf):chunkSize], p)
		e.buf = e.buf[:len(e.buf)+k]
		p = p[k:]
		n += k
	}
	return n, nil
}

func (e *encrypter) seal(last bool) error {
	if e.counter == maxChunks {
		return errors.New("snapshot too large to encrypt")
	}
	out := e.aead.Seal(nil, chunkNonce(e.prefix, e.counter, last), e.buf, e.header)
	e.counter++
	e.buf = e.buf[:0]
	_, err := e.w.Write(out)
	return err
}

func (e *encrypter) Close() error {
	if !e.started {
		if _, err := e.w.Write(e.header); err != nil {
			return err
		}
		e.started = true
	}
	return e.seal(true)
}

// decrypter opens what newEncrypter wrote.
type decrypter struct {
	r       *bufio.Reader
	aead    cipher.AEAD
	header  []byte
	prefix  []byte
	counter uint32
	plain   []byte
	chunk   []byte
	done    bool
}

func newDecrypter(r io.Reader, key []byte) (*decrypter, error) {
	br := bufio.NewReaderSize(r, chunkSize+gcmOverhead+1)
	header := make([]byte, headerSize)
	if _, err := io.ReadFull(br, header); err != nil || string(header[:len(magic)]) != magic {
		return nil, errors.New("not an encrypted etcdfab snapshot (its header is missing or wrong)")
	}
	aead, err := newAEAD(key, header[len(magic)+prefixSize:])
	if err != nil {
		return nil, err
	}
	return &decrypter{r: br, aead: aead, header: header, prefix: header[len(magic) : len(magic)+prefixSize], chunk: make([]byte, chunkSize+gcmOverhead)}, nil
}

func (d *decrypter) Read(p []byte) (int, error) {
	for len(d.plain) == 0 {
		if d.done {
			return 0, io.EOF
		}
		if err := d.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, d.plain)
	d.plain = d.plain[n:]
	return n, nil
}

func (d *decrypter) next() error {
	n, err := io.ReadFull(d.r, d.chunk)
	last := false
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		last = true
	case err != nil:
		return err
	default:
		if _, perr := d.r.Peek(1); errors.Is(perr, io.EOF) {
			last = true
		} else if perr != nil {
			return perr
		}
	}
	plain, err := d.aead.Open(d.chunk[:0:0], chunkNonce(d.prefix, d.counter, last), d.chunk[:n], d.header)
	if err != nil {
		return ErrAuthentication
	}
	d.counter++
	d.plain = plain
	d.done = last
	return nil
}
