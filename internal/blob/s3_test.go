package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/blob/blobtest"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// The S3 tests run against a real S3 server: the one VIGIL_TEST_S3 names
// (s3://ACCESS:SECRET@HOST:PORT/BUCKET?..., as blob.Open takes it; the
// bucket is created if missing, and each test works under a prefix of its
// own), or else a throwaway versitygw serving a temporary directory. The
// versitygw binary is looked for in VIGIL_TEST_VERSITYGW, PATH, and the
// bin directories of GOBIN and GOPATH; install it with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// Without a server the tests skip, or fail if VIGIL_TEST_REQUIRE asks for
// "s3" or "all".

// testPartSize is the smallest part S3 allows, so that the suite's objects
// of a few MiB go up in several parts.
const testPartSize = 5 << 20

func TestMain(m *testing.M) {
	code := m.Run()
	if srv != nil {
		srv.stop()
	}
	os.Exit(code)
}

func TestS3(t *testing.T) {
	s := s3Server(t)
	if s.owned {
		// A bucket of its own for each store, opened from a URL.
		t.Run("bucket", func(t *testing.T) {
			blobtest.Run(t, func(t *testing.T) blob.Store { return s.openBucket(t) })
		})
	}
	// A prefix of its own in a shared bucket for each store.
	t.Run("prefix", func(t *testing.T) {
		blobtest.Run(t, func(t *testing.T) blob.Store { st, _ := s.openPrefix(t); return st })
	})
}

// A Put that fails must abort its multipart upload, whatever the cause.
func TestS3FailedPutAbortsUpload(t *testing.T) {
	s := s3Server(t)
	st, prefix := s.openPrefix(t)
	ctx := context.Background()
	src := make([]byte, 13<<20)
	for _, at := range []int{testPartSize + 1, 2*testPartSize + 100} {
		if _, err := st.Put(ctx, "big", &failAfter{bytes.NewReader(src), at}); err == nil {
			t.Fatal("Put with a failing reader succeeded")
		}
		cctx, cancel := context.WithCancel(ctx)
		if _, err := st.Put(cctx, "big", &cancelAfter{bytes.NewReader(src), at, cancel}); err == nil {
			t.Fatal("Put whose context was canceled succeeded")
		}
		cancel()
	}
	if _, err := st.Put(ctx, "ok", bytes.NewReader(src)); err != nil {
		t.Fatal(err)
	}
	// That went up in 3 parts: a multipart object's ETag ends in "-3".
	if oi, err := s.admin.StatObject(ctx, s.bucket, prefix+"/ok", minio.StatObjectOptions{}); err != nil {
		t.Fatal(err)
	} else if !strings.HasSuffix(oi.ETag, "-3") {
		t.Errorf("a 13 MiB object with 5 MiB parts has ETag %q, want a multipart ETag ending in -3", oi.ETag)
	}
	for u := range s.admin.ListIncompleteUploads(ctx, s.bucket, prefix+"/", true) {
		if u.Err != nil {
			t.Fatalf("listing incomplete uploads: %v", u.Err)
		}
		t.Errorf("incomplete multipart upload left behind: %s (%s)", u.Key, u.UploadID)
	}
}

// Put streams: a 128 MiB object does not grow the heap by anything near
// its size (it takes one part buffer and the client's own small buffers).
func TestS3PutStreams(t *testing.T) {
	s := s3Server(t)
	st, _ := s.openPrefix(t)
	ctx := context.Background()
	const size = 128 << 20
	if _, err := st.Put(ctx, "warm-up", &zeroes{testPartSize + 1}); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n, err := st.Put(ctx, "big", &zeroes{size})
	if err != nil || n != size {
		t.Fatalf("Put = %d, %v", n, err)
	}
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapSys) - int64(before.HeapSys); grew > size/4 {
		t.Errorf("the heap grew by %d MiB during a Put of %d MiB", grew>>20, size>>20)
	}
	if info, err := st.Stat(ctx, "big"); err != nil || info.Size != size {
		t.Errorf("Stat = %+v, %v", info, err)
	}
}

// zeroes is a stream of n zero bytes that never exists in memory whole.
type zeroes struct{ n int64 }

func (z *zeroes) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), z.n))
	clear(p[:n])
	z.n -= int64(n)
	return n, nil
}

func TestS3OpenErrors(t *testing.T) {
	s := s3Server(t)
	ctx := context.Background()
	good := s.cfg
	good.Bucket = s.bucket

	missing := good
	missing.Bucket = "vigil-no-such-bucket"
	_, err := blob.NewS3(ctx, missing)
	if err == nil || !strings.Contains(err.Error(), "vigil-no-such-bucket") {
		t.Errorf("NewS3 with a missing bucket: %v", err)
	}
	checkNoSecret(t, err, good.SecretKey)

	wrong := good
	wrong.SecretKey = "wrong-" + good.SecretKey
	_, err = blob.NewS3(ctx, wrong)
	if err == nil {
		t.Error("NewS3 with a wrong secret succeeded")
	}
	checkNoSecret(t, err, wrong.SecretKey)
	checkNoSecret(t, err, good.SecretKey)

	st, err := blob.NewS3(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if str := st.String(); strings.Contains(str, good.SecretKey) || !strings.Contains(str, s.bucket) {
		t.Errorf("String() = %q", str)
	}
}

func checkNoSecret(t *testing.T, err error, secret string) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error shows the secret: %v", err)
	}
}

type failAfter struct {
	r *bytes.Reader
	n int
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("upload source broke")
	}
	n, err := f.r.Read(p[:min(len(p), f.n)])
	f.n -= n
	return n, err
}

// cancelAfter cancels a context once it has delivered n bytes, and goes on.
type cancelAfter struct {
	r      *bytes.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
	}
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

// server is an S3 server for the tests.
type server struct {
	cfg    blob.S3Config // endpoint, region, credentials, options; no bucket
	admin  *minio.Client
	bucket string // shared by the stores that openPrefix makes
	prefix string // "" or ending in '/': where openPrefix's prefixes go
	owned  bool   // a versitygw of our own

	cmd    *exec.Cmd
	dir    string
	exited chan struct{}
}

var (
	srvOnce sync.Once
	srv     *server
	srvErr  error
	counter atomic.Int64
)

// s3Server returns the test server, starting it the first time; it skips or
// fails the test if there is none.
func s3Server(t *testing.T) *server {
	t.Helper()
	srvOnce.Do(func() {
		start := time.Now()
		srv, srvErr = startServer()
		if srvErr == nil && srv.owned {
			t.Logf("versitygw started in %v", time.Since(start).Round(time.Millisecond))
		}
	})
	if srvErr != nil {
		storetest.SkipOrFail(t, "s3", "no S3 server for this test: "+srvErr.Error())
	}
	return srv
}

func (s *server) openBucket(t *testing.T) blob.Store {
	t.Helper()
	ctx := context.Background()
	bucket := fmt.Sprintf("vigil-test-%d", counter.Add(1))
	if err := s.admin.MakeBucket(ctx, bucket, minio.MakeBucketOptions{Region: s.cfg.Region}); err != nil {
		t.Fatalf("creating bucket %s: %v", bucket, err)
	}
	u := url.URL{
		Scheme: "s3",
		User:   url.UserPassword(s.cfg.AccessKey, s.cfg.SecretKey),
		Host:   s.cfg.Endpoint,
		Path:   "/" + bucket,
		RawQuery: url.Values{
			"region":     {s.cfg.Region},
			"insecure":   {fmt.Sprint(s.cfg.Insecure)},
			"path_style": {fmt.Sprint(s.cfg.PathStyle)},
			"part_size":  {fmt.Sprint(testPartSize)},
		}.Encode(),
	}
	st, err := blob.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.(*blob.S3); !ok {
		t.Fatalf("Open(s3://...) = %T", st)
	}
	t.Cleanup(func() { st.(*blob.S3).Close() })
	return st
}

// openPrefix opens a store in the shared bucket under a new prefix, and
// returns the prefix as well.
func (s *server) openPrefix(t *testing.T) (*blob.S3, string) {
	t.Helper()
	ctx := context.Background()
	cfg := s.cfg
	cfg.Bucket = s.bucket
	cfg.Prefix = fmt.Sprintf("%st%d-%d", s.prefix, os.Getpid(), counter.Add(1))
	cfg.PartSize = testPartSize
	st, err := blob.NewS3(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer st.Close()
		if s.owned {
			return // the whole directory goes at the end
		}
		objects := s.admin.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: cfg.Prefix + "/", Recursive: true})
		for e := range s.admin.RemoveObjects(ctx, s.bucket, objects, minio.RemoveObjectsOptions{}) {
			t.Logf("cleaning up %s: %v", e.ObjectName, e.Err)
		}
	})
	return st, cfg.Prefix
}

func startServer() (*server, error) {
	if loc := os.Getenv("VIGIL_TEST_S3"); loc != "" {
		return externalServer(loc)
	}
	bin, err := findVersitygw()
	if err != nil {
		return nil, err
	}
	var s *server
	for range 3 { // another process may take the free port first
		s, err = startVersitygw(bin)
		if err == nil {
			return s, nil
		}
	}
	return nil, err
}

func externalServer(loc string) (*server, error) {
	cfg, err := blob.ParseS3URL(loc)
	if err != nil {
		return nil, fmt.Errorf("VIGIL_TEST_S3: %w", err)
	}
	s := &server{cfg: cfg, bucket: cfg.Bucket}
	if cfg.Prefix != "" {
		s.prefix = cfg.Prefix + "/"
	}
	s.cfg.Bucket, s.cfg.Prefix = "", ""
	if err := s.connect(); err != nil {
		return nil, fmt.Errorf("VIGIL_TEST_S3: %w", err)
	}
	return s, nil
}

// findVersitygw looks for the versitygw binary where go install puts it.
func findVersitygw() (string, error) {
	if p := os.Getenv("VIGIL_TEST_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("VIGIL_TEST_VERSITYGW: %w", err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output(); err == nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) == 2 {
			if lines[0] != "" {
				dirs = append(dirs, lines[0])
			}
			for _, p := range filepath.SplitList(lines[1]) {
				dirs = append(dirs, filepath.Join(p, "bin"))
			}
		}
	}
	dirs = append(dirs, filepath.Join(build.Default.GOPATH, "bin"))
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", errors.New("versitygw not found in $VIGIL_TEST_VERSITYGW, $PATH or $(go env GOPATH)/bin; " +
		"install it with 'go install github.com/versity/versitygw/cmd/versitygw@v1.8.0', or set VIGIL_TEST_S3 to s3://ACCESS:SECRET@HOST:PORT/BUCKET?insecure=true&path_style=true")
}

// startVersitygw runs
//
//	versitygw --port 127.0.0.1:PORT --access ACCESS --secret SECRET --quiet posix DIR
//
// with random credentials and a new temporary directory, and waits until
// it answers.
func startVersitygw(bin string) (*server, error) {
	dir, err := os.MkdirTemp("", "vigil-versitygw-")
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	endpoint := fmt.Sprintf("127.0.0.1:%d", port)
	access, secret := "vigil"+randHex(4), randHex(20)
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--port", endpoint, "--access", access, "--secret", secret, "--quiet", "posix", data)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server's settings come from our flags, not from the environment.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VGW_") && !strings.HasPrefix(kv, "ROOT_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.SysProcAttr = serverProcAttr()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	s := &server{
		cfg: blob.S3Config{
			Endpoint: endpoint, Region: "us-east-1",
			AccessKey: access, SecretKey: secret,
			PathStyle: true, Insecure: true,
		},
		bucket: "vigil-shared",
		owned:  true,
		cmd:    cmd,
		dir:    dir,
		exited: make(chan struct{}),
	}
	go func() { cmd.Wait(); close(s.exited) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://" + endpoint + "/")
		if err == nil {
			resp.Body.Close()
			break // any HTTP answer will do (403 without credentials)
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(dir, "versitygw.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("versitygw exited at start (%v): %s", cmd.ProcessState, log)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("versitygw did not answer on %s within 30s: %w", endpoint, err)
		}
	}
	if err := s.connect(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// connect makes the admin client and the shared bucket.
func (s *server) connect() error {
	admin, err := minio.New(s.cfg.Endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(s.cfg.AccessKey, s.cfg.SecretKey, ""),
		Secure:       !s.cfg.Insecure,
		Region:       s.cfg.Region,
		BucketLookup: map[bool]minio.BucketLookupType{true: minio.BucketLookupPath, false: minio.BucketLookupAuto}[s.cfg.PathStyle],
	})
	if err != nil {
		return err
	}
	s.admin = admin
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ok, err := admin.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", s.bucket, err)
	}
	if !ok {
		if err := admin.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s.cfg.Region}); err != nil {
			return fmt.Errorf("creating bucket %s: %w", s.bucket, err)
		}
	}
	return nil
}

func (s *server) stop() {
	if !s.owned {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	os.RemoveAll(s.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
