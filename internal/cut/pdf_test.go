package cut

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPDF(t *testing.T) {
	needTools(t, "qpdf")
	src := makePDF(5)
	if got := pdfTexts(t, src); len(got) != 5 {
		t.Fatalf("the handwritten PDF shows %q", got)
	}
	for _, tc := range []struct {
		pages, wantRange string
		want             []string
	}{
		{"2-3", "pages=2-3", []string{"Page 2", "Page 3"}},
		{"5", "pages=5", []string{"Page 5"}},
		{" 4, 1 ,2-2", "pages=1-2,4", []string{"Page 1", "Page 2", "Page 4"}},
		{"1-5", "pages=1-5", []string{"Page 1", "Page 2", "Page 3", "Page 4", "Page 5"}},
	} {
		t.Run(tc.pages, func(t *testing.T) {
			var out bytes.Buffer
			res, err := PDF(context.Background(), bytes.NewReader(src), tc.pages, &out)
			if err != nil {
				var te *ToolError
				if errors.As(err, &te) {
					t.Logf("detail: %s", te.Detail)
				}
				t.Fatal(err)
			}
			if res.Range != tc.wantRange || res.Pages != len(tc.want) || res.Size != int64(out.Len()) {
				t.Errorf("Result = %+v (wrote %d bytes), want Range %q, Pages %d", res, out.Len(), tc.wantRange, len(tc.want))
			}
			stdout, _ := tool(t, out.Bytes(), false, "qpdf", "--show-npages", "/proc/self/fd/3")
			if n, _ := strconv.Atoi(strings.TrimSpace(string(stdout))); n != len(tc.want) {
				t.Errorf("qpdf reports %q pages, want %d", stdout, len(tc.want))
			}
			tool(t, out.Bytes(), false, "qpdf", "--check", "/proc/self/fd/3")
			if diff := cmp.Diff(tc.want, pdfTexts(t, out.Bytes())); diff != "" {
				t.Errorf("pages shown (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPDFInvalidPages(t *testing.T) {
	needTools(t, "qpdf")
	src := makePDF(5)
	for _, pages := range []string{"9", "2-9", "6", "0", "3-2", "", "a", "1,,2", "-1", "r1", "z"} {
		var out bytes.Buffer
		_, err := PDF(context.Background(), bytes.NewReader(src), pages, &out)
		if !errors.Is(err, ErrInvalidRange) {
			t.Errorf("PDF(%q) = %v, want ErrInvalidRange", pages, err)
		}
		if out.Len() != 0 {
			t.Errorf("PDF(%q) wrote %d bytes", pages, out.Len())
		}
	}
}

func TestPDFMalformed(t *testing.T) {
	needTools(t, "qpdf")
	for name, data := range map[string][]byte{
		"text":      []byte("this is not a PDF\n"),
		"truncated": makePDF(3)[:200],
		"empty":     nil,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := PDF(context.Background(), bytes.NewReader(data), "1", new(bytes.Buffer))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			t.Logf("message: %v", err)
			var te *ToolError
			if errors.As(err, &te) {
				t.Logf("detail: %s", te.Detail)
				if te.Detail == "" || strings.Contains(err.Error(), te.Detail) || strings.Contains(err.Error(), "/proc/") {
					t.Errorf("message %q, detail %q: want the tool's output in the detail only", err, te.Detail)
				}
			}
		})
	}
}
