package vault

import (
	"bytes"
	"io"
	"testing"

	"github.com/tink-crypto/tink-go/v2/keyset"
	"github.com/tink-crypto/tink-go/v2/streamingaead"
)

// TestItemKeysOfEitherSegmentSizeRead: items stored with Tink's 1 MiB
// template, as the first versions did, still read beside those stored
// with today's 64 KiB segments, and the segment size is what it says.
func TestItemKeysOfEitherSegmentSizeRead(t *testing.T) {
	kek, err := LocalKEK(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	plain := bytes.Repeat([]byte("evidence "), 300000) // 2.7 MB: several segments of either size
	old, err := keyset.NewHandle(streamingaead.AES256GCMHKDF1MBKeyTemplate())
	if err != nil {
		t.Fatal(err)
	}
	cur, err := newItemKey()
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[string]int{}
	for name, k := range map[string]itemKey{"1MiB": {old}, "64KiB": cur} {
		sa, err := k.streaming()
		if err != nil {
			t.Fatal(err)
		}
		var sealed bytes.Buffer
		w, err := sa.NewEncryptingWriter(&sealed, contentAD("itm_x"))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(plain)
		w.Close()
		sizes[name] = sealed.Len()
		wrapped, err := k.wrap(kek, "itm_x")
		if err != nil {
			t.Fatal(err)
		}
		back, err := unwrapItemKey(kek, "itm_x", wrapped)
		if err != nil {
			t.Fatal(err)
		}
		sb, _ := back.streaming()
		r, err := sb.NewDecryptingReader(bytes.NewReader(sealed.Bytes()), contentAD("itm_x"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%s: read back %d bytes, %v", name, len(got), err)
		}
	}
	// One 16-byte tag a segment: 64 KiB segments cost more tags.
	segments := func(n int) int { return (n - len(plain)) / 16 }
	if s := segments(sizes["64KiB"]); s < len(plain)/(64<<10) || s > len(plain)/(64<<10)+3 {
		t.Errorf("64 KiB key: %d bytes of overhead for %d bytes, not one tag per 64 KiB", sizes["64KiB"]-len(plain), len(plain))
	}
	if sizes["64KiB"] <= sizes["1MiB"] {
		t.Errorf("the 64 KiB key's ciphertext (%d) is no larger than the 1 MiB key's (%d): the template did not take", sizes["64KiB"], sizes["1MiB"])
	}
}
