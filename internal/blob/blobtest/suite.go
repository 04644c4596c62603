// Package blobtest is the test suite that every blob.Store backend passes,
// in the manner of restic's internal/backend/test and perkeep's storagetest:
// a backend's tests call Run with a function that opens a fresh, empty store.
//
// The suite checks the contract written on blob.Store: round trips of
// objects from 0 bytes to several MiB (past S3's 5 MiB minimum part size,
// so that a backend configured with small parts uploads in several parts),
// ranges, Stat, idempotent Delete, List order and prefixes, ErrNotFound and
// ErrInvalidKey, atomicity of failed and concurrent Puts, and overwrites.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/vigil-project/vigil/internal/blob"
)

const (
	kib = 1 << 10
	mib = 1 << 20
)

// Run runs the suite as subtests of t. open is called once per subtest and
// must return a new, empty store, closing it (if needed) with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		f    func(t *testing.T, s blob.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"SmallReads", testSmallReads},
		{"GetRange", testGetRange},
		{"Stat", testStat},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"DeleteAll", testDeleteAll},
		{"List", testList},
		{"ListStops", testListStops},
		{"InvalidKeys", testInvalidKeys},
		{"KeyLimits", testKeyLimits},
		{"Overwrite", testOverwrite},
		{"FailedPut", testFailedPut},
		{"CanceledPut", testCanceledPut},
		{"ConcurrentPuts", testConcurrentPuts},
		{"ConcurrentPutsSameKey", testConcurrentPutsSameKey},
		{"ReadWhileReplacing", testReadWhileReplacing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if s == nil {
				t.Fatal("open returned no store")
			}
			tt.f(t, s)
		})
	}
}

// data returns n pseudo-random bytes, the same for the same n and seed.
func data(n int, seed uint64) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8), byte(n), byte(n >> 8), byte(n >> 16)}).Read(b)
	return b
}

// only hides every method but Read, so that a backend cannot take a
// shortcut (Seek, Len, WriteTo) that a network stream would not offer.
type only struct{ io.Reader }

func put(t *testing.T, s blob.Store, key string, b []byte) {
	t.Helper()
	n, err := s.Put(context.Background(), key, only{bytes.NewReader(b)})
	if err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", key, len(b), err)
	}
	if n != int64(len(b)) {
		t.Fatalf("Put(%q, %d bytes) = %d", key, len(b), n)
	}
}

func get(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	r, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("Get(%q): reading: %v", key, err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Get(%q): Close: %v", key, err)
	}
	return b
}

func getRange(t *testing.T, s blob.Store, key string, off, n int64) []byte {
	t.Helper()
	r, err := s.GetRange(context.Background(), key, off, n)
	if err != nil {
		t.Fatalf("GetRange(%q, %d, %d): %v", key, off, n, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("GetRange(%q, %d, %d): reading: %v", key, off, n, err)
	}
	return b
}

// same reports whether got is want, describing the difference if not.
func same(got, want []byte) (bool, string) {
	if bytes.Equal(got, want) {
		return true, ""
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return false, fmt.Sprintf("got %d bytes (sha256 %x), want %d bytes (sha256 %x); first difference at byte %d",
		len(got), sha256.Sum256(got), len(want), sha256.Sum256(want), i)
}

func checkGet(t *testing.T, s blob.Store, key string, want []byte) {
	t.Helper()
	if ok, diff := same(get(t, s, key), want); !ok {
		t.Errorf("Get(%q): %s", key, diff)
	}
}

func keys(t *testing.T, s blob.Store, prefix string) []string {
	t.Helper()
	var got []string
	err := s.List(context.Background(), prefix, func(i blob.Info) error {
		got = append(got, i.Key)
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return got
}

func wantNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("%s: error %v, want one wrapping blob.ErrNotFound", what, err)
	}
}

func testRoundTrip(t *testing.T, s blob.Store) {
	for i, n := range []int{0, 1, 5, 4*kib + 3, mib - 1, 5 * mib, 5*mib + 1, 11*mib + 3} {
		key := fmt.Sprintf("round/%d", n)
		b := data(n, uint64(i))
		put(t, s, key, b)
		checkGet(t, s, key, b)
		info, err := s.Stat(context.Background(), key)
		if err != nil {
			t.Fatalf("Stat(%q): %v", key, err)
		}
		if info.Key != key || info.Size != int64(n) {
			t.Errorf("Stat(%q) = key %q, size %d; want size %d", key, info.Key, info.Size, n)
		}
	}
}

// testSmallReads puts through readers that return a few bytes at a time
// and readers that return data together with io.EOF.
func testSmallReads(t *testing.T, s blob.Store) {
	b := data(100*kib+7, 1)
	readers := map[string]io.Reader{
		"onebyte": iotest.OneByteReader(bytes.NewReader(b[:3000])),
		"half":    iotest.HalfReader(bytes.NewReader(b)),
		"dataeof": iotest.DataErrReader(bytes.NewReader(b)),
	}
	want := map[string][]byte{"onebyte": b[:3000], "half": b, "dataeof": b}
	for name, r := range readers {
		n, err := s.Put(context.Background(), "small/"+name, only{r})
		if err != nil {
			t.Fatalf("Put(%s reader): %v", name, err)
		}
		if n != int64(len(want[name])) {
			t.Errorf("Put(%s reader) = %d, want %d", name, n, len(want[name]))
		}
		checkGet(t, s, "small/"+name, want[name])
	}
}

func testGetRange(t *testing.T, s blob.Store) {
	const size = 1000
	b := data(size, 2)
	put(t, s, "range", b)
	put(t, s, "range-empty", nil)
	for _, c := range []struct{ off, n int64 }{
		{0, -1}, {0, size}, {0, size + 1}, {0, 1}, {0, 0},
		{1, -1}, {1, 1}, {500, 100}, {10, size - 10},
		{size - 1, 1}, {size - 1, 10}, {size - 1, -1},
		{size, 1}, {size, -1}, {size, 0}, {size + 1, 1}, {5000, -1},
	} {
		lo, hi := min(c.off, size), int64(size)
		if c.n >= 0 {
			hi = min(c.off+c.n, size)
		}
		want := b[lo:max(lo, hi)]
		got := getRange(t, s, "range", c.off, c.n)
		if ok, diff := same(got, want); !ok {
			t.Errorf("GetRange(off %d, n %d): %s", c.off, c.n, diff)
		}
	}
	for _, c := range []struct{ off, n int64 }{{0, -1}, {0, 10}, {0, 0}, {1, 1}} {
		if got := getRange(t, s, "range-empty", c.off, c.n); len(got) != 0 {
			t.Errorf("GetRange(empty object, %d, %d) = %d bytes", c.off, c.n, len(got))
		}
	}
	if r, err := s.GetRange(context.Background(), "range", -1, 10); err == nil {
		r.Close()
		t.Errorf("GetRange with a negative offset succeeded")
	}

	// A larger object, read back in pieces as a resumed download would.
	big := data(6*mib+5, 3)
	put(t, s, "range-big", big)
	var got []byte
	for off := int64(0); off < int64(len(big)); off += 2*mib + 1 {
		got = append(got, getRange(t, s, "range-big", off, 2*mib+1)...)
	}
	if ok, diff := same(got, big); !ok {
		t.Errorf("pieces of a 6 MiB object: %s", diff)
	}
}

func testStat(t *testing.T, s blob.Store) {
	before := time.Now()
	put(t, s, "stat/x", data(1234, 4))
	info, err := s.Stat(context.Background(), "stat/x")
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if info.Key != "stat/x" || info.Size != 1234 {
		t.Errorf("Stat = %+v, want key stat/x, size 1234", info)
	}
	// Generous: the server's clock and granularity are its own.
	if d := info.Modified.Sub(before); info.Modified.IsZero() || d < -15*time.Minute || d > 15*time.Minute {
		t.Errorf("Stat: modified %v, but the object was put at %v", info.Modified, before)
	}
	put(t, s, "stat/empty", nil)
	if info, err := s.Stat(context.Background(), "stat/empty"); err != nil || info.Size != 0 {
		t.Errorf("Stat(empty object) = %+v, %v", info, err)
	}
}

func testNotFound(t *testing.T, s blob.Store) {
	ctx := context.Background()
	put(t, s, "nf/x", []byte("x"))
	// "nf" is a directory of keys, not an object; "nf/x/y" is below one.
	for _, key := range []string{"missing", "missing/deeper", "nf", "nf/y", "nf/x/y"} {
		if r, err := s.Get(ctx, key); err == nil {
			r.Close()
			t.Errorf("Get(%q) succeeded", key)
		} else {
			wantNotFound(t, err, fmt.Sprintf("Get(%q)", key))
		}
		for _, c := range []struct{ off, n int64 }{{0, -1}, {0, 0}, {0, 5}, {10, 5}} {
			if r, err := s.GetRange(ctx, key, c.off, c.n); err == nil {
				r.Close()
				t.Errorf("GetRange(%q, %d, %d) succeeded", key, c.off, c.n)
			} else {
				wantNotFound(t, err, fmt.Sprintf("GetRange(%q, %d, %d)", key, c.off, c.n))
			}
		}
		_, err := s.Stat(ctx, key)
		wantNotFound(t, err, fmt.Sprintf("Stat(%q)", key))
	}
	checkGet(t, s, "nf/x", []byte("x"))
}

func testDelete(t *testing.T, s blob.Store) {
	ctx := context.Background()
	put(t, s, "d/e/f", []byte("f"))
	put(t, s, "d/e/g", []byte("g"))
	put(t, s, "dd/x", []byte("x"))
	if err := s.Delete(ctx, "d/e/f"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	_, err := s.Stat(ctx, "d/e/f")
	wantNotFound(t, err, "Stat after Delete")
	if r, err := s.Get(ctx, "d/e/f"); err == nil {
		r.Close()
		t.Errorf("Get after Delete succeeded")
	} else {
		wantNotFound(t, err, "Get after Delete")
	}
	if got := keys(t, s, ""); !slices.Equal(got, []string{"d/e/g", "dd/x"}) {
		t.Errorf("List after Delete = %q", got)
	}
	// Idempotent.
	for _, key := range []string{"d/e/f", "never/was", "d", "d/e", "dd/x/y"} {
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete(%q), no such object: %v", key, err)
		}
	}
	checkGet(t, s, "d/e/g", []byte("g"))
	checkGet(t, s, "dd/x", []byte("x"))
	if err := s.Delete(ctx, "d/e/g"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := keys(t, s, "d/"); len(got) != 0 {
		t.Errorf("List(d/) after deleting everything = %q", got)
	}
	// The key can be used again.
	put(t, s, "d/e/f", []byte("again"))
	checkGet(t, s, "d/e/f", []byte("again"))
	if got := keys(t, s, ""); !slices.Equal(got, []string{"d/e/f", "dd/x"}) {
		t.Errorf("List = %q", got)
	}
}

func testDeleteAll(t *testing.T, s blob.Store) {
	ctx := context.Background()
	var all []string
	for i := range 30 {
		k := fmt.Sprintf("many/%02d/k%02d", i%3, i)
		put(t, s, k, []byte(k))
		all = append(all, k)
	}
	put(t, s, "many-kept", []byte("kept"))
	// Half of them, with keys that have no object and one invalid key.
	var doomed []string
	for i, k := range all {
		if i%2 == 0 {
			doomed = append(doomed, k)
		}
	}
	err := s.DeleteAll(ctx, append(doomed, "many/none", "never/was", "Bad Key"))
	if !errors.Is(err, blob.ErrInvalidKey) {
		t.Errorf("DeleteAll with an invalid key: %v, want ErrInvalidKey", err)
	}
	var left []string
	for i, k := range all {
		if i%2 == 1 {
			left = append(left, k)
		}
	}
	slices.Sort(left)
	if got := keys(t, s, "many/"); !slices.Equal(got, left) {
		t.Errorf("after DeleteAll, List = %q, want %q", got, left)
	}
	if err := s.DeleteAll(ctx, doomed); err != nil {
		t.Errorf("DeleteAll again: %v", err)
	}
	if err := s.DeleteAll(ctx, nil); err != nil {
		t.Errorf("DeleteAll of nothing: %v", err)
	}
	if err := s.DeleteAll(ctx, left); err != nil {
		t.Fatalf("DeleteAll: %v", err)
	}
	if got := keys(t, s, "many"); !slices.Equal(got, []string{"many-kept"}) {
		t.Errorf("after deleting all, List(many) = %q", got)
	}
}

// listKeys includes neighbours of '/' in byte order ('-' and '.' sort
// before it, '0' and '_' after), which a filesystem walk gets wrong.
var listKeys = []string{
	"p/q-x/z", "a", "p.s", "p0", "b/c/d", "p-r", "z/z/z/z", "p/q", "b/c-d",
	"p_a", "pz/1", "b/c0", "p/q.y", "b/c/d0", "b/c.e/f",
}

func testList(t *testing.T, s blob.Store) {
	if got := keys(t, s, ""); len(got) != 0 {
		t.Fatalf("List of a new store = %q", got)
	}
	sizes := map[string]int64{}
	order := slices.Clone(listKeys)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for i, k := range order {
		put(t, s, k, data(i+1, uint64(i)))
		sizes[k] = int64(i + 1)
	}
	sorted := slices.Sorted(slices.Values(listKeys))
	for _, prefix := range []string{"", "p", "p/", "p/q", "p/q-", "b/c", "b/c/", "z/z/z/z", "z/z/z/z/", "nothing", "pz/", "a"} {
		var want []string
		for _, k := range sorted {
			if strings.HasPrefix(k, prefix) {
				want = append(want, k)
			}
		}
		var got []string
		err := s.List(context.Background(), prefix, func(i blob.Info) error {
			got = append(got, i.Key)
			if i.Size != sizes[i.Key] {
				t.Errorf("List(%q): %q has size %d, want %d", prefix, i.Key, i.Size, sizes[i.Key])
			}
			if i.Modified.IsZero() {
				t.Errorf("List(%q): %q has no modification time", prefix, i.Key)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("List(%q): %v", prefix, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("List(%q) =\n\t%q\nwant\n\t%q", prefix, got, want)
		}
	}
}

func testListStops(t *testing.T, s blob.Store) {
	for i := range 10 {
		put(t, s, fmt.Sprintf("stop/%d", i), []byte{byte(i)})
	}
	errStop := errors.New("enough")
	calls := 0
	err := s.List(context.Background(), "", func(blob.Info) error {
		calls++
		if calls == 3 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Errorf("List whose fn fails = %v, want fn's error", err)
	}
	if calls != 3 {
		t.Errorf("List called fn %d times after it failed on the 3rd", calls-3)
	}
}

var invalidKeys = []string{
	"", "/", "/a", "a/", "a//b", "A", "aB", "a b", " a", "a\n", "a\x00b",
	"..", "../a", "a/../b", "a/..", "a..b", ".", "./a", "a/./b", "a/.",
	`a\b`, "a:b", "a?b", "a%2fb", "a*", "é", "a~", "a+b",
	strings.Repeat("a", blob.MaxKeyLen+1),
	strings.Repeat("a", blob.MaxSegmentLen+1),
	strings.Repeat("abc/", 64) + "a",
}

// panicReader fails the test if a Put reads from it.
type panicReader struct{ t *testing.T }

func (r panicReader) Read([]byte) (int, error) {
	r.t.Error("Put read from its reader before checking the key")
	return 0, io.EOF
}

func testInvalidKeys(t *testing.T, s blob.Store) {
	ctx := context.Background()
	for _, key := range invalidKeys {
		if err := blob.CheckKey(key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("CheckKey(%q) = %v", key, err)
		}
		check := func(op string, err error) {
			t.Helper()
			if !errors.Is(err, blob.ErrInvalidKey) {
				t.Errorf("%s(%q): error %v, want one wrapping blob.ErrInvalidKey", op, key, err)
			}
		}
		_, err := s.Put(ctx, key, panicReader{t})
		check("Put", err)
		r, err := s.Get(ctx, key)
		check("Get", err)
		if err == nil {
			r.Close()
		}
		r, err = s.GetRange(ctx, key, 0, 1)
		check("GetRange", err)
		if err == nil {
			r.Close()
		}
		_, err = s.Stat(ctx, key)
		check("Stat", err)
		check("Delete", s.Delete(ctx, key))
	}
	if got := keys(t, s, ""); len(got) != 0 {
		t.Errorf("after Puts of invalid keys, List = %q", got)
	}
}

func testKeyLimits(t *testing.T, s blob.Store) {
	long := strings.Repeat("k", blob.MaxKeyLen/2-1) + "/" + strings.Repeat("l", blob.MaxKeyLen/2)
	for _, key := range []string{
		"0123456789abcdefghijklmnopqrstuvwxyz-_.",
		".x", "x.", "-", "_/-/.y",
		strings.Repeat("s", blob.MaxSegmentLen),
		long,
	} {
		if err := blob.CheckKey(key); err != nil {
			t.Errorf("CheckKey(%q): %v", key, err)
			continue
		}
		put(t, s, key, []byte(key))
		checkGet(t, s, key, []byte(key))
	}
	if len(long) != blob.MaxKeyLen {
		t.Fatalf("test bug: long key has %d bytes", len(long))
	}
}

func testOverwrite(t *testing.T, s blob.Store) {
	big, small := data(6*mib+1, 5), data(100, 6)
	put(t, s, "ow", big)
	put(t, s, "ow", small)
	checkGet(t, s, "ow", small)
	if info, err := s.Stat(context.Background(), "ow"); err != nil || info.Size != 100 {
		t.Errorf("Stat after overwrite = %+v, %v; want size 100", info, err)
	}
	put(t, s, "ow", big)
	checkGet(t, s, "ow", big)
	put(t, s, "ow", nil)
	checkGet(t, s, "ow", nil)
	if got := keys(t, s, ""); !slices.Equal(got, []string{"ow"}) {
		t.Errorf("List after overwrites = %q", got)
	}
}

var errBroken = errors.New("blobtest: reader broke")

// brokenReader delivers n bytes and then fails.
type brokenReader struct {
	r io.Reader
	n int
}

func (b *brokenReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		return 0, errBroken
	}
	if len(p) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= n
	return n, err
}

func testFailedPut(t *testing.T, s blob.Store) {
	ctx := context.Background()
	old := data(3000, 7)
	put(t, s, "fail/old", old)
	// Failing at once, within the first 5 MiB part, and after it.
	for _, at := range []int{0, 100, 3 * mib, 7 * mib} {
		src := data(12*mib, 8)
		for _, key := range []string{"fail/old", "fail/new"} {
			n, err := s.Put(ctx, key, &brokenReader{bytes.NewReader(src), at})
			if !errors.Is(err, errBroken) {
				t.Errorf("Put(%q) whose reader fails after %d bytes = %d, %v; want the reader's error", key, at, n, err)
			}
		}
		checkGet(t, s, "fail/old", old)
		_, err := s.Stat(ctx, "fail/new")
		wantNotFound(t, err, fmt.Sprintf("Stat after a Put failing after %d bytes", at))
		if got := keys(t, s, ""); !slices.Equal(got, []string{"fail/old"}) {
			t.Errorf("List after a Put failing after %d bytes = %q", at, got)
		}
	}
	// The key still works.
	put(t, s, "fail/new", []byte("fine"))
	checkGet(t, s, "fail/new", []byte("fine"))
}

// cancelingReader delivers data and cancels its context on the way.
type cancelingReader struct {
	r      io.Reader
	n      int // bytes before cancel
	cancel context.CancelFunc
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

func testCanceledPut(t *testing.T, s blob.Store) {
	old := data(3000, 9)
	put(t, s, "cancel/old", old)
	for _, at := range []int{0, 2 * mib, 6 * mib} {
		for _, key := range []string{"cancel/old", "cancel/new"} {
			ctx, cancel := context.WithCancel(context.Background())
			n, err := s.Put(ctx, key, &cancelingReader{bytes.NewReader(data(9*mib, 10)), at, cancel})
			cancel()
			if err == nil {
				t.Errorf("Put(%q) whose context ended after %d bytes succeeded with %d bytes", key, at, n)
			}
		}
		checkGet(t, s, "cancel/old", old)
		_, err := s.Stat(context.Background(), "cancel/new")
		wantNotFound(t, err, fmt.Sprintf("Stat after a Put canceled after %d bytes", at))
	}
}

func testConcurrentPuts(t *testing.T, s blob.Store) {
	const n = 16
	want := make([][]byte, n)
	for i := range want {
		size := i*37*kib + i
		if i == 3 {
			size = 6*mib + 3
		}
		want[i] = data(size, uint64(100+i))
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Put(context.Background(), fmt.Sprintf("conc/%02d", i), only{bytes.NewReader(want[i])})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent Put %d: %v", i, err)
		}
	}
	for i := range n {
		checkGet(t, s, fmt.Sprintf("conc/%02d", i), want[i])
	}
	if got := keys(t, s, "conc/"); len(got) != n {
		t.Errorf("List after %d concurrent Puts = %q", n, got)
	}
}

func testConcurrentPutsSameKey(t *testing.T, s blob.Store) {
	const n = 8
	versions := make([][]byte, n)
	for i := range versions {
		versions[i] = data(i*150*kib+i, uint64(200+i))
	}
	versions[5] = data(6*mib+5, 205)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := s.Put(context.Background(), "same", only{bytes.NewReader(versions[i])}); err != nil {
				t.Errorf("concurrent Put %d to one key: %v", i, err)
			}
		})
	}
	wg.Wait()
	got := get(t, s, "same")
	if !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, got) }) {
		t.Errorf("after concurrent Puts to one key, Get returned %d bytes that match none of them", len(got))
	}
	if info, err := s.Stat(context.Background(), "same"); err != nil || info.Size != int64(len(got)) {
		t.Errorf("Stat = %+v, %v; want size %d", info, err, len(got))
	}
}

func testReadWhileReplacing(t *testing.T, s blob.Store) {
	a, b := data(2*mib, 11), data(mib+7, 12)
	put(t, s, "rw", a)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(done)
		for i := range 10 {
			v := a
			if i%2 == 0 {
				v = b
			}
			if _, err := s.Put(context.Background(), "rw", only{bytes.NewReader(v)}); err != nil {
				t.Errorf("Put while reading: %v", err)
				return
			}
		}
	})
	for reads := 0; ; reads++ {
		select {
		case <-done:
			wg.Wait()
			if reads == 0 {
				t.Log("no read overlapped the writes")
			}
			return
		default:
		}
		got := get(t, s, "rw")
		if !bytes.Equal(got, a) && !bytes.Equal(got, b) {
			t.Fatalf("Get during replacement returned %d bytes that are neither version", len(got))
		}
	}
}
