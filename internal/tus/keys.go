package tus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/streamingaead"
	"github.com/tink-crypto/tink-go/v2/tink"
)

// uploadKey is one upload's own key: Tink's AES-256-GCM-HKDF streaming
// AEAD with 1 MiB segments. It encrypts the upload's metadata and chunks.
type uploadKey struct {
	h  *keyset.Handle
	sa tink.StreamingAEAD
}

func newUploadKey() (uploadKey, error) {
	h, err := keyset.NewHandle(streamingaead.AES256GCMHKDF1MBKeyTemplate())
	if err != nil {
		return uploadKey{}, fmt.Errorf("tus: new upload key: %w", err)
	}
	return keyFromHandle(h)
}

func keyFromHandle(h *keyset.Handle) (uploadKey, error) {
	sa, err := streamingaead.New(h)
	if err != nil {
		return uploadKey{}, fmt.Errorf("tus: upload key: %w", err)
	}
	return uploadKey{h: h, sa: sa}, nil
}

// Associated data binds each ciphertext to its upload and its use, so that
// one upload's chunk cannot pass for another's, nor be moved within one.
func keyAD(id string) []byte      { return []byte("vigil upload key " + id) }
func metadataAD(id string) []byte { return []byte("vigil upload metadata " + id) }
func chunkAD(id string, seq, start int64) []byte {
	return []byte("vigil upload chunk " + id + " " + strconv.FormatInt(seq, 10) + " " + strconv.FormatInt(start, 10))
}

// wrap encrypts the key under kek, bound to the upload's ID.
func (k uploadKey) wrap(kek tink.AEAD, id string) ([]byte, error) {
	var buf bytes.Buffer
	if err := k.h.WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), kek, keyAD(id)); err != nil {
		return nil, fmt.Errorf("tus: wrap upload key: %w", err)
	}
	return buf.Bytes(), nil
}

// unwrapKey decrypts an upload's key; it fails if the key was wrapped for
// another upload.
func unwrapKey(kek tink.AEAD, id string, wrapped []byte) (uploadKey, error) {
	h, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(wrapped)), kek, keyAD(id))
	if err != nil {
		return uploadKey{}, fmt.Errorf("tus: unwrap upload key: %w", err)
	}
	return keyFromHandle(h)
}

// sealMetadata encrypts the metadata map as JSON.
func (k uploadKey) sealMetadata(id string, md map[string]string) ([]byte, error) {
	plain, err := json.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("tus: metadata: %w", err)
	}
	var buf bytes.Buffer
	w, err := k.sa.NewEncryptingWriter(&buf, metadataAD(id))
	if err != nil {
		return nil, fmt.Errorf("tus: seal metadata: %w", err)
	}
	if _, err := w.Write(plain); err != nil {
		return nil, fmt.Errorf("tus: seal metadata: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("tus: seal metadata: %w", err)
	}
	return buf.Bytes(), nil
}

// openMetadata decrypts what sealMetadata made.
func (k uploadKey) openMetadata(id string, sealed []byte) (map[string]string, error) {
	r, err := k.sa.NewDecryptingReader(bytes.NewReader(sealed), metadataAD(id))
	if err != nil {
		return nil, fmt.Errorf("tus: open metadata: %w", err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("tus: open metadata: %w", err)
	}
	md := map[string]string{}
	if err := json.Unmarshal(plain, &md); err != nil {
		return nil, fmt.Errorf("tus: open metadata: %w", err)
	}
	return md, nil
}
