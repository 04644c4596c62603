package cut

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/vigil-project/vigil/internal/store/storetest"
)

// needTools skips the test, or fails it under VIGIL_TEST_REQUIRE, when a
// tool is not installed.
func needTools(t testing.TB, names ...string) {
	t.Helper()
	if err := lookTools(names...); err != nil {
		storetest.SkipOrFail(t, "cut", err.Error())
	}
}

// tool runs a tool the way a test needs it, independently of the code
// under test: input, if any, is passed in a memfd as /proc/self/fd/3, and
// with output set, the tool writes its result to a memfd at
// /proc/self/fd/4 (or 3, without input), which is returned.
func tool(t testing.TB, input []byte, output bool, name string, args ...string) (stdout, result []byte) {
	t.Helper()
	var files []*os.File
	if input != nil {
		files = append(files, testMemfd(t, input))
	}
	if output {
		files = append(files, testMemfd(t, nil))
	}
	cmd := exec.Command(name, args...)
	cmd.ExtraFiles = files
	cmd.Dir = t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, errb.Bytes())
	}
	if output {
		f := files[len(files)-1]
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		var err error
		if result, err = io.ReadAll(f); err != nil {
			t.Fatal(err)
		}
	}
	return out.Bytes(), result
}

func testMemfd(t testing.TB, data []byte) *os.File {
	t.Helper()
	fd, err := unix.MemfdCreate("test", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "memfd:test")
	t.Cleanup(func() { f.Close() })
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	return f
}

func hasEncoder(t testing.TB, name string) bool {
	t.Helper()
	encodersOnce.Do(func() {
		out, err := exec.Command("ffmpeg", "-hide_banner", "-encoders").Output()
		if err != nil {
			t.Fatalf("ffmpeg -encoders: %v", err)
		}
		encoders = string(out)
	})
	return strings.Contains(encoders, " "+name+" ")
}

var (
	encodersOnce sync.Once
	encoders     string
)

// sample is a generated 10-second recording.
type sample struct {
	mediaType, demuxer string
	data               []byte
}

var (
	samplesOnce sync.Once
	samples     []sample
)

// testSamples generates, once, a 10-second recording in each container
// that the installed ffmpeg can encode, with a keyframe every second.
func testSamples(t *testing.T) []sample {
	t.Helper()
	needTools(t, "ffmpeg", "ffprobe")
	samplesOnce.Do(func() {
		video := []string{"-f", "lavfi", "-i", "testsrc=duration=10:size=320x240:rate=25",
			"-f", "lavfi", "-i", "sine=frequency=440:duration=10"}
		x264 := []string{"-c:v", "mpeg4", "-q:v", "5"}
		if hasEncoder(t, "libx264") {
			x264 = []string{"-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"}
		}
		common := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y"}
		gen := func(mediaType, demuxer string, pipe bool, args ...string) {
			all := append(append([]string{}, common...), args...)
			if pipe {
				out, _ := tool(t, nil, false, "ffmpeg", append(all, "pipe:1")...)
				samples = append(samples, sample{mediaType, demuxer, out})
			} else {
				_, out := tool(t, nil, true, "ffmpeg", append(all, "/proc/self/fd/3")...)
				samples = append(samples, sample{mediaType, demuxer, out})
			}
		}
		// An ordinary MP4, its index at the end, as a phone writes it.
		gen("video/mp4", "mov", false, append(append(append([]string{}, video...), x264...),
			"-g", "25", "-c:a", "aac", "-f", "mp4")...)
		// A fragmented MP4, written to a pipe.
		gen("video/mp4", "mov", true, append(append(append([]string{}, video...), x264...),
			"-g", "25", "-an", "-movflags", "frag_keyframe+empty_moov", "-f", "mp4")...)
		gen("video/quicktime", "mov", false, append(append(append([]string{}, video...), x264...),
			"-g", "25", "-c:a", "aac", "-f", "mov")...)
		if hasEncoder(t, "libvpx") && hasEncoder(t, "libopus") {
			gen("video/webm", "matroska", true, append(append([]string{}, video...),
				"-c:v", "libvpx", "-b:v", "200k", "-g", "25", "-c:a", "libopus", "-f", "webm")...)
		}
		if hasEncoder(t, "libmp3lame") {
			gen("audio/mpeg", "mp3", true, "-f", "lavfi", "-i", "sine=duration=10", "-c:a", "libmp3lame", "-f", "mp3")
		}
		if hasEncoder(t, "libvorbis") {
			gen("audio/ogg", "ogg", true, "-f", "lavfi", "-i", "sine=duration=10", "-c:a", "libvorbis", "-f", "ogg")
		}
	})
	if len(samples) == 0 {
		t.Fatal("no samples generated")
	}
	return samples
}

// probeDuration returns the duration ffprobe reports for data, in seconds.
func probeDuration(t *testing.T, data []byte, demuxer string) float64 {
	t.Helper()
	out, _ := tool(t, data, false, "ffprobe", "-v", "error", "-f", demuxer,
		"-show_entries", "format=duration", "-of", "csv=p=0", "/proc/self/fd/3")
	d, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		t.Fatalf("ffprobe duration %q: %v", out, err)
	}
	return d
}

// packetHashes returns the MD5 of each packet in data, read without
// decoding.
func packetHashes(t *testing.T, data []byte, demuxer string) []string {
	t.Helper()
	out, _ := tool(t, data, false, "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		"-f", demuxer, "-i", "/proc/self/fd/3", "-map", "0", "-c", "copy", "-f", "framemd5", "pipe:1")
	var hashes []string
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		// stream, dts, pts, duration, size, hash[, side data]
		f := strings.Split(line, ",")
		if len(f) < 6 {
			t.Fatalf("framemd5 line %q", line)
		}
		hashes = append(hashes, f[0]+":"+strings.TrimSpace(f[5]))
	}
	return hashes
}

// makePDF writes a valid PDF of n pages by hand; page i shows "Page i".
func makePDF(n int) []byte {
	var b bytes.Buffer
	var offsets []int
	obj := func(body string) {
		offsets = append(offsets, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offsets), body)
	}
	b.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	// Objects: 1 catalog, 2 page tree, 3 font, then a page and its
	// content stream for each page.
	var kids []string
	for i := range n {
		kids = append(kids, fmt.Sprintf("%d 0 R", 4+2*i))
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), n))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for i := 1; i <= n; i++ {
		content := fmt.Sprintf("BT /F1 24 Tf 72 720 Td (Page %d) Tj ET", i)
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "+
			"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*(i-1)))
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offsets)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offsets)+1, xref)
	return b.Bytes()
}

// pdfTexts returns the "Page N" texts shown in a PDF, in page order.
func pdfTexts(t *testing.T, data []byte) []string {
	t.Helper()
	// QDF mode writes content streams uncompressed, in page order.
	out, _ := tool(t, data, false, "qpdf", "--qdf", "--object-streams=disable", "/proc/self/fd/3", "-")
	var texts []string
	for _, line := range strings.Split(string(out), "\n") {
		if i := strings.Index(line, "(Page "); i >= 0 {
			j := strings.Index(line[i:], ")")
			texts = append(texts, line[i+1:i+j])
		}
	}
	return texts
}
