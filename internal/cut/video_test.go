package cut

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestVideo(t *testing.T) {
	for i, s := range testSamples(t) {
		t.Run(fmt.Sprintf("%d-%s", i, strings.ReplaceAll(s.mediaType, "/", "_")), func(t *testing.T) {
			t.Parallel()
			srcHashes := map[string]bool{}
			for _, h := range packetHashes(t, s.data, s.demuxer) {
				srcHashes[h] = true
			}
			for _, tc := range []struct {
				from, to, wantEnd time.Duration
			}{
				{2 * time.Second, 5 * time.Second, 5 * time.Second},
				{2500 * time.Millisecond, 5 * time.Second, 5 * time.Second},
				{8 * time.Second, time.Hour, 10 * time.Second},
			} {
				var out bytes.Buffer
				res, err := Video(context.Background(), bytes.NewReader(s.data), s.mediaType, tc.from, tc.to, &out)
				if err != nil {
					var te *ToolError
					if errors.As(err, &te) {
						t.Logf("detail: %s", te.Detail)
					}
					t.Fatalf("Video(%v, %v): %v", tc.from, tc.to, err)
				}
				if res.Size != int64(out.Len()) || out.Len() == 0 {
					t.Errorf("Size = %d, wrote %d bytes", res.Size, out.Len())
				}
				// A cut starts on the keyframe or page that ffmpeg seeks to,
				// before from. The MP4 samples have a keyframe each second
				// exactly; the WebM's are 7 ms after and an Opus pre-skip
				// shifts its start, so ffmpeg seeks a second earlier.
				lo, hi := tc.from-1100*time.Millisecond, tc.from
				if s.demuxer == "mov" {
					lo, hi = tc.from.Truncate(time.Second)-50*time.Millisecond, tc.from.Truncate(time.Second)+50*time.Millisecond
				}
				if res.Start < lo || res.Start > hi || res.Start > tc.from {
					t.Errorf("cut %v-%v: Start = %v, want in [%v, %v]", tc.from, tc.to, res.Start, lo, hi)
				}
				if d := res.End - tc.wantEnd; d < -50*time.Millisecond || d > 50*time.Millisecond {
					t.Errorf("End = %v, want %v", res.End, tc.wantEnd)
				}
				if s.demuxer == "mov" {
					// +faststart: the index comes before the media data.
					moov, mdat := bytes.Index(out.Bytes(), []byte("moov")), bytes.Index(out.Bytes(), []byte("mdat"))
					if moov < 0 || mdat < 0 || moov > mdat {
						t.Errorf("moov at %d, mdat at %d: want moov first", moov, mdat)
					}
				}
				if want := formatTimeRange(res.Start, res.End); res.Range != want {
					t.Errorf("Range = %q, want %q", res.Range, want)
				}
				// The result's length as ffprobe sees it: the segment asked
				// for, plus, depending on the container, the lead-in from the
				// keyframe.
				got := probeDuration(t, out.Bytes(), s.demuxer)
				if lo, hi := (res.End - tc.from).Seconds(), (res.End - res.Start).Seconds(); got < lo-0.1 || got > hi+0.1 {
					t.Errorf("cut %v-%v: ffprobe reports %.3f s, want %.3f to %.3f s", tc.from, tc.to, got, lo, hi)
				}
				if math.Abs(got-res.Duration.Seconds()) > 0.001 {
					t.Errorf("Duration = %v, ffprobe reports %.3f s", res.Duration, got)
				}
				// Stream copy: every packet of the result is a packet of the
				// source, bit for bit.
				hashes := packetHashes(t, out.Bytes(), s.demuxer)
				if len(hashes) == 0 {
					t.Fatal("the result has no packets")
				}
				for _, h := range hashes {
					if !srcHashes[h] {
						t.Fatalf("cut %v-%v: packet %s is not in the source: re-encoded?", tc.from, tc.to, h)
					}
				}
			}
		})
	}
}

func TestVideoInvalidRange(t *testing.T) {
	s := testSamples(t)[0]
	for _, tc := range []struct{ from, to time.Duration }{
		{5 * time.Second, 5 * time.Second},
		{5 * time.Second, 2 * time.Second},
		{-time.Second, 2 * time.Second},
		{10 * time.Second, 12 * time.Second}, // at the end
		{12 * time.Second, 15 * time.Second}, // past it
	} {
		var out bytes.Buffer
		_, err := Video(context.Background(), bytes.NewReader(s.data), s.mediaType, tc.from, tc.to, &out)
		if !errors.Is(err, ErrInvalidRange) {
			t.Errorf("Video(%v, %v) = %v, want ErrInvalidRange", tc.from, tc.to, err)
		}
		if out.Len() != 0 {
			t.Errorf("Video(%v, %v) wrote %d bytes", tc.from, tc.to, out.Len())
		}
	}
}

func TestVideoMalformed(t *testing.T) {
	needTools(t, "ffmpeg", "ffprobe")
	pdf := makePDF(1)
	for _, tc := range []struct {
		name, mediaType string
		data            []byte
	}{
		{"text as mp4", "video/mp4", []byte("this is not a video, just some text\n")},
		{"pdf as webm", "video/webm", pdf},
		{"pdf as mp3", "audio/mpeg", pdf},
		{"empty", "video/mp4", nil},
		// A playlist must not make ffmpeg open the files it names: the
		// demuxer is forced, never guessed.
		{"playlist as mp4", "video/mp4", []byte("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n")},
		{"playlist as mpegts", "video/mp2t", []byte("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n")},
		{"concat list as avi", "video/x-msvideo", []byte("ffconcat version 1.0\nfile /etc/passwd\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := Video(context.Background(), bytes.NewReader(tc.data), tc.mediaType, 0, time.Second, &out)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			t.Logf("message: %v", err)
			var te *ToolError
			if errors.As(err, &te) {
				t.Logf("detail: %s", te.Detail)
				if te.Detail == "" {
					t.Error("no detail for the operator")
				}
				if strings.Contains(err.Error(), te.Detail) || strings.Contains(err.Error(), "/proc/") {
					t.Errorf("message %q shows the tool's output", err)
				}
			}
		})
	}
}

func TestVideoUnsupported(t *testing.T) {
	for _, mt := range []string{"image/png", "application/pdf", "video/", "not a type", ""} {
		_, err := Video(context.Background(), strings.NewReader("x"), mt, 0, time.Second, new(bytes.Buffer))
		if !errors.Is(err, ErrUnsupported) {
			t.Errorf("Video(%q) = %v, want ErrUnsupported", mt, err)
		}
	}
	// Parameters are allowed.
	if _, err := containerFor("Video/MP4; codecs=\"avc1.42E01E\""); err != nil {
		t.Errorf("containerFor with parameters: %v", err)
	}
}

func TestVideoTooLarge(t *testing.T) {
	s := testSamples(t)[0]
	c := &Cutter{MaxSource: int64(len(s.data)) - 1}
	_, err := c.Video(context.Background(), bytes.NewReader(s.data), s.mediaType, 0, time.Second, new(bytes.Buffer))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	c.MaxSource++
	if _, err := c.Video(context.Background(), bytes.NewReader(s.data), s.mediaType, 0, time.Second, new(bytes.Buffer)); err != nil {
		t.Fatalf("at exactly MaxSource: %v", err)
	}
}
