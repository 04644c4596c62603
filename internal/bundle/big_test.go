package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/vigil-project/vigil/internal/ledger"
)

// zeros reads n zero bytes.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := int(min(int64(len(p)), z.n))
	clear(p[:k])
	z.n -= int64(k)
	return k, nil
}

func (z *zeros) Close() error { return nil }

// TestBigItem writes and verifies a bundle with an item over 4 GiB, so
// that the ZIP needs ZIP64 records, and checks that memory stays bounded.
// It takes a minute and 9 GiB of disk, so it runs only when asked:
// VIGIL_TEST_BIG=1 go test -run TestBigItem ./internal/bundle/
// (VIGIL_TEST_BIG_DIR=dir keeps the bundles in dir).
func TestBigItem(t *testing.T) {
	if os.Getenv("VIGIL_TEST_BIG") == "" {
		t.Skip("set VIGIL_TEST_BIG=1 to write and verify a bundle of a 4 GiB item")
	}
	const size = 4<<30 + 12345
	start := time.Now()
	h := sha256.New()
	io.Copy(h, &zeros{size})
	salt := []byte("0123456789abcdef")
	m := ItemMeta{ID: "itm_big", Class: "video", MediaType: "video/mp4", Filename: "big.mp4", Size: size,
		SHA256: hex.EncodeToString(h.Sum(nil)), Salt: hex.EncodeToString(salt)}
	m.Commitment = "sha256:" + ledger.Commitment("item_content", salt, m.SHA256)
	small := testItem("itm_small", "photo", "image/jpeg", "", pattern("small", 1000))
	f := newFixtureOf(t, Item{Meta: m, Open: func() (io.ReadCloser, error) { return &zeros{size}, nil }}, small)
	id, _ := age.GenerateX25519Identity()

	for _, tc := range []struct {
		name       string
		recipients []age.Recipient
		ids        []age.Identity
	}{
		{"plain", nil, nil},
		{"encrypted", []age.Recipient{id.Recipient()}, []age.Identity{id}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := os.Getenv("VIGIL_TEST_BIG_DIR") // to keep the bundles, for other tools
			if dir == "" {
				dir = t.TempDir()
			}
			path := filepath.Join(dir, tc.name+".zip")
			out, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			begin := time.Now()
			if err := Write(out, f.bundle, f.signer, tc.recipients, nil); err != nil {
				t.Fatal(err)
			}
			if err := out.Close(); err != nil {
				t.Fatal(err)
			}
			wrote := time.Since(begin)
			in, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			fi, _ := in.Stat()
			begin = time.Now()
			var peak uint64
			done := make(chan struct{})
			go func() {
				var ms runtime.MemStats
				for {
					select {
					case <-done:
						return
					case <-time.After(100 * time.Millisecond):
						runtime.ReadMemStats(&ms)
						peak = max(peak, ms.HeapInuse)
					}
				}
			}()
			rep, err := Verify(in, fi.Size(), f.verifier, tc.ids, nil)
			close(done)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Items[0].Checked || rep.Items[0].Meta.Size != size {
				t.Errorf("big item not checked: %+v", rep.Items[0])
			}
			t.Logf("%d-byte bundle: written in %v, verified in %v, peak heap in use while verifying %d MiB", fi.Size(), wrote, time.Since(begin), peak>>20)
			if peak > 256<<20 {
				t.Errorf("Verify used %d MiB of heap", peak>>20)
			}
			// One byte flipped in the ZIP64 end records must be caught.
			buf := make([]byte, 1)
			for _, off := range []int64{fi.Size() - eocdLen - eocd64LocLen - 20, fi.Size() - eocdLen - 8} {
				mut, _ := os.OpenFile(path, os.O_RDWR, 0)
				mut.ReadAt(buf, off)
				buf[0] ^= 1
				mut.WriteAt(buf, off)
				_, err := Verify(in, fi.Size(), f.verifier, nil, nil)
				mustFail(t, err, "container")
				buf[0] ^= 1
				mut.WriteAt(buf, off)
				mut.Close()
			}
		})
	}
	t.Logf("total %v", time.Since(start))
}
