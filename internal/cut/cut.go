// Package cut copies a segment out of an evidence item — a time range of a
// video or audio recording, or some pages of a PDF — into a new item, so that
// an investigation keeps only what it needs (UN A/HRC/44/24, para. 36).
//
// The source arrives as decrypted plaintext from a stream, and plaintext must
// never touch a disk: the source and the result live in memfds (files in RAM,
// see memfd_create(2)), which the external tools read and write through
// /proc/self/fd/N. The tools are ffmpeg with -c copy, so a video segment is
// the original stream data, bit for bit, never re-encoded; ffprobe, from the
// same Debian package, to measure media; and qpdf for PDF pages.
//
// These tools parse hostile files. Each runs with a clean environment, a time
// limit, no core dumps (a core dump would write plaintext to disk), a cap on
// the size of files it may write, and, for ffmpeg, a forced demuxer and the
// file protocol only, so that a crafted file cannot make it open a playlist,
// another file or the network.
package cut

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Errors returned by this package, wrapped; test for them with errors.Is.
// Their messages may be shown to the person who asked for the cut.
var (
	// ErrUnsupported means the media type cannot be cut.
	ErrUnsupported = errors.New("cut: unsupported media type")
	// ErrInvalidRange means a time range or page list is malformed, empty,
	// or outside the source.
	ErrInvalidRange = errors.New("cut: invalid range")
	// ErrToolMissing means ffmpeg, ffprobe or qpdf is not installed; the
	// message names the Debian package that provides it.
	ErrToolMissing = errors.New("cut: tool missing")
	// ErrTooLarge means the source is larger than Cutter.MaxSource.
	ErrTooLarge = errors.New("cut: source too large")
	// ErrMalformed means the source could not be read as the media type it
	// was said to be.
	ErrMalformed = errors.New("cut: source unreadable")
)

// Defaults for a zero Cutter.
const (
	DefaultMaxSource = 4 << 30         // bytes held in RAM for one source
	DefaultTimeout   = 5 * time.Minute // for each run of a tool
)

// Cutter cuts segments. Its zero value is ready to use, with the defaults
// above; the package-level functions use a zero Cutter.
type Cutter struct {
	// MaxSource is the largest source, in bytes, that is accepted. The
	// source and the result are held in RAM.
	MaxSource int64
	// Timeout bounds each run of an external tool.
	Timeout time.Duration
}

// Result describes a segment that was cut.
type Result struct {
	// Range is the segment actually cut, in canonical form:
	// "t=00:01:30.000-00:02:00.000" or "pages=3-5,8".
	Range string
	// Size is the length of the result in bytes.
	Size int64
	// Start and End are, for video and audio, the segment's place in the
	// source. Start may lie before the requested start, because a stream
	// copy must begin on a keyframe.
	Start, End time.Duration
	// Duration is, for video and audio, the result's duration as ffprobe
	// reports it.
	Duration time.Duration
	// Pages is, for PDF, the result's page count as qpdf reports it.
	Pages int
}

// ToolError reports that an external tool failed or rejected its input.
// Error returns a message fit for the person who asked for the cut; Detail,
// which holds what the tool printed, is for the operator's log only, since
// it may echo the content of a hostile file.
type ToolError struct {
	Tool   string // "ffmpeg", "ffprobe" or "qpdf"
	Msg    string // what failed, safe to show
	Kind   error  // a sentinel of this package, such as ErrMalformed, or nil
	Err    error  // the cause: an *exec.ExitError, a context error, ...
	Detail string // the tool's exit status and standard error, bounded
}

func (e *ToolError) Error() string { return "cut: " + e.Msg }

// Unwrap returns Kind and Err, so that errors.Is finds either.
func (e *ToolError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Kind, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// debianPackage names the Debian package that provides each tool.
var debianPackage = map[string]string{"ffmpeg": "ffmpeg", "ffprobe": "ffmpeg", "qpdf": "qpdf"}

// Available reports whether the tools this package runs are installed: nil
// when ffmpeg, ffprobe and qpdf are on PATH, else an error wrapping
// ErrToolMissing that names what to install.
func Available() error {
	return lookTools("ffmpeg", "ffprobe", "qpdf")
}

func lookTools(names ...string) error {
	var missing, pkgs []string
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name)
			if p := debianPackage[name]; !slices.Contains(pkgs, p) {
				pkgs = append(pkgs, p)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s not found on PATH; install the Debian package(s): %s",
		ErrToolMissing, strings.Join(missing, ", "), strings.Join(pkgs, " "))
}

func (c *Cutter) maxSource() int64 {
	if c.MaxSource > 0 {
		return c.MaxSource
	}
	return DefaultMaxSource
}

func (c *Cutter) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

// newMemfd creates an anonymous file in RAM. It is closed on exec unless
// passed to a child in ExtraFiles.
func newMemfd(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate("vigil-cut-"+name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("cut: memfd_create: %w", err)
	}
	return os.NewFile(uintptr(fd), "memfd:"+name), nil
}

// loadSource copies src into a sealed memfd: it can then be neither written
// nor resized, by this process or by the tools.
func (c *Cutter) loadSource(ctx context.Context, src io.Reader) (*os.File, int64, error) {
	f, err := newMemfd("src")
	if err != nil {
		return nil, 0, err
	}
	max := c.maxSource()
	n, err := io.Copy(f, io.LimitReader(ctxReader{ctx, src}, max+1))
	switch {
	case err != nil && ctx.Err() != nil:
		err = fmt.Errorf("cut: reading source: %w", ctx.Err())
	case err != nil:
		err = fmt.Errorf("cut: reading source: %w", err)
	case n > max:
		err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	case n == 0:
		err = fmt.Errorf("%w: the source is empty", ErrMalformed)
	}
	if err == nil {
		_, err = unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS,
			unix.F_SEAL_SEAL|unix.F_SEAL_SHRINK|unix.F_SEAL_GROW|unix.F_SEAL_WRITE)
		if err != nil {
			err = fmt.Errorf("cut: sealing source: %w", err)
		}
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, n, nil
}

// maxResult bounds the size of the file a tool may write when cutting a
// source of size bytes: a segment is never much larger than its source.
func maxResult(size int64) int64 { return 2*size + 1<<20 }

// writeResult checks that out is not empty and copies it to dst.
func writeResult(ctx context.Context, out *os.File, dst io.Writer) (int64, error) {
	fi, err := out.Stat()
	if err != nil {
		return 0, fmt.Errorf("cut: result: %w", err)
	}
	if fi.Size() == 0 {
		return 0, errors.New("cut: the result is empty")
	}
	if _, err := out.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("cut: result: %w", err)
	}
	n, err := io.Copy(dst, ctxReader{ctx, out})
	if err != nil {
		return n, fmt.Errorf("cut: writing result: %w", err)
	}
	if n != fi.Size() {
		return n, fmt.Errorf("cut: writing result: copied %d of %d bytes", n, fi.Size())
	}
	return n, nil
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
