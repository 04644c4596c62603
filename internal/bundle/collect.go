package bundle

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"filippo.io/age"
)

// summary is what one pass over a file learnt: its size and SHA-256, its
// bytes if it is a metadata file, and for encrypted content, what
// decrypting it gave.
type summary struct {
	size  int64
	sha   [32]byte
	data  []byte
	plain *plainSum
}

// plainSum is the size and SHA-256 of decrypted content, or why it could
// not be decrypted.
type plainSum struct {
	size int64
	sha  [32]byte
	err  error
}

// collector reads each file of a bag once, in a stream, keeping only
// metadata files in memory (within limits) and decrypting encrypted content
// on the way through when it has identities.
type collector struct {
	ids   []age.Identity
	files map[string]*summary
	kept  int64
	buf   []byte
}

// newCollector makes a collector for a bag of about total bytes (which
// only sizes its buffer).
func newCollector(ids []age.Identity, total int64) *collector {
	return &collector{ids: ids, files: map[string]*summary{}, buf: make([]byte, max(512, min(256<<10, total)))}
}

// keepLimit says whether a file is metadata to keep in memory, and its
// largest allowed size.
func keepLimit(p string) (bool, int64) {
	switch {
	case p == manifestTxt:
		return true, maxManifest
	case isTag(p), p == checkpointFile, strings.HasPrefix(p, custodyDir):
		return true, maxSmall
	case strings.HasPrefix(p, itemsDir) && path.Base(p) == itemJSON:
		return true, maxSmall
	}
	return false, 0
}

// add reads the file p of the given size from r, which must hold exactly
// that many bytes.
func (c *collector) add(p string, size int64, r io.Reader) error {
	keep, limit := keepLimit(p)
	if keep && size > limit {
		return &VerifyError{File: p, Check: "container", Msg: fmt.Sprintf("it is %d bytes, more than the %d a file of its kind may hold", size, limit)}
	}
	if keep {
		if c.kept += size; c.kept > maxKept {
			return &VerifyError{File: p, Check: "container", Msg: fmt.Sprintf("the bundle's metadata files add up to more than %d bytes", maxKept)}
		}
	}
	s := &summary{size: size}
	h := sha256.New()
	ws := []io.Writer{h}
	var data *bytes.Buffer
	if keep {
		data = bytes.NewBuffer(make([]byte, 0, size))
		ws = append(ws, data)
	}
	var dec *decrypter
	if !keep && len(c.ids) > 0 && strings.HasPrefix(p, itemsDir) && strings.HasSuffix(p, ageSuffix) {
		dec = startDecrypt(c.ids)
		defer dec.finish() // on an early return; finish is idempotent
		ws = append(ws, dec)
	}
	n, err := io.CopyBuffer(io.MultiWriter(ws...), io.LimitReader(r, size), c.buf)
	if err != nil {
		var ve *VerifyError
		if errors.As(err, &ve) {
			return err
		}
		return fmt.Errorf("bundle: read %s: %w", p, err)
	}
	if n != size {
		return &VerifyError{File: p, Check: "container", Msg: fmt.Sprintf("it ends after %d of its %d bytes: it is truncated", n, size)}
	}
	h.Sum(s.sha[:0])
	if keep {
		s.data = data.Bytes()
	}
	if dec != nil {
		s.plain = dec.finish()
	}
	c.files[p] = s
	return nil
}

// decrypter decrypts an age file written to it, in a goroutine, and hashes
// the plaintext. It never fails a write: a decryption error is the
// content's, reported by finish.
type decrypter struct {
	pw     *io.PipeWriter
	done   chan plainSum
	failed bool
	result *plainSum
}

var errDecrypted = errors.New("decryption finished")

func startDecrypt(ids []age.Identity) *decrypter {
	pr, pw := io.Pipe()
	d := &decrypter{pw: pw, done: make(chan plainSum, 1)}
	go func() {
		var s plainSum
		h := sha256.New()
		r, err := age.Decrypt(pr, ids...)
		if err == nil {
			s.size, err = io.Copy(h, r)
		}
		s.err = err
		h.Sum(s.sha[:0])
		pr.CloseWithError(errDecrypted) // unblock the writer if it is not done
		d.done <- s
	}()
	return d
}

func (d *decrypter) Write(p []byte) (int, error) {
	if !d.failed {
		if _, err := d.pw.Write(p); err != nil {
			d.failed = true
		}
	}
	return len(p), nil
}

// finish ends the ciphertext and returns what decryption gave.
func (d *decrypter) finish() *plainSum {
	if d.result == nil {
		d.pw.Close()
		s := <-d.done
		if d.failed && s.err == nil {
			s.err = errors.New("the encrypted content has data after its end")
		}
		d.result = &s
	}
	return d.result
}
