package cut

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"
)

const (
	maxStderr = 8 << 10 // bytes of a tool's standard error kept for Detail
	maxStdout = 1 << 20 // bytes of a tool's standard output accepted
)

// wrapper runs a tool with resource limits set before it starts, as
//
//	/bin/sh -c wrapper /path/to/tool BLOCKS args...
//
// "ulimit -c 0" forbids core dumps, which would write the plaintext the
// tool holds to disk; "ulimit -f BLOCKS" caps, in 512-byte blocks, the size
// of any file the tool writes (the result memfd counts; pipes do not). Go
// cannot set a child's rlimits itself without racing the child.
const wrapper = `ulimit -c 0 || exit 125
ulimit -f "$1" 2>/dev/null
shift
exec "$0" "$@"`

// fdPath is how a child sees the i-th file passed to it by run.
func fdPath(i int) string { return "/proc/self/fd/" + strconv.Itoa(3+i) }

// run runs tool with args, passing files as fds 3, 4, ... (see fdPath), and
// returns what it printed on standard output. The tool may write files of
// at most maxWrite bytes. It fails with an error wrapping ErrToolMissing,
// or with a *ToolError.
func (c *Cutter) run(ctx context.Context, tool string, files []*os.File, maxWrite int64, args ...string) ([]byte, error) {
	path, err := exec.LookPath(tool)
	if err != nil {
		return nil, lookTools(tool)
	}
	tctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()

	blocks := (maxWrite + 511) / 512
	cmd := exec.CommandContext(tctx, "/bin/sh", append([]string{"-c", wrapper, path, strconv.FormatInt(blocks, 10)}, args...)...)
	cmd.ExtraFiles = files
	// A clean environment. TMPDIR and the working directory point where the
	// caller's temporary files would go, so that a test can watch that no
	// tool writes there.
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "TMPDIR=" + os.TempDir()}
	cmd.Dir = os.TempDir()
	stdout := &limitedBuffer{max: maxStdout}
	stderr := &limitedBuffer{max: maxStderr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = 2 * time.Second

	err = cmd.Run()
	if err == nil && stdout.truncated {
		err = fmt.Errorf("more than %d bytes on standard output", maxStdout)
	}
	if err == nil {
		return stdout.buf, nil
	}
	te := &ToolError{Tool: tool, Msg: tool + " failed", Err: err, Detail: err.Error()}
	if s := stderr.String(); s != "" {
		te.Detail += ": " + s
	}
	switch {
	case ctx.Err() != nil:
		te.Msg, te.Err = tool+" was canceled", ctx.Err()
	case tctx.Err() != nil:
		te.Msg, te.Err = fmt.Sprintf("%s took longer than %v", tool, c.timeout()), tctx.Err()
	}
	return nil, te
}

// failed makes err, returned by run, say msg and wrap kind, unless the tool
// is missing, or was canceled or timed out, which say so themselves.
func failed(err error, kind error, msg string) error {
	var te *ToolError
	if !errors.As(err, &te) || errors.Is(te.Err, context.Canceled) || errors.Is(te.Err, context.DeadlineExceeded) {
		return err
	}
	te.Kind, te.Msg = kind, msg
	return te
}

// limitedBuffer keeps the first max bytes written to it and discards the
// rest, so that a tool cannot make this process hold unbounded output.
type limitedBuffer struct {
	buf       []byte
	max       int
	truncated bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - len(b.buf); len(p) > room {
		b.buf = append(b.buf, p[:room]...)
		b.truncated = true
	} else {
		b.buf = append(b.buf, p...)
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string {
	if b.truncated {
		return string(b.buf) + "…(truncated)"
	}
	return string(b.buf)
}
