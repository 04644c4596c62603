// Package blob stores opaque byte objects under string keys: the evidence
// vault's encrypted items, whatever their size. Two backends implement
// Store: FS, a directory on a local filesystem (the default), and S3, a
// bucket on any S3-compatible object store. Open picks one from a location
// string.
//
// A blob store never sees plaintext: callers encrypt before Put and decrypt
// after Get. What a Store promises is narrow and the same for every backend
// (the shared suite in blobtest checks it):
//
//   - Put is atomic. Readers see the old object or the new one, never part
//     of one, and a Put that fails (its reader fails, its context ends, the
//     backend fails) leaves no object and does not disturb an object that
//     was already there.
//   - Get, GetRange and Stat of a missing key return an error wrapping
//     ErrNotFound; Delete of a missing key succeeds.
//   - List reports keys in increasing byte order.
//   - Every key is checked by CheckKey; a bad key is refused with an error
//     wrapping ErrInvalidKey before anything is touched.
//
// Keys are path-like ("items/3f/3fa9c2...") and behave as paths on a
// filesystem do: a key may not also be a directory of other keys ("a" and
// "a/b" cannot both exist on every backend). Put of such a key fails on the
// filesystem backend and on some S3 servers; callers must not create such
// pairs.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// ErrNotFound is wrapped by the error that Get, GetRange and Stat return when
// no object has the key. Check it with errors.Is.
var ErrNotFound = errors.New("blob: not found")

// ErrInvalidKey is wrapped by the error every Store method returns for a key
// that CheckKey refuses.
var ErrInvalidKey = errors.New("blob: invalid key")

// MaxKeyLen is the longest key, in bytes, and MaxSegmentLen the longest
// segment between slashes (the usual file name limit, so that a key maps to a
// path on any filesystem).
const (
	MaxKeyLen     = 256
	MaxSegmentLen = 255
)

// Info describes a stored object.
type Info struct {
	Key      string
	Size     int64     // in bytes
	Modified time.Time // when the object was last put, as the backend records it
}

// Putter stores objects.
type Putter interface {
	// Put stores everything read from r, up to io.EOF, as the object named
	// key, replacing any object already there, and returns the number of
	// bytes stored.
	//
	// Put is atomic: until it returns, readers see the previous object (or
	// none); afterwards, the new one. If r returns an error, ctx ends or the
	// backend fails, Put returns an error (wrapping r's error when that was
	// the cause), stores nothing and leaves a previous object as it was.
	// Objects of any size are streamed: Put never holds a whole object in
	// memory.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
}

// Getter reads objects.
type Getter interface {
	// Get opens the object named key for reading. The caller must close the
	// reader. If there is no such object, Get itself (not the first Read)
	// returns an error wrapping ErrNotFound.
	//
	// The reader delivers the object as it was when Get was called, even if
	// it is replaced meanwhile, or fails with an error; it never mixes two
	// versions.
	Get(ctx context.Context, key string) (io.ReadCloser, error)

	// GetRange is Get for at most n bytes starting at byte off, for resumed
	// downloads and partial reads. A negative n means "to the end". The
	// reader delivers fewer than n bytes if the object ends first, and none
	// if off is at or past its end; that is not an error. A negative off is
	// an error. If there is no such object, GetRange returns an error
	// wrapping ErrNotFound.
	GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error)
}

// Statter describes objects without reading them.
type Statter interface {
	// Stat returns the size and modification time of the object named key,
	// or an error wrapping ErrNotFound if there is none.
	Stat(ctx context.Context, key string) (Info, error)
}

// Deleter removes objects.
type Deleter interface {
	// Delete removes the object named key. Deleting a key that has no
	// object is not an error, so that a retried or repeated deletion (the
	// retention worker's, say) succeeds: Delete returns nil once the object
	// is gone, whoever removed it.
	Delete(ctx context.Context, key string) error
	// DeleteAll removes the objects named keys, as Delete does each, but
	// in fewer round trips and syncs: the retention sweep deletes
	// thousands at once. It tries every key; its error joins those of the
	// keys it could not delete.
	DeleteAll(ctx context.Context, keys []string) error
}

// Lister enumerates objects.
type Lister interface {
	// List calls fn with every object whose key starts with prefix, in
	// increasing byte order of key. The prefix need not be a key itself
	// ("items/", "items/3f", or "" for everything). If fn returns an
	// error, List stops and returns that error as it is. Objects put or
	// deleted while List runs may or may not be reported.
	List(ctx context.Context, prefix string, fn func(Info) error) error
}

// Store is everything a blob backend does. Code that needs less should take
// the narrower interface (a reader of evidence takes a Getter).
type Store interface {
	Putter
	Getter
	Statter
	Deleter
	Lister
}

// CheckKey reports whether key is a valid object key, with an error wrapping
// ErrInvalidKey if not. A key:
//
//   - is 1 to MaxKeyLen bytes of lower-case ASCII letters, digits, and
//     '/', '-', '_', '.';
//   - is made of segments separated by single slashes, none empty (so no
//     leading, trailing or doubled '/'), none "." and none longer than
//     MaxSegmentLen bytes;
//   - does not contain "..".
func CheckKey(key string) error {
	bad := func(why string) error {
		shown := key
		if len(shown) > 80 {
			shown = shown[:80] + "..."
		}
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, shown, why)
	}
	switch {
	case key == "":
		return bad("empty")
	case len(key) > MaxKeyLen:
		return bad(fmt.Sprintf("longer than %d bytes", MaxKeyLen))
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '/' || c == '-' || c == '_' || c == '.') {
			return bad(fmt.Sprintf("byte %#02x at %d is not one of a-z 0-9 / - _ .", c, i))
		}
	}
	if strings.Contains(key, "..") {
		return bad(`contains ".."`)
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return bad("empty segment (leading, trailing or doubled '/')")
		case seg == ".":
			return bad(`segment "."`)
		case len(seg) > MaxSegmentLen:
			return bad(fmt.Sprintf("segment longer than %d bytes", MaxSegmentLen))
		}
	}
	return nil
}

// emptyReader is what GetRange returns for a range past the end.
func emptyReader() io.ReadCloser { return io.NopCloser(strings.NewReader("")) }

// ctxReader fails with ctx's error once ctx ends, so that a Put copying
// from a slow reader notices a cancelled request between reads.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
