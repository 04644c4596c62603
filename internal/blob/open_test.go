package blob_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/blob"
)

func TestParseS3URL(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want blob.S3Config
	}{
		{"s3://AK:SK@127.0.0.1:7070/bucket?region=us-east-1&insecure=true&path_style=true",
			blob.S3Config{Endpoint: "127.0.0.1:7070", Region: "us-east-1", Bucket: "bucket", AccessKey: "AK", SecretKey: "SK", PathStyle: true, Insecure: true}},
		{"s3://AK:a%2Fb+c%40d%25@s3.example.org/evidence/site-1/items/",
			blob.S3Config{Endpoint: "s3.example.org", Bucket: "evidence", Prefix: "site-1/items", AccessKey: "AK", SecretKey: "a/b+c@d%"}},
		{"s3://minio:9000/b?part_size=67108864&path_style=false",
			blob.S3Config{Endpoint: "minio:9000", Bucket: "b", PartSize: 64 << 20}},
	} {
		got, err := blob.ParseS3URL(tt.in)
		if err != nil {
			t.Errorf("ParseS3URL(%q): %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseS3URL(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// Errors about a location must not show its secret, however it is broken.
func TestParseS3URLErrorsHideSecret(t *testing.T) {
	const secret = "Zm9vYmFy5ecret"
	for _, in := range []string{
		"s3://AK:" + secret + "@host/",                             // no bucket
		"s3://AK:" + secret + "@host:port/b",                       // bad port
		"s3://AK:" + secret + "/x@host/b",                          // '/' not escaped
		"s3://AK:" + secret + "%zz@host/b",                         // bad escape
		"s3://AK:" + secret + "@host/b?regoin=x",                   // unknown option
		"s3://AK:" + secret + "@host/b?insecure=maybe",             // bad value
		"s3://AK:" + secret + "@host/b?region=a&region=b",          // repeated
		"s3://:" + secret + "@host/b",                              // no access key
		"s3://AK:" + secret + "@host/b#frag",                       // fragment
		"s3://AK:" + secret + "@host/Bad_Bucket?part_size=1",       // bad bucket, part size
		"s3://AK:" + secret + "@host/b/BAD?part_size=999999999999", // bad prefix
	} {
		cfg, err := blob.ParseS3URL(in)
		if err == nil {
			// Some are only refused by NewS3, which checks before connecting.
			_, err = blob.NewS3(context.Background(), cfg)
		}
		if err == nil {
			t.Errorf("%q accepted", in)
			continue
		}
		if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), secret[:6]) {
			t.Errorf("error for %q shows the secret: %v", in, err)
		}
		_, err = blob.Open(context.Background(), in)
		if err == nil || strings.Contains(err.Error(), secret[:6]) {
			t.Errorf("Open(%q): %v", in, err)
		}
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "blobs")
	for _, loc := range []string{dir, "file://" + dir} {
		s, err := blob.Open(ctx, loc)
		if err != nil {
			t.Fatalf("Open(%q): %v", loc, err)
		}
		fs, ok := s.(*blob.FS)
		if !ok {
			t.Fatalf("Open(%q) = %T, want *blob.FS", loc, s)
		}
		if _, err := s.Put(ctx, "x", strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
		fs.Close()
	}
	for _, loc := range []string{"", "ftp://host/x", "file://otherhost/x", "file:///x?y=1"} {
		if s, err := blob.Open(ctx, loc); err == nil {
			t.Errorf("Open(%q) = %T, want an error", loc, s)
		}
	}
}

func TestCheckKey(t *testing.T) {
	for _, key := range []string{"a", "items/3f/3fa9c2", "0-1_2.3", ".x", strings.Repeat("a", 255)} {
		if err := blob.CheckKey(key); err != nil {
			t.Errorf("CheckKey(%q): %v", key, err)
		}
	}
	for _, key := range []string{"", "/a", "a/", "a//b", "A", "../a", "a/..", "a..b", "./a", "a/./b", "a b", "é"} {
		if err := blob.CheckKey(key); !errors.Is(err, blob.ErrInvalidKey) {
			t.Errorf("CheckKey(%q) = %v, want ErrInvalidKey", key, err)
		}
	}
}

// FuzzCheckKey checks that whatever CheckKey accepts is a clean, relative,
// short path of allowed bytes: safe to join to a directory.
func FuzzCheckKey(f *testing.F) {
	for _, s := range []string{"a", "items/3f/3fa9c2", "../a", "a/./b", "a//b", "/a", "a/", ".", "..", "a\x00", "A/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := blob.CheckKey(key)
		if err != nil {
			if !errors.Is(err, blob.ErrInvalidKey) {
				t.Fatalf("CheckKey(%q) = %v, not ErrInvalidKey", key, err)
			}
			return
		}
		if len(key) == 0 || len(key) > blob.MaxKeyLen {
			t.Fatalf("accepted %q of length %d", key, len(key))
		}
		if filepath.Clean(key) != key || filepath.IsAbs(key) || strings.Contains(key, "..") || !filepath.IsLocal(key) {
			t.Fatalf("accepted %q, not a clean local path", key)
		}
		for _, c := range []byte(key) {
			if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789/-_.", rune(c)) {
				t.Fatalf("accepted %q with byte %q", key, c)
			}
		}
	})
}
