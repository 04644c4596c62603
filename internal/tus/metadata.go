package tus

import (
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits on Upload-Metadata, so that one header cannot make the server
// seal and store an unbounded map.
const (
	// MaxMetadataPairs is the most keys Upload-Metadata may carry.
	MaxMetadataPairs = 32
	// MaxMetadataKey is the longest key, in bytes.
	MaxMetadataKey = 64
	// MaxMetadataValue is the longest decoded value, in bytes.
	MaxMetadataValue = 2048
	// MaxMetadataHeader is the longest Upload-Metadata header, in bytes.
	MaxMetadataHeader = 16 << 10
)

// ErrMetadata is wrapped by every error ParseMetadata returns.
var ErrMetadata = errors.New("invalid Upload-Metadata")

// ParseMetadata parses an Upload-Metadata header: comma-separated pairs of
// a key and its value in standard base64 (padded or not), separated by a
// space; a key alone has the empty value. Keys are 1 to MaxMetadataKey
// printable ASCII characters other than space and comma; values must
// decode to UTF-8 text. Duplicate keys, empty entries and anything beyond
// the Max* limits are errors wrapping ErrMetadata, whose text says what is
// wrong. An empty header is an empty map.
func ParseMetadata(h string) (map[string]string, error) {
	md := map[string]string{}
	if strings.TrimSpace(h) == "" {
		return md, nil
	}
	if len(h) > MaxMetadataHeader {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrMetadata, MaxMetadataHeader)
	}
	for i, pair := range strings.Split(h, ",") {
		pair = strings.Trim(pair, " \t")
		if pair == "" {
			return nil, fmt.Errorf("%w: entry %d is empty", ErrMetadata, i+1)
		}
		key, enc, _ := strings.Cut(pair, " ")
		enc = strings.Trim(enc, " \t")
		if err := checkMetadataKey(key); err != nil {
			return nil, err
		}
		if _, dup := md[key]; dup {
			return nil, fmt.Errorf("%w: key %q appears twice", ErrMetadata, key)
		}
		if len(md) == MaxMetadataPairs {
			return nil, fmt.Errorf("%w: more than %d keys", ErrMetadata, MaxMetadataPairs)
		}
		val, err := decodeBase64(enc)
		if err != nil {
			return nil, fmt.Errorf("%w: the value of %q is not base64", ErrMetadata, key)
		}
		if len(val) > MaxMetadataValue {
			return nil, fmt.Errorf("%w: the value of %q is longer than %d bytes", ErrMetadata, key, MaxMetadataValue)
		}
		if !utf8.Valid(val) {
			return nil, fmt.Errorf("%w: the value of %q is not UTF-8 text", ErrMetadata, key)
		}
		md[key] = string(val)
	}
	return md, nil
}

func checkMetadataKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: an entry has no key", ErrMetadata)
	}
	if len(key) > MaxMetadataKey {
		return fmt.Errorf("%w: key %.16q... is longer than %d bytes", ErrMetadata, key, MaxMetadataKey)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c >= 0x7f || c == ',' {
			return fmt.Errorf("%w: key %q: keys are printable ASCII without spaces or commas", ErrMetadata, key)
		}
	}
	return nil
}

func decodeBase64(s string) ([]byte, error) {
	if len(s)%4 == 0 {
		return base64.StdEncoding.Strict().DecodeString(s)
	}
	return base64.RawStdEncoding.Strict().DecodeString(s)
}

// FormatMetadata writes md as an Upload-Metadata header, keys sorted. It
// does not check md against ParseMetadata's rules: the server does.
func FormatMetadata(md map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(md)) {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		if v := md[k]; v != "" {
			b.WriteByte(' ')
			b.WriteString(base64.StdEncoding.EncodeToString([]byte(v)))
		}
	}
	return b.String()
}
