package vault

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// video makes a ten-second MP4 with ffmpeg, in memory.
func video(t *testing.T) []byte {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		storetest.SkipOrFail(t, "ffmpeg", "ffmpeg is not installed (Debian package ffmpeg): cannot test segments")
	}
	cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=duration=10:size=160x120:rate=25",
		"-c:v", "mpeg4", "-g", "25", "-movflags", "frag_keyframe+empty_moov", "-f", "mp4", "pipe:1")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, stderr.String())
	}
	return out.Bytes()
}

// probe returns a recording's duration as ffprobe reads it.
func probe(t *testing.T, b []byte) time.Duration {
	t.Helper()
	cmd := exec.Command("ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", "-i", "pipe:0")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	d, err := time.ParseDuration(strings.TrimSpace(string(out)) + "s")
	if err != nil {
		t.Fatalf("ffprobe said %q", out)
	}
	return d
}

// TestHeldSegmentOutlivesItsOriginal is A/HRC/44/24 para. 36: the case
// keeps the three seconds it needs; the rest of the recording is destroyed
// on its schedule.
func TestHeldSegmentOutlivesItsOriginal(t *testing.T) {
	src := video(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		cmd := f.acc("commander")
		orig, _ := f.ingest("officer", NewItem{Class: "bodycam", MediaType: "video/mp4", Purpose: "Footage of the arrest at the bridge"}, src)
		c, err := f.v.OpenCase(ctx, cmd, Investigation, "INV-2026/900")
		if err != nil {
			t.Fatal(err)
		}
		hold, err := f.v.PlaceHold(ctx, cmd, c.ID, orig.ID, f.now.Add(400*24*time.Hour), "The arrest is contested")
		if err != nil {
			t.Fatal(err)
		}
		// Only someone working on a case that holds it may cut it.
		if _, err := f.v.Derive(ctx, f.acc("commander2"), orig.ID, Segment{CaseID: c.ID, Range: "2-5", Purpose: "The moment of the arrest"}); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrForbidden) {
			t.Fatalf("an outsider cut a segment: %v", err)
		}
		for _, bad := range []string{"5-2", "00:00:20-00:00:30", "soon"} {
			if _, err := f.v.Derive(ctx, cmd, orig.ID, Segment{CaseID: c.ID, Range: bad, Purpose: "The moment of the arrest"}); !errors.Is(err, ErrInvalid) {
				t.Errorf("range %q: %v", bad, err)
			}
		}
		seg, err := f.v.Derive(ctx, cmd, orig.ID, Segment{CaseID: c.ID, Range: "00:00:02-00:00:05", Purpose: "The moment of the arrest"})
		if err != nil {
			t.Fatal(err)
		}
		if seg.ParentID != orig.ID || seg.ParentCommitment != orig.Commitment || !strings.HasPrefix(seg.Segment, "t=00:00:02") || !seg.RetainUntil.Equal(orig.RetainUntil) {
			t.Fatalf("segment = %+v", seg)
		}
		g, err := f.v.Authorize(ctx, cmd, seg.ID, Access{Action: ActionView, Purpose: "Check the cut", Basis: Basis{Kind: BasisCase, Ref: c.ID}})
		if err != nil {
			t.Fatal(err)
		}
		content, err := f.v.Open(ctx, cmd.ID, seg.ID, g.Token)
		if err != nil {
			t.Fatal(err)
		}
		cut := readAll(t, content)
		if d := probe(t, cut); d < 2500*time.Millisecond || d > 3500*time.Millisecond {
			t.Errorf("the segment lasts %v, want about 3s", d)
		}
		// The case lets the whole recording go; its schedule ends.
		if err := f.v.ReleaseHold(ctx, cmd, hold.ID, "Only the segment is needed"); err != nil {
			t.Fatal(err)
		}
		f.now = orig.RetainUntil.Add(time.Hour)
		if n, err := f.v.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep destroyed %d, %v; want the original only", n, err)
		}
		if o, _ := f.v.Get(ctx, orig.ID); o.DestroyedAt == nil {
			t.Fatal("the original survived")
		}
		g, err = f.v.Authorize(ctx, cmd, seg.ID, Access{Action: ActionDownload, Purpose: "For the prosecutor", Basis: Basis{Kind: BasisCase, Ref: c.ID}})
		if err != nil {
			t.Fatalf("the held segment: %v", err)
		}
		content, err = f.v.Open(ctx, cmd.ID, seg.ID, g.Token)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(readAll(t, content), cut) {
			t.Error("the segment changed")
		}
		evs, _ := ledger.List(ctx, db, ledger.Query{Subject: "item:" + seg.ID})
		first := evs[len(evs)-1]
		if first.Type != "item.ingested" || !strings.Contains(string(first.Entry), `"derived_from":"`+orig.ID+`"`) || !strings.Contains(string(first.Entry), `"segment":"t=00:00:02`) {
			t.Errorf("the segment's ingest entry: %s", first.Entry)
		}
	})
}
