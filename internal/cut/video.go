package cut

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"os"
	"strconv"
	"strings"
	"time"
)

// container is how ffmpeg reads and writes one media type.
type container struct {
	demuxer string // forced with -f before -i: ffmpeg never guesses
	muxer   string
	// faststart moves the MP4/MOV index to the front, by a second pass
	// over the output file, which a memfd allows.
	faststart bool
}

// containers maps the media types that can be cut to their containers.
var containers = map[string]container{
	"video/mp4":        {"mov", "mp4", true},
	"video/x-m4v":      {"mov", "mp4", true},
	"audio/mp4":        {"mov", "mp4", true},
	"audio/x-m4a":      {"mov", "mp4", true},
	"video/quicktime":  {"mov", "mov", true},
	"video/3gpp":       {"mov", "3gp", true},
	"video/3gpp2":      {"mov", "3g2", true},
	"video/webm":       {"matroska", "webm", false},
	"audio/webm":       {"matroska", "webm", false},
	"video/x-matroska": {"matroska", "matroska", false},
	"audio/x-matroska": {"matroska", "matroska", false},
	"video/ogg":        {"ogg", "ogg", false},
	"audio/ogg":        {"ogg", "ogg", false},
	"audio/mpeg":       {"mp3", "mp3", false},
	"audio/mp3":        {"mp3", "mp3", false},
	"audio/wav":        {"wav", "wav", false},
	"audio/x-wav":      {"wav", "wav", false},
	"audio/wave":       {"wav", "wav", false},
	"audio/vnd.wave":   {"wav", "wav", false},
	"audio/flac":       {"flac", "flac", false},
	"audio/x-flac":     {"flac", "flac", false},
	"audio/aac":        {"aac", "adts", false},
	"video/mp2t":       {"mpegts", "mpegts", false},
	"video/x-msvideo":  {"avi", "avi", false},
	"video/x-flv":      {"flv", "flv", false},
}

func containerFor(mediaType string) (container, error) {
	mt, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return container{}, fmt.Errorf("%w: %q", ErrUnsupported, mediaType)
	}
	c, ok := containers[mt]
	if !ok {
		return container{}, fmt.Errorf("%w: %s", ErrUnsupported, mt)
	}
	return c, nil
}

// Video copies the time range [from, to) of a video or audio recording of
// the given media type (video/mp4, video/webm, video/quicktime, audio/mpeg,
// audio/ogg, ...) from src to dst with "ffmpeg -c copy", without decoding
// or re-encoding. A cut must start on a keyframe, so the result may start a
// little before from; to is clamped to the recording's end. Result reports
// the segment actually cut.
//
// Errors wrap ErrUnsupported for a media type that cannot be cut,
// ErrInvalidRange for a range outside the recording, ErrMalformed for a
// source that is not a readable recording of its type, ErrTooLarge, or
// ErrToolMissing; a tool's failure is a *ToolError. On error, dst may hold
// part of a result, which the caller must discard.
func Video(ctx context.Context, src io.Reader, mediaType string, from, to time.Duration, dst io.Writer) (Result, error) {
	return new(Cutter).Video(ctx, src, mediaType, from, to, dst)
}

// Video is like the package-level Video, with c's limits.
func (c *Cutter) Video(ctx context.Context, src io.Reader, mediaType string, from, to time.Duration, dst io.Writer) (Result, error) {
	ct, err := containerFor(mediaType)
	if err != nil {
		return Result{}, err
	}
	if from < 0 || to <= from {
		return Result{}, fmt.Errorf("%w: the end %s is not after the start %s", ErrInvalidRange, formatTime(to), formatTime(from))
	}
	if err := lookTools("ffmpeg", "ffprobe"); err != nil {
		return Result{}, err
	}
	in, size, err := c.loadSource(ctx, src)
	if err != nil {
		return Result{}, err
	}
	defer in.Close()

	p, err := c.probe(ctx, in, ct.demuxer, "format=duration,start_time:stream=codec_type:stream_disposition=attached_pic")
	if err != nil {
		return Result{}, failed(err, ErrMalformed, "the source could not be read as "+mediaType)
	}
	if len(p.Streams) == 0 {
		return Result{}, &ToolError{Tool: "ffprobe", Msg: "the source could not be read as " + mediaType, Kind: ErrMalformed,
			Detail: "no streams"}
	}
	duration, err := c.duration(ctx, in, ct.demuxer, p)
	if err != nil {
		return Result{}, failed(err, ErrMalformed, "the source could not be read as "+mediaType)
	}
	if from >= duration {
		return Result{}, fmt.Errorf("%w: the start %s is not before the end of the recording, %s", ErrInvalidRange, formatTime(from), formatTime(duration))
	}
	to = min(to, duration)
	start, err := c.keyframeBefore(ctx, in, ct.demuxer, p, from)
	if err != nil {
		return Result{}, failed(err, ErrMalformed, "the source could not be read as "+mediaType)
	}

	out, err := newMemfd("out")
	if err != nil {
		return Result{}, err
	}
	defer out.Close()
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-protocol_whitelist", "file",
		"-f", ct.demuxer, "-ss", seconds(from), "-to", seconds(to), "-i", fdPath(0),
		"-map", "0", "-ignore_unknown", "-c", "copy",
		"-protocol_whitelist", "file"}
	if ct.faststart {
		args = append(args, "-movflags", "+faststart")
	}
	args = append(args, "-f", ct.muxer, fdPath(1))
	if _, err := c.run(ctx, "ffmpeg", []*os.File{in, out}, maxResult(size), args...); err != nil {
		return Result{}, failed(err, nil, "the cut failed")
	}

	// Check the result by reading it back.
	q, err := c.probe(ctx, out, ct.demuxer, "format=duration")
	if err != nil {
		return Result{}, failed(err, nil, "the cut produced an unreadable file")
	}
	got, err := c.duration(ctx, out, ct.demuxer, q)
	if err != nil {
		return Result{}, failed(err, nil, "the cut produced an unreadable file")
	}
	n, err := writeResult(ctx, out, dst)
	if err != nil {
		return Result{}, err
	}
	return Result{Range: formatTimeRange(start, to), Size: n, Start: start, End: to, Duration: got}, nil
}

// probeResult is what ffprobe -of json prints, in part.
type probeResult struct {
	Streams []struct {
		CodecType   string `json:"codec_type"`
		Disposition struct {
			AttachedPic int `json:"attached_pic"`
		} `json:"disposition"`
	} `json:"streams"`
	Format  probeFormat `json:"format"`
	Packets []struct {
		PTSTime string `json:"pts_time"`
	} `json:"packets"`
}

type probeFormat struct {
	Duration  string `json:"duration"`
	StartTime string `json:"start_time"`
}

func (f probeFormat) duration() (time.Duration, error)  { return parseProbeTime(f.Duration) }
func (f probeFormat) startTime() (time.Duration, error) { return parseProbeTime(f.StartTime) }

// probe runs ffprobe on f, read with demuxer, and returns the entries asked
// for, plus any extra arguments.
func (c *Cutter) probe(ctx context.Context, f *os.File, demuxer, entries string, extra ...string) (*probeResult, error) {
	args := []string{"-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file", "-f", demuxer}
	args = append(args, extra...)
	args = append(args, "-show_entries", entries, "-of", "json", fdPath(0))
	out, err := c.run(ctx, "ffprobe", []*os.File{f}, 0, args...)
	if err != nil {
		return nil, err
	}
	var p probeResult
	if err := json.Unmarshal(out, &p); err != nil {
		return nil, &ToolError{Tool: "ffprobe", Msg: "ffprobe failed", Err: err, Detail: "unexpected output: " + truncate(string(out), maxStderr)}
	}
	return &p, nil
}

// duration returns the duration of the recording in f, as ffprobe reported
// it in p or, when the container does not say (a WebM recorded in a
// browser, say), as measured by reading the whole recording, without
// decoding it.
func (c *Cutter) duration(ctx context.Context, f *os.File, demuxer string, p *probeResult) (time.Duration, error) {
	if d, err := p.Format.duration(); err == nil && d > 0 {
		return d, nil
	}
	out, err := c.run(ctx, "ffmpeg", []*os.File{f}, 0, "-nostdin", "-hide_banner", "-loglevel", "error",
		"-protocol_whitelist", "file", "-f", demuxer, "-i", fdPath(0),
		"-map", "0", "-ignore_unknown", "-c", "copy", "-f", "null", "-progress", "pipe:1", "-nostats", "-")
	if err != nil {
		return 0, err
	}
	// The last report holds the end: "out_time_us=10001000".
	var us int64 = -1
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "out_time_us="); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				us = n
			}
		}
	}
	if us <= 0 || us > maxTime.Microseconds() {
		return 0, &ToolError{Tool: "ffmpeg", Msg: "ffmpeg failed", Detail: "no duration in: " + truncate(string(out), maxStderr)}
	}
	return time.Duration(us) * time.Microsecond, nil
}

// keyframeBefore returns where a stream copy that starts at from really
// starts: at the keyframe ffmpeg seeks to, found the same way, in the
// first video stream (or, without video, the first audio stream). If that
// cannot be found, it returns from.
func (c *Cutter) keyframeBefore(ctx context.Context, f *os.File, demuxer string, p *probeResult, from time.Duration) (time.Duration, error) {
	if from == 0 {
		return 0, nil
	}
	stream := "a:0"
	for _, s := range p.Streams {
		if s.CodecType == "video" && s.Disposition.AttachedPic == 0 {
			stream = "V:0"
			break
		}
	}
	// ffmpeg's -ss counts from the start time of the file; ffprobe's
	// -read_intervals counts from zero.
	offset, err := p.Format.startTime()
	if err != nil {
		offset = 0
	}
	q, err := c.probe(ctx, f, demuxer, "packet=pts_time",
		"-select_streams", stream, "-read_intervals", seconds(offset+from)+"%+#1")
	if err != nil {
		return 0, err
	}
	if len(q.Packets) == 0 {
		return from, nil
	}
	pts, err := parseProbeTime(q.Packets[0].PTSTime)
	if err != nil {
		return from, nil
	}
	return max(0, min(from, pts-offset)), nil
}

// parseProbeTime parses a time in seconds as ffprobe prints it.
func parseProbeTime(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > maxTime.Seconds() {
		return 0, fmt.Errorf("not a time: %q", s)
	}
	return time.Duration(math.Round(f * 1e9)), nil
}

// seconds formats d for ffmpeg's time options, in seconds.
func seconds(d time.Duration) string {
	neg := ""
	if d < 0 {
		neg, d = "-", -d
	}
	return fmt.Sprintf("%s%d.%09d", neg, d/time.Second, d%time.Second)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…(truncated)"
}
