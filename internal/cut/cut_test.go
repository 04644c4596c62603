package cut

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAvailable(t *testing.T) {
	if err := Available(); err != nil {
		if !errors.Is(err, ErrToolMissing) {
			t.Fatalf("Available() = %v, want ErrToolMissing", err)
		}
		needTools(t, "ffmpeg", "ffprobe", "qpdf")
	}
	t.Setenv("PATH", t.TempDir())
	err := Available()
	if !errors.Is(err, ErrToolMissing) {
		t.Fatalf("with an empty PATH, Available() = %v, want ErrToolMissing", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "Debian package(s): ffmpeg qpdf") {
		t.Errorf("message %q does not name the Debian packages", msg)
	}
	_, err = PDF(context.Background(), bytes.NewReader(makePDF(1)), "1", io.Discard)
	if !errors.Is(err, ErrToolMissing) || !strings.Contains(err.Error(), "qpdf") {
		t.Errorf("PDF without qpdf = %v", err)
	}
}

// TestToolSandbox checks how run starts a tool: a clean environment, no
// core dumps, the cap on files written, the files passed as fds.
func TestToolSandbox(t *testing.T) {
	t.Setenv("VIGIL_SECRET", "must not reach the tool")
	f, err := newMemfd("test")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := new(Cutter)
	out, err := c.run(context.Background(), "sh", []*os.File{f}, 1<<20, "-c",
		`env | sort; ulimit -c; ulimit -f; readlink /proc/self/fd/3; echo hello > /proc/self/fd/3`)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var env []string
	for _, l := range lines {
		if strings.Contains(l, "=") {
			env = append(env, strings.SplitN(l, "=", 2)[0])
		}
	}
	// sh itself adds PWD (and may add SHLVL or _).
	env = slices.DeleteFunc(env, func(k string) bool { return k == "PWD" || k == "SHLVL" || k == "_" })
	if want := []string{"LC_ALL", "PATH", "TMPDIR"}; !slices.Equal(env, want) {
		t.Errorf("environment %q, want %q", env, want)
	}
	if n := len(lines); n < 3 || lines[n-3] != "0" || lines[n-2] != "2048" || !strings.HasPrefix(lines[n-1], "/memfd:vigil-cut-test") {
		t.Errorf("ulimit -c, ulimit -f, fd 3: %q, want 0, 2048, /memfd:vigil-cut-test", lines)
	}
	if b, _ := io.ReadAll(f); string(b) != "hello\n" {
		t.Errorf("the tool wrote %q through /proc/self/fd/3", b)
	}

	// A tool may not write more than it is allowed.
	_, err = c.run(context.Background(), "sh", []*os.File{f}, 1024, "-c", `head -c 4096 /dev/zero > /proc/self/fd/3`)
	var te *ToolError
	if !errors.As(err, &te) {
		t.Fatalf("writing past the cap: err = %v, want a ToolError", err)
	}
	if strings.Contains(err.Error(), te.Detail) {
		t.Errorf("message %q shows the detail %q", err, te.Detail)
	}
}

// TestNoTempFiles checks that a cut writes no file outside RAM: none in the
// temporary directory, and none in the one the tools are given.
func TestNoTempFiles(t *testing.T) {
	needTools(t, "ffmpeg", "ffprobe", "qpdf")
	s := testSamples(t)[0] // an MP4, cut with +faststart
	pdf := makePDF(5)

	// Compare the system's temporary directory before and after. Other
	// processes may create directories there meanwhile (go test, other
	// packages' t.TempDir), so only new files count.
	sysTmp := os.TempDir()
	before := regularFiles(t, sysTmp)

	childTmp := t.TempDir()
	t.Setenv("TMPDIR", childTmp)
	if os.TempDir() != childTmp {
		t.Fatalf("os.TempDir() = %q after setting TMPDIR", os.TempDir())
	}
	var out bytes.Buffer
	if _, err := Video(context.Background(), bytes.NewReader(s.data), s.mediaType, 2*time.Second, 5*time.Second, &out); err != nil {
		t.Fatal(err)
	}
	if _, err := PDF(context.Background(), bytes.NewReader(pdf), "2-3", &out); err != nil {
		t.Fatal(err)
	}
	// A source whose duration the container does not give is measured.
	for _, s := range testSamples(t) {
		if s.mediaType == "video/webm" {
			if _, err := Video(context.Background(), bytes.NewReader(s.data), s.mediaType, 2*time.Second, 5*time.Second, &out); err != nil {
				t.Fatal(err)
			}
		}
	}

	if entries, err := os.ReadDir(childTmp); err != nil || len(entries) != 0 {
		t.Errorf("the tools' TMPDIR holds %v (%v), want nothing", entries, err)
	}
	for _, name := range regularFiles(t, sysTmp) {
		if !slices.Contains(before, name) {
			t.Errorf("new file in %s during the cut: %s", sysTmp, name)
		}
	}
}

func regularFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestCancel(t *testing.T) {
	s := testSamples(t)[0]
	needTools(t, "qpdf")
	pdf := makePDF(5)

	t.Run("before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Video(ctx, bytes.NewReader(s.data), s.mediaType, 0, time.Second, io.Discard)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Video = %v, want context.Canceled", err)
		}
		_, err = PDF(ctx, bytes.NewReader(pdf), "1", io.Discard)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("PDF = %v, want context.Canceled", err)
		}
	})

	// Canceled once the whole source is read, while the tools run.
	t.Run("after reading", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		src := &cancelAtEOF{r: bytes.NewReader(s.data), cancel: cancel}
		_, err := Video(ctx, src, s.mediaType, 0, time.Second, io.Discard)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Video = %v, want context.Canceled", err)
		}
	})

	// A tool that hangs is killed on cancellation, and on timeout.
	t.Run("hanging tool", func(t *testing.T) {
		bin := t.TempDir()
		script := "#!/bin/sh\nexec sleep 60\n"
		if err := os.WriteFile(filepath.Join(bin, "qpdf"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))

		ctx, cancel := context.WithCancel(context.Background())
		timer := time.AfterFunc(200*time.Millisecond, cancel)
		defer timer.Stop()
		start := time.Now()
		_, err := PDF(ctx, bytes.NewReader(pdf), "1", io.Discard)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("PDF = %v, want context.Canceled", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("PDF returned %v after cancellation", d)
		}

		c := &Cutter{Timeout: 200 * time.Millisecond}
		start = time.Now()
		_, err = c.PDF(context.Background(), bytes.NewReader(pdf), "1", io.Discard)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "took longer") {
			t.Errorf("PDF = %v, want context.DeadlineExceeded", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("PDF returned %v after the timeout", d)
		}
	})
}

// cancelAtEOF cancels a context when its reader is exhausted.
type cancelAtEOF struct {
	r      io.Reader
	cancel context.CancelFunc
}

func (c *cancelAtEOF) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.cancel()
	}
	return n, err
}
