package tus

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMetadata(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want map[string]string
		err  string
	}{
		{in: "", want: map[string]string{}},
		// tus-js-client and Uppy send these.
		{in: "filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential", want: map[string]string{"filename": "world_domination_plan.pdf", "is_confidential": ""}},
		{in: "relativePath bnVsbA==,name dmlkZW8ubXA0,type dmlkZW8vbXA0,filetype dmlkZW8vbXA0,filename dmlkZW8ubXA0", want: map[string]string{"relativePath": "null", "name": "video.mp4", "type": "video/mp4", "filetype": "video/mp4", "filename": "video.mp4"}},
		{in: " a  YQ , b Yg", want: map[string]string{"a": "a", "b": "b"}},
		{in: "a YQ==,", err: "entry 2 is empty"},
		{in: "a YQ==,,b", err: "entry 2 is empty"},
		{in: "a Y=Q=", err: "not base64"},
		{in: "a YR==", err: "not base64"}, // non-zero padding bits
		{in: "a /w==", err: "not UTF-8"},
		{in: "a,a", err: "appears twice"},
		{in: "k\x01 YQ==", err: "printable ASCII"},
		{in: "ключ YQ==", err: "printable ASCII"},
		{in: strings.Repeat("k", 65), err: "longer than 64"},
		{in: "a " + strings.Repeat("QUFB", 683), err: "longer than 2048"},
		{in: strings.Repeat("x,", 20000), err: "longer than 16384"},
	} {
		got, err := ParseMetadata(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) || !errors.Is(err, ErrMetadata) {
				t.Errorf("ParseMetadata(%.40q) = %v, %v; want an error saying %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMetadata(%.40q): %v", c.in, err)
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("ParseMetadata(%.40q) (-want +got):\n%s", c.in, diff)
		}
	}
}

func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{
		"",
		"filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,is_confidential",
		"relativePath bnVsbA==,name dmlkZW8ubXA0,type dmlkZW8vbXA0,filetype dmlkZW8vbXA0,filename dmlkZW8ubXA0",
		"class dmlkZW8=,purpose ZG9jdW1lbnRhdGlvbg,filename cHJvdGVzdCBkw7xzc2VsZG9yZi5tcDQ=",
		"a YQ==,,b",
		" a  YQ , b Yg",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		md, err := ParseMetadata(in)
		if err != nil {
			if !errors.Is(err, ErrMetadata) {
				t.Fatalf("error %v does not wrap ErrMetadata", err)
			}
			return
		}
		if len(md) > MaxMetadataPairs {
			t.Fatalf("%d pairs accepted", len(md))
		}
		// What parses formats back to a header that parses to the same.
		again, err := ParseMetadata(FormatMetadata(md))
		if err != nil {
			t.Fatalf("ParseMetadata(FormatMetadata(%q)): %v", md, err)
		}
		if diff := cmp.Diff(md, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}
