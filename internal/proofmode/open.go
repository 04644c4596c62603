package proofmode

import (
	"fmt"
	"io"
	"io/fs"
)

// OpenMedia returns a reader for the media file called name (a
// Media.Name from Check) inside the bundle, and the file's size, so that it
// can be ingested as an item. The bundle is opened under the same limits as
// by Check; reading fails with an error wrapping ErrInvalid if the file
// inflates to more or fewer bytes than its size.
//
// OpenMedia checks nothing of the file's signature or proof: call Check
// first, and compare the SHA-256 of what is read with Media.SHA256, as r
// may have changed in between. A name that is not one of the bundle's media
// files gives an error wrapping fs.ErrNotExist. The caller closes the
// reader.
func OpenMedia(r io.ReaderAt, size int64, name string) (io.ReadCloser, int64, error) {
	b, err := openBundle(r, size)
	if err != nil {
		return nil, 0, err
	}
	if !b.isMedia(name) {
		return nil, 0, fmt.Errorf("proofmode: no media file %q in the bundle: %w", name, fs.ErrNotExist)
	}
	rc, err := b.open(name)
	if err != nil {
		return nil, 0, err
	}
	return rc, int64(rc.declared), nil
}
