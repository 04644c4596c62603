package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// progress draws a progress bar on a terminal: "video.mp4  [=====>    ]
// 45%  120 MB / 266 MB  35 MB/s". Where the output is not a terminal (a
// script, a log), it draws nothing and prints one line when done.
type progress struct {
	w     io.Writer
	tty   bool
	label string
	start time.Time

	mu    sync.Mutex
	last  time.Time
	done  int64
	total int64 // 0 when unknown
}

func newProgress(w io.Writer, label string, total int64) *progress {
	return &progress{w: w, tty: isTerminal(w), label: label, total: total, start: time.Now()}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// set records progress: done bytes of total (total <= 0 keeps the old
// total).
func (p *progress) set(done, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = done
	if total > 0 {
		p.total = total
	}
	if !p.tty || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.w, "\r%s\x1b[K", p.line())
}

// finish ends the bar with a summary line.
func (p *progress) finish(what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
	fmt.Fprintf(p.w, "%s: %s %s in %s (%s/s)\n", p.label, what, byteSize(p.done), time.Since(p.start).Round(time.Millisecond), byteSize(p.rate()))
}

func (p *progress) rate() int64 {
	s := time.Since(p.start).Seconds()
	if s <= 0 {
		return 0
	}
	return int64(float64(p.done) / s)
}

func (p *progress) line() string {
	const width = 24
	label := p.label
	if len(label) > 28 {
		label = "…" + label[len(label)-27:]
	}
	if p.total <= 0 {
		return fmt.Sprintf("%-28s %s  %s/s", label, byteSize(p.done), byteSize(p.rate()))
	}
	frac := min(float64(p.done)/float64(p.total), 1)
	n := int(frac * width)
	bar := strings.Repeat("=", n)
	if n < width {
		bar += ">" + strings.Repeat(" ", width-n-1)
	}
	return fmt.Sprintf("%-28s [%s] %3.0f%%  %s / %s  %s/s", label, bar, frac*100, byteSize(p.done), byteSize(p.total), byteSize(p.rate()))
}

// byteSize writes a byte count for people, in SI units as file managers do.
func byteSize(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

// countingWriter counts bytes written through it into a progress bar.
type countingWriter struct {
	w io.Writer
	p *progress
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.p.set(c.n, 0)
	return n, err
}
