package blob

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// S3Config says where an S3 store is. Endpoint and Bucket are required;
// the zero value of every other field works.
type S3Config struct {
	Endpoint string // host or host:port, without scheme
	Region   string // empty: ask the server (GetBucketLocation)
	Bucket   string // must exist

	// Prefix, if not empty, is put before every key, with a '/', so that
	// several stores can share a bucket. It must be a valid key itself.
	Prefix string

	AccessKey string
	SecretKey string // never logged or put in an error

	// PathStyle forces path-style requests (http://host/bucket/key), which
	// most self-hosted servers need. Otherwise the client chooses: virtual
	// hosts (http://bucket.host/key) for AWS and other known services,
	// path style elsewhere.
	PathStyle bool

	// Insecure sends requests over plain HTTP instead of HTTPS.
	Insecure bool

	// PartSize is the size of each part of a multipart upload, and the size
	// below which an object goes up in a single request. One buffer of this
	// size is held per Put in progress. Objects may have up to 10,000
	// parts. Zero means DefaultPartSize; it must be between 5 MiB and 5 GiB.
	PartSize int64

	// Transport, if set, carries the requests (for tests, proxies, custom
	// certificate authorities).
	Transport http.RoundTripper
}

// DefaultPartSize is S3Config.PartSize when it is zero: objects up to 156
// GiB, 16 MiB of memory per Put in progress.
const DefaultPartSize = 16 << 20

const (
	minPartSize = 5 << 20
	maxPartSize = 5 << 30
	maxParts    = 10000
)

// S3 is a Store in a bucket of an S3-compatible object store.
//
// Put reads the object one part (S3Config.PartSize) at a time: an object
// smaller than a part is stored with a single PUT; any other with a
// multipart upload, one part in memory at a time. S3 makes either atomic:
// the object appears only when the PUT or the upload's completion
// succeeds. On any failure Put aborts the multipart upload, so the parts
// uploaded so far are discarded. Only a crash of the process between the
// upload's start and its abort leaves an incomplete upload behind (invisible
// to Get and List, but using space): give the bucket a lifecycle rule that
// aborts incomplete multipart uploads after a day.
//
// Every upload request carries the MD5 of its body, so the server rejects
// data damaged in transit.
type S3 struct {
	core      minio.Core
	bucket    string
	prefix    string // "" or ending in '/'
	partSize  int64
	bufs      sync.Pool // of *[]byte, partSize long
	desc      string
	closeIdle func() // nil if the transport is the caller's
}

var _ Store = (*S3)(nil)

// NewS3 connects to an S3 bucket and checks that it exists.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("blob: s3: no endpoint")
	}
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("blob: s3: bucket %q: %w", cfg.Bucket, err)
	}
	prefix := ""
	if cfg.Prefix != "" {
		if err := CheckKey(cfg.Prefix); err != nil {
			return nil, fmt.Errorf("blob: s3: prefix: %w", err)
		}
		prefix = cfg.Prefix + "/"
	}
	partSize := cfg.PartSize
	if partSize == 0 {
		partSize = DefaultPartSize
	}
	if partSize < minPartSize || partSize > maxPartSize {
		return nil, fmt.Errorf("blob: s3: part size %d is not between 5 MiB and 5 GiB", partSize)
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	scheme := "https"
	if cfg.Insecure {
		scheme = "http"
	}
	desc := fmt.Sprintf("s3://%s/%s", cfg.Endpoint, cfg.Bucket)
	if cfg.Prefix != "" {
		desc += "/" + cfg.Prefix
	}
	transport := cfg.Transport
	var closeIdle func()
	if transport == nil {
		t, err := minio.DefaultTransport(!cfg.Insecure)
		if err != nil {
			return nil, fmt.Errorf("blob: s3: %s: %w", desc, err)
		}
		transport, closeIdle = t, t.CloseIdleConnections
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:       !cfg.Insecure,
		Region:       cfg.Region,
		BucketLookup: lookup,
		Transport:    transport,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: s3: %s: %w", desc, err)
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("blob: s3: %s (over %s): %w", desc, scheme, err)
	}
	if !ok {
		return nil, fmt.Errorf("blob: s3: %s: bucket %q does not exist", desc, cfg.Bucket)
	}
	s := &S3{
		core:      minio.Core{Client: client},
		bucket:    cfg.Bucket,
		prefix:    prefix,
		partSize:  partSize,
		desc:      desc,
		closeIdle: closeIdle,
	}
	s.bufs.New = func() any {
		b := make([]byte, partSize)
		return &b
	}
	return s, nil
}

// Close closes idle connections. The store still works afterwards.
func (s *S3) Close() error {
	if s.closeIdle != nil {
		s.closeIdle()
	}
	return nil
}

// String describes the store for logs, without credentials.
func (s *S3) String() string { return s.desc }

func (s *S3) object(key string) string { return s.prefix + key }

// fail wraps err from an operation on key, mapping S3's "no such key" to
// ErrNotFound.
func (s *S3) fail(op, key string, err error) error {
	if isNoSuchKey(err) {
		return fmt.Errorf("blob: s3: %s %q: %w", op, key, ErrNotFound)
	}
	return fmt.Errorf("blob: s3: %s %q: %w", op, key, err)
}

func isNoSuchKey(err error) bool {
	r := minio.ToErrorResponse(err)
	switch r.Code {
	case "NoSuchKey":
		return true
	case "NoSuchBucket", "NoSuchUpload":
		return false
	}
	// A HEAD request's 404 has no body to say which.
	return r.StatusCode == http.StatusNotFound
}

// Put implements Putter.
func (s *S3) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	buf := *bp
	r = ctxReader{ctx, r}

	n, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		// It fits in one part: a single PUT.
		_, err := s.core.PutObject(ctx, s.bucket, s.object(key), bytes.NewReader(buf[:n]), int64(n),
			md5Base64(buf[:n]), "", minio.PutObjectOptions{})
		if err != nil {
			return 0, s.fail("put", key, err)
		}
		return int64(n), nil
	}
	if err != nil {
		return 0, fmt.Errorf("blob: s3: put %q: %w", key, err)
	}
	total, err := s.putMultipart(ctx, key, r, buf)
	if err != nil {
		return 0, fmt.Errorf("blob: s3: put %q: %w", key, err)
	}
	return total, nil
}

// putMultipart uploads buf, which is full, and the rest of r as a multipart
// upload, and aborts the upload if anything fails.
func (s *S3) putMultipart(ctx context.Context, key string, r io.Reader, buf []byte) (total int64, err error) {
	name := s.object(key)
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, name, minio.PutObjectOptions{})
	if err != nil {
		return 0, err
	}
	defer func() {
		if err == nil {
			return
		}
		// Abort even if ctx has ended: the parts must not linger.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if aerr := s.core.AbortMultipartUpload(actx, s.bucket, name, id); aerr != nil {
			err = errors.Join(err, fmt.Errorf("aborting multipart upload %s: %w", id, aerr))
		}
	}()
	var parts []minio.CompletePart
	n := len(buf)
	for num := 1; ; num++ {
		if num > maxParts {
			return 0, fmt.Errorf("object larger than %d parts of %d bytes", maxParts, s.partSize)
		}
		p, err := s.core.PutObjectPart(ctx, s.bucket, name, id, num, bytes.NewReader(buf[:n]), int64(n),
			minio.PutObjectPartOptions{Md5Base64: md5Base64(buf[:n])})
		if err != nil {
			return 0, err
		}
		parts = append(parts, minio.CompletePart{PartNumber: num, ETag: p.ETag})
		total += int64(n)
		if n < len(buf) {
			break // that was the last, short part
		}
		n, err = io.ReadFull(r, buf)
		if err == io.EOF {
			break // the last part was full
		}
		if err != nil && err != io.ErrUnexpectedEOF {
			return 0, err
		}
	}
	if _, err := s.core.CompleteMultipartUpload(ctx, s.bucket, name, id, parts, minio.PutObjectOptions{}); err != nil {
		return 0, err
	}
	return total, nil
}

func md5Base64(b []byte) string {
	sum := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Get implements Getter.
func (s *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	return s.GetRange(ctx, key, 0, -1)
}

// GetRange implements Getter.
func (s *S3) GetRange(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("blob: s3: get %q: negative offset %d", key, off)
	}
	if n == 0 {
		if _, err := s.Stat(ctx, key); err != nil {
			return nil, err
		}
		return emptyReader(), nil
	}
	var opts minio.GetObjectOptions
	ranged := off > 0 || n > 0
	if ranged {
		end := int64(0) // to the end
		if n > 0 {
			end = off + n - 1
		}
		if err := opts.SetRange(off, end); err != nil {
			return nil, fmt.Errorf("blob: s3: get %q: %w", key, err)
		}
	}
	body, _, header, err := s.core.GetObject(ctx, s.bucket, s.object(key), opts)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "InvalidRange" {
			// The range starts at or past the end (or the object is
			// empty): nothing to read, if the object exists.
			if _, err := s.Stat(ctx, key); err != nil {
				return nil, err
			}
			return emptyReader(), nil
		}
		return nil, s.fail("get", key, err)
	}
	if ranged && header.Get("Content-Range") == "" {
		body.Close()
		return nil, fmt.Errorf("blob: s3: get %q: the server ignored the requested range", key)
	}
	return body, nil
}

// Stat implements Statter.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := CheckKey(key); err != nil {
		return Info{}, err
	}
	oi, err := s.core.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if err != nil {
		return Info{}, s.fail("stat", key, err)
	}
	return Info{Key: key, Size: oi.Size, Modified: oi.LastModified}, nil
}

// Delete implements Deleter.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	err := s.core.RemoveObject(ctx, s.bucket, s.object(key), minio.RemoveObjectOptions{})
	if err != nil && !isNoSuchKey(err) {
		return fmt.Errorf("blob: s3: delete %q: %w", key, err)
	}
	return nil
}

// DeleteAll implements Deleter with S3's multi-object delete, a thousand
// keys a request.
func (s *S3) DeleteAll(ctx context.Context, keys []string) error {
	var errs []error
	valid := make([]string, 0, len(keys))
	for _, key := range keys {
		if err := CheckKey(key); err != nil {
			errs = append(errs, err)
			continue
		}
		valid = append(valid, key)
	}
	objects := func(yield func(minio.ObjectInfo) bool) {
		for _, key := range valid {
			if !yield(minio.ObjectInfo{Key: s.object(key)}) {
				return
			}
		}
	}
	results, err := s.core.Client.RemoveObjectsWithIter(ctx, s.bucket, objects, minio.RemoveObjectsOptions{})
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("blob: s3: delete: %w", err))...)
	}
	for r := range results {
		if r.Err != nil && !isNoSuchKey(r.Err) {
			errs = append(errs, fmt.Errorf("blob: s3: delete %q: %w", strings.TrimPrefix(r.ObjectName, s.prefix), r.Err))
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// List implements Lister. Objects in the bucket (under the prefix) whose
// names are not valid keys are skipped.
func (s *S3) List(ctx context.Context, prefix string, fn func(Info) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine if fn stops early
	for oi := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if oi.Err != nil {
			return fmt.Errorf("blob: s3: list %q: %w", prefix, oi.Err)
		}
		key, ok := strings.CutPrefix(oi.Key, s.prefix)
		if !ok || CheckKey(key) != nil {
			continue
		}
		if err := fn(Info{Key: key, Size: oi.Size, Modified: oi.LastModified}); err != nil {
			return err
		}
	}
	return ctx.Err()
}
