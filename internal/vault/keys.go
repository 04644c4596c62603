package vault

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/tink-crypto/tink-go/v2/aead"
	"github.com/tink-crypto/tink-go/v2/insecurecleartextkeyset"
	"github.com/tink-crypto/tink-go/v2/keyset"
	gcmhkdfpb "github.com/tink-crypto/tink-go/v2/proto/aes_gcm_hkdf_streaming_go_proto"
	commonpb "github.com/tink-crypto/tink-go/v2/proto/common_go_proto"
	tinkpb "github.com/tink-crypto/tink-go/v2/proto/tink_go_proto"
	"github.com/tink-crypto/tink-go/v2/streamingaead"
	"github.com/tink-crypto/tink-go/v2/tink"
	"google.golang.org/protobuf/proto"
)

// KEK wraps and unwraps item keys. It is a tink.AEAD: the local key file
// LocalKEK reads, or a KMS client (Google Cloud KMS, AWS KMS, HashiCorp
// Vault all have Tink AEAD clients), so that item keys are never stored
// in the clear.
type KEK = tink.AEAD

// kekFile is the local key-encryption key in the key directory.
const kekFile = "vault-kek.json"

// LocalKEK reads the key-encryption key from dir, creating it (mode 0600)
// if there is none. Anyone who holds this file and the database can
// decrypt every item not yet destroyed: keep it as carefully as the log's
// signing key, and prefer a KMS in production.
func LocalKEK(dir string) (KEK, error) {
	path := filepath.Join(dir, kekFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		h, err := keyset.NewHandle(aead.AES256GCMKeyTemplate())
		if err != nil {
			return nil, fmt.Errorf("vault: new key-encryption key: %w", err)
		}
		var buf bytes.Buffer
		if err := insecurecleartextkeyset.Write(h, keyset.NewJSONWriter(&buf)); err != nil {
			return nil, fmt.Errorf("vault: %w", err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("vault: %w", err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("vault: %w", err)
		}
		if _, err := f.Write(buf.Bytes()); err != nil {
			f.Close()
			return nil, fmt.Errorf("vault: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("vault: %w", err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("vault: %w", err)
		}
		return aead.New(h)
	}
	if err != nil {
		return nil, fmt.Errorf("vault: read key-encryption key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("vault: %s is readable by others (mode %v): chmod 600 it", path, fi.Mode().Perm())
	}
	h, err := insecurecleartextkeyset.Read(keyset.NewJSONReader(bytes.NewReader(b)))
	if err != nil {
		return nil, fmt.Errorf("vault: key-encryption key %s: %w", path, err)
	}
	return aead.New(h)
}

// itemKey is one item's own key: Tink's AES-256-GCM-HKDF streaming AEAD
// with 64 KiB segments, for files of any size read in one pass. (Tink's
// 1 MiB template makes every writer allocate and clear 2 MiB, twice an
// item with its metadata: most of the cost of ingesting a photo. Keys made
// with it still read: a keyset carries its parameters.)
type itemKey struct {
	h *keyset.Handle
}

// itemKeyTemplate is AES-256-GCM-HKDF (HKDF-SHA256, 32-byte derived
// keys) with 64 KiB ciphertext segments.
var itemKeyTemplate = func() *tinkpb.KeyTemplate {
	format, err := proto.Marshal(&gcmhkdfpb.AesGcmHkdfStreamingKeyFormat{
		KeySize: 32,
		Params: &gcmhkdfpb.AesGcmHkdfStreamingParams{
			CiphertextSegmentSize: 64 << 10,
			DerivedKeySize:        32,
			HkdfHashType:          commonpb.HashType_SHA256,
		},
	})
	if err != nil {
		panic(err)
	}
	return &tinkpb.KeyTemplate{TypeUrl: "type.googleapis.com/google.crypto.tink.AesGcmHkdfStreamingKey", Value: format, OutputPrefixType: tinkpb.OutputPrefixType_RAW}
}()

func newItemKey() (itemKey, error) {
	h, err := keyset.NewHandle(itemKeyTemplate)
	if err != nil {
		return itemKey{}, fmt.Errorf("vault: new item key: %w", err)
	}
	return itemKey{h}, nil
}

// wrap encrypts the key under kek, bound to the item's ID.
func (k itemKey) wrap(kek KEK, itemID string) ([]byte, error) {
	var buf bytes.Buffer
	if err := k.h.WriteWithAssociatedData(keyset.NewBinaryWriter(&buf), kek, []byte("vigil item key "+itemID)); err != nil {
		return nil, fmt.Errorf("vault: wrap item key: %w", err)
	}
	return buf.Bytes(), nil
}

// unwrapItemKey decrypts an item's key; it fails if the key was wrapped
// for another item.
func unwrapItemKey(kek KEK, itemID string, wrapped []byte) (itemKey, error) {
	h, err := keyset.ReadWithAssociatedData(keyset.NewBinaryReader(bytes.NewReader(wrapped)), kek, []byte("vigil item key "+itemID))
	if err != nil {
		return itemKey{}, fmt.Errorf("vault: unwrap item key: %w", err)
	}
	return itemKey{h}, nil
}

func (k itemKey) streaming() (tink.StreamingAEAD, error) {
	return streamingaead.New(k.h)
}

// Associated data binds each ciphertext to its item and its use, so that a
// blob cannot be passed off as another item's, nor metadata as content.
func contentAD(itemID string) []byte   { return []byte("vigil item content " + itemID) }
func metadataAD(itemID string) []byte  { return []byte("vigil item metadata " + itemID) }
func proofmodeAD(itemID string) []byte { return []byte("vigil item proofmode " + itemID) }
