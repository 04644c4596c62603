package cut

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// PDF copies pages of a PDF from src to dst with qpdf. pages is a page list
// as ParsePages reads it, such as "3-5,8"; the result holds those pages in
// the order of the source, each once, along with the source's document
// information.
//
// Errors wrap ErrInvalidRange for a malformed list or a page the source
// does not have, ErrMalformed for a source that is not a readable PDF,
// ErrTooLarge, or ErrToolMissing; a tool's failure is a *ToolError. On
// error, dst may hold part of a result, which the caller must discard.
func PDF(ctx context.Context, src io.Reader, pages string, dst io.Writer) (Result, error) {
	return new(Cutter).PDF(ctx, src, pages, dst)
}

// PDF is like the package-level PDF, with c's limits.
func (c *Cutter) PDF(ctx context.Context, src io.Reader, pages string, dst io.Writer) (Result, error) {
	spans, err := parsePages(pages)
	if err != nil {
		return Result{}, err
	}
	list := formatPages(spans)
	if err := lookTools("qpdf"); err != nil {
		return Result{}, err
	}
	in, size, err := c.loadSource(ctx, src)
	if err != nil {
		return Result{}, err
	}
	defer in.Close()

	total, err := c.countPDFPages(ctx, in)
	if err != nil {
		return Result{}, failed(err, ErrMalformed, "the source could not be read as a PDF")
	}
	if last := spans[len(spans)-1].last; last > total {
		return Result{}, fmt.Errorf("%w: page %d asked for, but the document has %d page(s)", ErrInvalidRange, last, total)
	}

	out, err := newMemfd("out")
	if err != nil {
		return Result{}, err
	}
	defer out.Close()
	// --warning-exit-0: qpdf recovers from damage it warns about; the
	// output check below decides whether the result is sound.
	if _, err := c.run(ctx, "qpdf", []*os.File{in, out}, maxResult(size),
		"--warning-exit-0", fdPath(0), "--pages", ".", list, "--", fdPath(1)); err != nil {
		return Result{}, failed(err, nil, "the cut failed")
	}

	// Check the result by reading it back.
	if _, err := c.run(ctx, "qpdf", []*os.File{out}, 0, "--check", fdPath(0)); err != nil {
		return Result{}, failed(err, nil, "the cut produced an invalid PDF")
	}
	got, err := c.countPDFPages(ctx, out)
	if err != nil {
		return Result{}, failed(err, nil, "the cut produced an invalid PDF")
	}
	if want := countPages(spans); got != want {
		return Result{}, &ToolError{Tool: "qpdf", Msg: "the cut produced a PDF with the wrong pages",
			Detail: fmt.Sprintf("%d pages, want %d", got, want)}
	}
	n, err := writeResult(ctx, out, dst)
	if err != nil {
		return Result{}, err
	}
	return Result{Range: "pages=" + list, Size: n, Pages: got}, nil
}

// countPDFPages asks qpdf how many pages the PDF in f has.
func (c *Cutter) countPDFPages(ctx context.Context, f *os.File) (int, error) {
	out, err := c.run(ctx, "qpdf", []*os.File{f}, 0, "--warning-exit-0", "--show-npages", fdPath(0))
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || n < 0 {
		return 0, &ToolError{Tool: "qpdf", Msg: "qpdf failed", Err: err, Detail: "unexpected output: " + truncate(string(out), maxStderr)}
	}
	return n, nil
}
