package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/bundle"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
	"github.com/vigil-project/vigil/internal/tus"
	"github.com/vigil-project/vigil/internal/vault"
)

// msgEN is the English text of a catalog key, as the API answers it.
func msgEN(t testing.TB, key string, args ...any) string {
	t.Helper()
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !cat.Has(key) {
		t.Fatalf("the catalog has no %q", key)
	}
	return cat.T(i18n.Fallback, key, args...)
}

// fakeMP4 is bytes a sniffer takes for an MP4 file: an ftyp box, then noise.
func fakeMP4(t testing.TB, size int) []byte {
	t.Helper()
	b := make([]byte, size)
	rand.Read(b)
	copy(b, "\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
	return b
}

// screenshot is a small real PNG.
func screenshot(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 240, 160))
	for y := range 160 {
		for x := range 240 {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 160, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testVideo makes a ten-second MP4 with ffmpeg, as the vault's own tests do.
func testVideo(t testing.TB) []byte {
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

// send makes an API request with any body and headers.
func (h *harness) send(method, path, token string, body []byte, header map[string]string) (*http.Response, []byte) {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.ts.URL+path, bytes.NewReader(body))
	if body == nil {
		req.Body = http.NoBody
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

type uploaded struct {
	Item struct {
		ID           string     `json:"id"`
		Class        string     `json:"class"`
		MediaType    string     `json:"media_type"`
		Size         int64      `json:"size"`
		SHA256       string     `json:"sha256"`
		Commitment   string     `json:"commitment"`
		Submitted    bool       `json:"submitted"`
		Parent       string     `json:"parent"`
		Segment      string     `json:"segment"`
		DestroyedAt  *time.Time `json:"destroyed_at"`
		ReceiptURL   string     `json:"receipt_url"`
		RetainUntil  time.Time  `json:"retain_until"`
		DueAt        time.Time  `json:"due_at"`
		UploaderRole string     `json:"uploader_role"`
		Holds        []struct {
			ID         string     `json:"id"`
			Case       string     `json:"case"`
			Active     bool       `json:"active"`
			Reason     string     `json:"reason"`
			ReleasedAt *time.Time `json:"released_at"`
		} `json:"holds"`
	} `json:"item"`
	Submission *struct {
		Submission string `json:"submission"`
		PIN        string `json:"pin"`
	} `json:"submission"`
}

// upload adds an item through POST /api/items.
func (h *harness) upload(token, mediaType string, body []byte, md map[string]string) (*http.Response, uploaded, string) {
	h.t.Helper()
	header := map[string]string{"Vigil-Metadata": tus.FormatMetadata(md)}
	if mediaType != "" {
		header["Content-Type"] = mediaType
	}
	resp, b := h.send(http.MethodPost, "/api/items", token, body, header)
	var out uploaded
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(b, &out); err != nil {
			h.t.Fatalf("upload answer: %v\n%s", err, b)
		}
	}
	return resp, out, string(b)
}

// mustJSON calls the JSON API and decodes the answer, which must have
// the status given.
func (h *harness) mustJSON(method, path, token, body string, status int, into any) string {
	h.t.Helper()
	resp, b := h.api(method, path, token, body)
	if resp.StatusCode != status {
		h.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, status, b)
	}
	if into != nil {
		if err := json.Unmarshal([]byte(b), into); err != nil {
			h.t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	return b
}

// problemDetail reads an RFC 9457 problem's detail.
func problemDetail(t testing.TB, body string) string {
	t.Helper()
	var p struct {
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("not a problem document: %v\n%s", err, body)
	}
	return p.Detail
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

type grantJSON struct {
	Grant      string    `json:"grant"`
	Expires    time.Time `json:"expires"`
	ContentURL string    `json:"content_url"`
}

type custodyJSON struct {
	Events []struct {
		ID       int64          `json:"id"`
		Type     string         `json:"type"`
		Role     string         `json:"role"`
		Facts    map[string]any `json:"facts"`
		LogIndex *int64         `json:"log_index"`
		Entry    string         `json:"entry"`
	} `json:"events"`
	Accesses []struct {
		Account string `json:"account"`
		Role    string `json:"role"`
		Action  string `json:"action"`
		Purpose string `json:"purpose"`
		Basis   struct {
			Kind string `json:"kind"`
			Ref  string `json:"ref"`
		} `json:"basis"`
	} `json:"accesses"`
}

func (c custodyJSON) types() []string {
	var out []string
	for _, e := range c.Events {
		out = append(out, e.Type)
	}
	return out
}

// TestVaultAPIUploadAndRead: an officer's upload and a victim's, the
// refusals, reads with a purpose and a basis, the custody record as its
// readers see it, and a victim's view by case number and PIN.
func TestVaultAPIUploadAndRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		officer := h.token(h.account("olga", auth.Officer, "Station 4"))
		other := h.token(h.account("otto", auth.Officer, "Station 9"))
		commander := h.token(h.account("cora", auth.Commander, "Public Order Unit 3"))
		reporter := h.token(h.account("rita", auth.Reporter, ""))
		moderator := h.token(h.account("moira", auth.Moderator, "Helpline"))
		oversight := h.token(h.account("ines", auth.Oversight, "DPA"))

		// An officer's body-camera clip.
		clip := fakeMP4(t, 300<<10)
		resp, up, body := h.upload(officer, "video/mp4", clip, map[string]string{vault.MetaClass: "bodycam", vault.MetaPurpose: "Arrest at the bridge, 14:05"})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("officer upload: %d %s", resp.StatusCode, body)
		}
		it := up.Item
		if it.Class != "bodycam" || it.MediaType != "video/mp4" || it.Size != int64(len(clip)) || it.SHA256 != sha(clip) || up.Submission != nil {
			t.Fatalf("uploaded item = %+v, submission %v", it, up.Submission)
		}
		if loc := resp.Header.Get("Location"); loc != "/api/items/"+it.ID {
			t.Errorf("Location = %q", loc)
		}
		if strings.Contains(body, "Arrest at the bridge") {
			t.Error("the answer shows the purpose, which is private to the custody record")
		}

		// Refusals, each with a message that says what to do.
		for _, c := range []struct {
			name, token, mediaType string
			body                   []byte
			md                     map[string]string
			status                 int
			want                   string
		}{
			{"reporter uploads body-camera footage", reporter, "video/mp4", clip, map[string]string{vault.MetaClass: "bodycam", vault.MetaPurpose: "My own recording"},
				http.StatusForbidden, msgEN(t, "vault.upload_role", "class", "bodycam")},
			{"no such class", officer, "video/mp4", clip, map[string]string{vault.MetaClass: "drone", vault.MetaPurpose: "Overview of the square"},
				http.StatusBadRequest, "is not a class of item"},
			{"refused class", officer, "video/mp4", clip, map[string]string{vault.MetaClass: "facilitation", vault.MetaPurpose: "Crowd count at noon"},
				http.StatusBadRequest, msgEN(t, "vault.class_refused", "class", "facilitation")},
			{"type mismatch", officer, "image/png", []byte("just some text, not a picture at all"), map[string]string{vault.MetaClass: "bodycam", vault.MetaPurpose: "Arrest at the bridge"},
				http.StatusBadRequest, msgEN(t, "vault.media_mismatch", "declared", "image/png", "found", "text/plain")},
			{"type not taken", officer, "application/x-msdownload", []byte("MZ"), map[string]string{vault.MetaClass: "bodycam", vault.MetaPurpose: "Arrest at the bridge"},
				http.StatusBadRequest, msgEN(t, "vault.media_type", "type", "application/x-msdownload")},
			{"empty file", officer, "video/mp4", nil, map[string]string{vault.MetaClass: "bodycam", vault.MetaPurpose: "Arrest at the bridge"},
				http.StatusBadRequest, msgEN(t, "vault.empty")},
			{"no purpose", officer, "video/mp4", clip, map[string]string{vault.MetaClass: "bodycam"},
				http.StatusBadRequest, msgEN(t, "vault.purpose")},
			{"capture needs a deployment", officer, "video/mp4", clip, map[string]string{vault.MetaClass: "capture", vault.MetaPurpose: "Drone over the square"},
				http.StatusBadRequest, msgEN(t, "vault.needs_deployment", "class", "capture")},
			{"admin uploads", h.token(h.account("amira", auth.Admin, "HQ")), "video/mp4", clip, map[string]string{vault.MetaClass: "bodycam", vault.MetaPurpose: "Arrest"},
				http.StatusForbidden, msgEN(t, "error.forbidden")},
			{"unreadable metadata", officer, "video/mp4", clip, map[string]string{"class": "bodycam", "bad key": "x"},
				http.StatusBadRequest, "Vigil-Metadata"},
		} {
			t.Run(c.name, func(t *testing.T) {
				resp, _, body := h.upload(c.token, c.mediaType, c.body, c.md)
				if resp.StatusCode != c.status {
					t.Fatalf("%d, want %d: %s", resp.StatusCode, c.status, body)
				}
				if d := problemDetail(t, body); !strings.Contains(d, c.want) {
					t.Errorf("detail %q, want %q in it", d, c.want)
				}
			})
		}
		var listed struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		h.mustJSON("GET", "/api/items", officer, "", 200, &listed)
		if len(listed.Items) != 1 {
			t.Fatalf("after the refusals the officer sees %d items, want 1", len(listed.Items))
		}

		// A victim's screenshot: a new submission, with its case number and PIN.
		shot := screenshot(t)
		resp, vic, body := h.upload(reporter, "image/png", shot, map[string]string{vault.MetaClass: "report", vault.MetaPurpose: "Threats sent to me on a messenger", vault.MetaFilename: "threat.png"})
		if resp.StatusCode != http.StatusCreated || vic.Submission == nil || !strings.HasPrefix(vic.Submission.Submission, "VC-") || len(vic.Submission.PIN) != 9 {
			t.Fatalf("reporter upload: %d %s", resp.StatusCode, body)
		}
		if !vic.Item.Submitted || strings.Contains(body, "threat.png") {
			t.Errorf("the victim's item: %s", body)
		}
		number, pin := vic.Submission.Submission, vic.Submission.PIN

		// The support service adds its statement to the same submission,
		// with the number and PIN the victim gave it: a wrong PIN is refused.
		statement := []byte("Statement taken by the helpline on 2026-11-23.\n")
		resp, _, body = h.upload(moderator, "text/plain", statement, map[string]string{vault.MetaClass: "report", vault.MetaPurpose: "Statement for the complaint",
			vault.MetaSubmission: number, vault.MetaPIN: "0000-0000"})
		if resp.StatusCode != http.StatusForbidden || problemDetail(t, body) != msgEN(t, "vault.submission_unknown") {
			t.Fatalf("wrong PIN: %d %s", resp.StatusCode, body)
		}
		resp, _, body = h.upload(moderator, "text/plain", statement, map[string]string{vault.MetaClass: "report", vault.MetaPurpose: "Statement for the complaint",
			vault.MetaSubmission: strings.ToLower(number), vault.MetaPIN: pin})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("support service adds to the submission: %d %s", resp.StatusCode, body)
		}

		// The commander holds the clip for an investigation and reads it.
		var inv struct {
			ID string `json:"id"`
		}
		h.mustJSON("POST", "/api/cases", commander, `{"kind":"investigation","reference":"INV-2026/114"}`, 201, &inv)
		h.mustJSON("POST", "/api/cases/"+inv.ID+"/holds", commander, jsonBody(map[string]any{"item": it.ID, "until": time.Now().AddDate(1, 0, 0), "reason": "The arrest is contested"}), 201, nil)
		var g grantJSON
		h.mustJSON("POST", "/api/items/"+it.ID+"/access", commander, jsonBody(map[string]any{"action": "view", "purpose": "Review the arrest for the complaint",
			"basis": map[string]string{"kind": "case", "ref": inv.ID}}), 200, &g)
		if !strings.HasPrefix(g.ContentURL, "/api/items/"+it.ID+"/content?grant=") || time.Until(g.Expires) < 10*time.Minute {
			t.Fatalf("grant = %+v", g)
		}
		resp, got := h.send("GET", g.ContentURL, commander, nil, nil)
		if resp.StatusCode != 200 || !bytes.Equal(got, clip) {
			t.Fatalf("content: %d, %d bytes, equal %v", resp.StatusCode, len(got), bytes.Equal(got, clip))
		}
		for k, want := range map[string]string{"Content-Type": "video/mp4", "Content-Security-Policy": "sandbox; default-src 'none'", "Cache-Control": "no-store",
			"Accept-Ranges": "bytes"} {
			if v := resp.Header.Get(k); v != want {
				t.Errorf("content header %s = %q, want %q", k, v, want)
			}
		}
		if d := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(d, "inline; filename="+it.ID) {
			t.Errorf("a view's Content-Disposition = %q", d)
		}
		// A range, as a player seeks.
		resp, got = h.send("GET", g.ContentURL, commander, nil, map[string]string{"Range": "bytes=100000-100099"})
		if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(got, clip[100000:100100]) {
			t.Errorf("range: %d, %d bytes", resp.StatusCode, len(got))
		}
		// Someone else's grant opens nothing.
		resp, got = h.send("GET", g.ContentURL, other, nil, nil)
		if resp.StatusCode != http.StatusForbidden || problemDetail(t, string(got)) != msgEN(t, "vault.grant") {
			t.Errorf("another officer with the commander's grant: %d %s", resp.StatusCode, got)
		}
		// A download is an attachment.
		h.mustJSON("POST", "/api/items/"+it.ID+"/access", commander, jsonBody(map[string]any{"action": "download", "purpose": "Copy for the prosecutor",
			"basis": map[string]string{"kind": "case", "ref": inv.ID}}), 200, &g)
		resp, _ = h.send("GET", g.ContentURL, commander, nil, nil)
		if d := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(d, "attachment") {
			t.Errorf("a download's Content-Disposition = %q", d)
		}

		// Reads without a basis that holds are refused, and say why.
		for _, c := range []struct {
			name, token string
			basis       map[string]string
			status      int
			want        string
		}{
			{"a case the reader does not work on", other, map[string]string{"kind": "case", "ref": inv.ID}, http.StatusForbidden, msgEN(t, "vault.basis_case")},
			{"no deployment captured it", other, map[string]string{"kind": "deployment", "ref": "dep_bcdfghjklmnpqrstvwxz"}, http.StatusForbidden, msgEN(t, "vault.basis_deployment_other")},
			{"not the submitter", other, map[string]string{"kind": "submitter"}, http.StatusForbidden, msgEN(t, "vault.basis_submitter")},
			{"no basis at all", commander, map[string]string{}, http.StatusBadRequest, msgEN(t, "vault.basis", "basis", "")},
			{"the reporter cannot see police footage", reporter, map[string]string{"kind": "case", "ref": inv.ID}, http.StatusNotFound, msgEN(t, "error.not_found")},
		} {
			t.Run(c.name, func(t *testing.T) {
				resp, body := h.api("POST", "/api/items/"+it.ID+"/access", c.token, jsonBody(map[string]any{"purpose": "Just curious about it", "basis": c.basis}))
				if resp.StatusCode != c.status || problemDetail(t, body) != c.want {
					t.Errorf("%d %s, want %d %q", resp.StatusCode, body, c.status, c.want)
				}
			})
		}
		resp, body = h.api("POST", "/api/items/"+it.ID+"/access", commander, `{"purpose":"","basis":{"kind":"case","ref":"`+inv.ID+`"}}`)
		if resp.StatusCode != 400 || problemDetail(t, body) != msgEN(t, "vault.purpose") {
			t.Errorf("no purpose: %d %s", resp.StatusCode, body)
		}

		// The custody record: every event, as logged, and every read.
		var cust custodyJSON
		h.mustJSON("GET", "/api/items/"+it.ID+"/custody", commander, "", 200, &cust)
		if got := strings.Join(cust.types(), " "); got != "item.ingested item.held item.accessed item.accessed" {
			t.Errorf("custody events: %s", got)
		}
		if len(cust.Accesses) != 2 || cust.Accesses[0].Purpose != "Review the arrest for the complaint" || cust.Accesses[0].Role != "commander" ||
			cust.Accesses[0].Basis.Kind != "case" || cust.Accesses[0].Account != "" {
			t.Errorf("accesses as the commander sees them: %+v", cust.Accesses)
		}
		if e := cust.Events[0]; e.Role != "officer" || !strings.Contains(e.Entry, `"type":"item.ingested"`) || strings.Contains(e.Entry, "Arrest at the bridge") {
			t.Errorf("ingest event: %+v", e)
		}
		// Oversight sees every read, and by whom.
		h.mustJSON("GET", "/api/items/"+it.ID+"/custody", oversight, "", 200, &cust)
		if len(cust.Accesses) != 2 || cust.Accesses[0].Account == "" {
			t.Errorf("accesses as oversight sees them: %+v", cust.Accesses)
		}
		// The victim's item: the reporter does not see police footage.
		resp, _ = h.api("GET", "/api/items/"+it.ID+"/custody", reporter, "")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("a reporter reads a police item's custody: %d", resp.StatusCode)
		}

		// The support service holds the screenshot for a complaint and reads it.
		var comp struct {
			ID string `json:"id"`
		}
		h.mustJSON("POST", "/api/cases", moderator, `{"kind":"complaint","reference":"HL-2026-0457"}`, 201, &comp)
		h.mustJSON("POST", "/api/cases/"+comp.ID+"/holds", moderator, jsonBody(map[string]any{"item": vic.Item.ID, "until": time.Now().AddDate(3, 0, 0), "reason": "Complaint to the police"}), 201, nil)
		h.mustJSON("POST", "/api/items/"+vic.Item.ID+"/access", moderator, jsonBody(map[string]any{"purpose": "Prepare the complaint with her",
			"basis": map[string]string{"kind": "case", "ref": comp.ID}}), 200, &g)
		if resp, got := h.send("GET", g.ContentURL, moderator, nil, nil); resp.StatusCode != 200 || !bytes.Equal(got, shot) {
			t.Fatalf("the screenshot: %d", resp.StatusCode)
		}

		// The victim, with no account, sees that read: role, purpose, basis,
		// and the hold by kind of case; nothing about who.
		var sv struct {
			Number string `json:"number"`
			Items  []struct {
				ID       string `json:"id"`
				Accesses []struct {
					Role    string `json:"role"`
					Action  string `json:"action"`
					Purpose string `json:"purpose"`
					Basis   string `json:"basis"`
				} `json:"accesses"`
				Holds []struct {
					CaseKind string `json:"case_kind"`
					Active   bool   `json:"active"`
				} `json:"holds"`
			} `json:"items"`
		}
		b := h.mustJSON("POST", "/api/submission", "", jsonBody(map[string]string{"number": strings.ReplaceAll(number, "-", " "), "pin": pin}), 200, &sv)
		if sv.Number != number || len(sv.Items) != 2 || sv.Items[0].ID != vic.Item.ID {
			t.Fatalf("submission view: %s", b)
		}
		if a := sv.Items[0].Accesses; len(a) != 1 || a[0].Role != "moderator" || a[0].Purpose != "Prepare the complaint with her" || a[0].Basis != "case" || a[0].Action != "view" {
			t.Errorf("the victim sees accesses %+v", a)
		}
		if hs := sv.Items[0].Holds; len(hs) != 1 || hs[0].CaseKind != "complaint" || !hs[0].Active {
			t.Errorf("the victim sees holds %+v", hs)
		}
		for _, private := range []string{"HL-2026-0457", comp.ID, "acc_", "Helpline", "moira"} {
			if strings.Contains(b, private) {
				t.Errorf("the submission view shows %q: %s", private, b)
			}
		}

		// A wrong case number and a wrong PIN get the same answer; guessing
		// is cut off.
		wrong := msgEN(t, "vault.submission_unknown")
		resp, body = h.api("POST", "/api/submission", "", jsonBody(map[string]string{"number": "VC-BBBB-CCCC-DDDD", "pin": pin}))
		if resp.StatusCode != 403 || problemDetail(t, body) != wrong {
			t.Errorf("wrong number: %d %s", resp.StatusCode, body)
		}
		// The wrong PIN given with the support service's upload counts too:
		// four more, and the case number is closed to guessing for a while,
		// even to the right PIN.
		for i := range 4 {
			resp, body = h.api("POST", "/api/submission", "", jsonBody(map[string]string{"number": number, "pin": fmt.Sprintf("1234-567%d", i)}))
			if resp.StatusCode != 403 || problemDetail(t, body) != wrong {
				t.Fatalf("wrong PIN %d: %d %s", i, resp.StatusCode, body)
			}
		}
		resp, body = h.api("POST", "/api/submission", "", jsonBody(map[string]string{"number": number, "pin": pin}))
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(problemDetail(t, body), "Too many wrong case numbers or PINs") {
			t.Errorf("after five wrong PINs: %d %s", resp.StatusCode, body)
		}

		// Lists: what each may see.
		h.mustJSON("GET", "/api/items", moderator, "", 200, &listed)
		if len(listed.Items) != 2 {
			t.Errorf("the support service sees %d items, want its statement and the screenshot", len(listed.Items))
		}
		h.mustJSON("GET", "/api/items?class=report&live=true", oversight, "", 200, &listed)
		if len(listed.Items) != 2 {
			t.Errorf("oversight sees %d report items, want 2", len(listed.Items))
		}
		var one uploaded
		h.mustJSON("GET", "/api/items/"+it.ID, commander, "", 200, &one.Item)
		if len(one.Item.Holds) != 1 || !one.Item.Holds[0].Active || one.Item.Holds[0].Reason != "The arrest is contested" || one.Item.SHA256 != sha(clip) {
			t.Errorf("the item as its case's member sees it: %+v", one.Item)
		}
		var seen uploaded
		b = h.mustJSON("GET", "/api/items/"+it.ID, oversight, "", 200, &seen.Item)
		if len(seen.Item.Holds) != 1 || seen.Item.Holds[0].Reason != "" || strings.Contains(b, "filename") {
			t.Errorf("the item as oversight sees it: %s", b)
		}

		// The retention schedules are public.
		var ret struct {
			Classes []struct {
				Name string `json:"name"`
				Days int    `json:"days"`
				Why  string `json:"why"`
			} `json:"classes"`
		}
		h.mustJSON("GET", "/api/retention", "", "", 200, &ret)
		if len(ret.Classes) != len(vault.DefaultClasses) || ret.Classes[0].Name != "bodycam" || ret.Classes[0].Days != 60 || ret.Classes[0].Why == "" {
			t.Errorf("retention: %+v", ret)
		}
	})
}

// cutter is a RoundTripper that breaks the first PATCH body off halfway
// and then plays a server that is down, and counts PATCH bytes.
type cutter struct {
	next    http.RoundTripper
	cut     atomic.Bool
	down    atomic.Bool
	patched atomic.Int64
}

var errCut = errors.New("connection dropped (test)")

func (c *cutter) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.down.Load() {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, errCut
	}
	if r.Method == http.MethodPatch {
		c.patched.Add(r.ContentLength)
		if c.cut.CompareAndSwap(true, false) {
			c.down.Store(true)
			r.Body = &breakOff{r: r.Body, left: r.ContentLength / 2}
		}
	}
	return c.next.RoundTrip(r)
}

type breakOff struct {
	r    io.ReadCloser
	left int64
}

func (b *breakOff) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errCut
	}
	n, err := b.r.Read(p[:min(int64(len(p)), b.left)])
	b.left -= int64(n)
	return n, err
}

func (b *breakOff) Close() error { return b.r.Close() }

// TestVaultTusUpload sends a recording with the tus client through the
// real server: the connection drops mid-PATCH, the client resumes where
// the server stopped, and the item exists only once the upload is whole.
func TestVaultTusUpload(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		officer := h.token(h.account("olga", auth.Officer, "Station 4"))
		reporter := h.token(h.account("rita", auth.Reporter, ""))
		data := fakeMP4(t, 1<<20+12345)
		path := filepath.Join(t.TempDir(), "clip.mp4")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		md := map[string]string{vault.MetaClass: "bodycam", vault.MetaMediaType: "video/mp4", vault.MetaPurpose: "Kettling at the station", vault.MetaFilename: "clip.mp4"}
		state := t.TempDir()
		client := func(rt http.RoundTripper, token string) *tus.Client {
			return &tus.Client{Endpoint: h.ts.URL + "/api/uploads", Header: http.Header{"Authorization": {"Bearer " + token}},
				HTTP: &http.Client{Transport: rt}, ChunkSize: 256 << 10, StateDir: state, Retries: -1}
		}
		ctx := context.Background()

		// The protocol's discovery is public and speaks tus.
		resp, _ := h.send(http.MethodOptions, "/api/uploads", "", nil, nil)
		if resp.StatusCode != 204 || resp.Header.Get("Tus-Version") != "1.0.0" || !strings.Contains(resp.Header.Get("Tus-Extension"), "creation") {
			t.Errorf("OPTIONS: %d %v", resp.StatusCode, resp.Header)
		}
		// Refusals are the protocol's: plain text, Tus-Resumable kept.
		resp, b := h.send(http.MethodPost, "/api/uploads", "", nil, map[string]string{"Tus-Resumable": "1.0.0", "Upload-Length": "10"})
		if resp.StatusCode != 401 || resp.Header.Get("Tus-Resumable") != "1.0.0" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("unauthenticated creation: %d %v %s", resp.StatusCode, resp.Header, b)
		}
		// A refused description is refused before any byte is sent.
		_, err = client(http.DefaultTransport, reporter).Upload(ctx, f, md, nil)
		var te *tus.Error
		if !errors.As(err, &te) || te.Status != 400 || !strings.Contains(te.Msg, msgEN(t, "vault.upload_role", "class", "bodycam")) {
			t.Fatalf("a reporter's body-camera upload: %v", err)
		}

		// The first attempt breaks off in the second PATCH.
		cut := &cutter{next: http.DefaultTransport}
		first := client(cut, officer)
		var sent atomic.Int64
		_, err = first.Upload(ctx, f, md, func(n, _ int64) {
			if n >= 256<<10 {
				cut.cut.Store(true)
			}
			sent.Store(n)
		})
		if err == nil || !cut.down.Load() {
			t.Fatalf("the first attempt did not break off: %v", err)
		}
		var listed struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		h.mustJSON("GET", "/api/items", officer, "", 200, &listed)
		if len(listed.Items) != 0 {
			t.Fatalf("an item exists before its upload is whole: %+v", listed.Items)
		}

		// The second attempt asks where the server stands and sends the rest.
		again := &cutter{next: http.DefaultTransport}
		loc, err := client(again, officer).Upload(ctx, f, md, nil)
		if err != nil {
			t.Fatalf("resume: %v", err)
		}
		if !strings.HasPrefix(loc, "/api/items/itm_") {
			t.Fatalf("the upload's item is %q", loc)
		}
		if n := again.patched.Load(); n <= 0 || n > int64(len(data))-256<<10 {
			t.Errorf("the resumed upload sent %d of %d bytes: it did not pick up where it stopped", n, len(data))
		}
		var got uploaded
		h.mustJSON("GET", loc, officer, "", 200, &got.Item)
		if got.Item.Size != int64(len(data)) || got.Item.SHA256 != sha(data) || got.Item.Class != "bodycam" {
			t.Errorf("the item: %+v", got.Item)
		}
		h.mustJSON("GET", "/api/items", officer, "", 200, &listed)
		if len(listed.Items) != 1 {
			t.Errorf("after the upload the officer sees %d items", len(listed.Items))
		}
	})
}

// TestVaultCasesAPI: hold and release, a segment cut from a real video,
// an export that bundle.Verify accepts with the log's key, a share
// downloaded by its recipient and revoked, and a deletion receipt.
func TestVaultCasesAPI(t *testing.T) {
	video := testVideo(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		officer := h.token(h.account("olga", auth.Officer, "Station 4"))
		commander := h.token(h.account("cora", auth.Commander, "Public Order Unit 3"))
		colleague := h.account("carl", auth.Commander, "Public Order Unit 3")
		colleagueToken := h.token(colleague)
		ctx := context.Background()

		resp, up, body := h.upload(officer, "video/mp4", video, map[string]string{vault.MetaClass: "bodycam", vault.MetaPurpose: "Arrest at the bridge"})
		if resp.StatusCode != 201 {
			t.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
		orig := up.Item
		var c struct {
			ID string `json:"id"`
		}
		h.mustJSON("POST", "/api/cases", commander, `{"kind":"investigation","reference":"INV-2026/900"}`, 201, &c)
		resp, body = h.api("POST", "/api/cases", officer, `{"kind":"investigation","reference":"INV-2026/901"}`)
		if resp.StatusCode != 403 || problemDetail(t, body) != msgEN(t, "error.forbidden") {
			t.Errorf("an officer opens a case: %d %s", resp.StatusCode, body)
		}
		monitor := h.token(h.account("mona", auth.Monitor, "Observers"))
		resp, body = h.api("POST", "/api/cases", monitor, `{"kind":"investigation","reference":"INV-2026/901"}`)
		if resp.StatusCode != 403 || problemDetail(t, body) != msgEN(t, "vault.case_open_role", "kind", "investigation") {
			t.Errorf("a monitor opens an investigation: %d %s", resp.StatusCode, body)
		}

		// Hold, release: the item goes back to its schedule.
		var hold struct {
			ID     string `json:"id"`
			Active bool   `json:"active"`
		}
		until := time.Now().AddDate(2, 0, 0).UTC().Truncate(time.Second)
		h.mustJSON("POST", "/api/cases/"+c.ID+"/holds", commander, jsonBody(map[string]any{"item": orig.ID, "until": until, "reason": "The arrest is contested"}), 201, &hold)
		var it uploaded
		h.mustJSON("GET", "/api/items/"+orig.ID, commander, "", 200, &it.Item)
		if !it.Item.DueAt.Equal(until) || !hold.Active {
			t.Errorf("held: due %v, want %v", it.Item.DueAt, until)
		}
		resp, body = h.api("POST", "/api/holds/"+hold.ID+"/release", commander, `{"reason":"no"}`)
		if resp.StatusCode != 400 || problemDetail(t, body) != msgEN(t, "vault.reason") {
			t.Errorf("release without a reason: %d %s", resp.StatusCode, body)
		}
		resp, body = h.api("POST", "/api/holds/"+hold.ID+"/release", colleagueToken, `{"reason":"Not my case at all"}`)
		if resp.StatusCode != 404 {
			t.Errorf("a non-member releases a hold: %d %s", resp.StatusCode, body)
		}
		h.mustJSON("POST", "/api/holds/"+hold.ID+"/release", commander, `{"reason":"Only the segment is needed"}`, 204, nil)
		h.mustJSON("GET", "/api/items/"+orig.ID, commander, "", 200, &it.Item)
		if !it.Item.DueAt.Equal(it.Item.RetainUntil) || it.Item.Holds[0].Active || it.Item.Holds[0].ReleasedAt == nil {
			t.Errorf("released: %+v", it.Item)
		}
		h.mustJSON("POST", "/api/cases/"+c.ID+"/holds", commander, jsonBody(map[string]any{"item": orig.ID, "until": until, "reason": "Contested after all"}), 201, &hold)

		// A member added by username; a segment of three seconds.
		h.mustJSON("POST", "/api/cases/"+c.ID+"/members", commander, `{"username":"carl"}`, 204, nil)
		resp, body = h.api("POST", "/api/cases/"+c.ID+"/members", commander, `{"username":"nobody"}`)
		if resp.StatusCode != 400 || problemDetail(t, body) != msgEN(t, "cases.no_such_account") {
			t.Errorf("unknown username: %d %s", resp.StatusCode, body)
		}
		resp, body = h.api("POST", "/api/items/"+orig.ID+"/segments", commander, jsonBody(map[string]any{"case": c.ID, "range": "00:00:20-00:00:30", "purpose": "The moment of the arrest"}))
		if resp.StatusCode != 400 {
			t.Errorf("a range past the end: %d %s", resp.StatusCode, body)
		}
		resp, body = h.api("POST", "/api/items/"+orig.ID+"/segments", commander, jsonBody(map[string]any{"case": c.ID, "range": "soon", "purpose": "The moment of the arrest"}))
		if resp.StatusCode != 400 || !strings.HasPrefix(problemDetail(t, body), "The segment cannot be cut") {
			t.Errorf("a range that is no range: %d %s", resp.StatusCode, body)
		}
		var seg uploaded
		h.mustJSON("POST", "/api/items/"+orig.ID+"/segments", colleagueToken, jsonBody(map[string]any{"case": c.ID, "range": "00:00:02-00:00:05", "purpose": "The moment of the arrest"}), 201, &seg.Item)
		if seg.Item.Parent != orig.ID || !strings.HasPrefix(seg.Item.Segment, "t=00:00:02") || len(seg.Item.Holds) != 0 {
			t.Fatalf("segment: %+v", seg.Item)
		}

		// The case, as its members see it.
		var cs struct {
			Members []struct {
				Username string `json:"username"`
			} `json:"members"`
			Holds []struct {
				Item   string `json:"item"`
				Active bool   `json:"active"`
			} `json:"holds"`
		}
		h.mustJSON("GET", "/api/cases/"+c.ID, commander, "", 200, &cs)
		if len(cs.Members) != 2 || len(cs.Holds) != 3 {
			t.Errorf("case: %+v", cs)
		}

		// Export: a bundle that checks with the log's key alone.
		resp, body = h.api("POST", "/api/cases/"+c.ID+"/export", commander, `{"purpose":"For the prosecutor","recipients":["age1notakey"]}`)
		if resp.StatusCode != 400 || problemDetail(t, body) != msgEN(t, "evidence.bad_recipient", "n", 1) {
			t.Errorf("a bad age key: %d %s", resp.StatusCode, body)
		}
		resp, zip := h.send("POST", "/api/cases/"+c.ID+"/export", commander, []byte(`{"purpose":"For the prosecutor"}`), map[string]string{"Content-Type": "application/json"})
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" || resp.Header.Get("Content-Disposition") != `attachment; filename=case-`+c.ID+`.zip` {
			t.Fatalf("export: %d %v %.300s", resp.StatusCode, resp.Header, zip)
		}
		rep, err := bundle.Verify(bytes.NewReader(zip), int64(len(zip)), h.keys.Verifier, nil, nil)
		if err != nil {
			t.Fatalf("the exported bundle does not verify: %v", err)
		}
		if len(rep.Items) != 2 || rep.Info["Vigil-Case"] != c.ID {
			t.Errorf("bundle report: %s", rep.Summary)
		}

		// Share the segment with an authority abroad.
		var sh struct {
			Share struct {
				ID   string `json:"id"`
				Open bool   `json:"open"`
			} `json:"share"`
			Token string `json:"token"`
			URL   string `json:"url"`
		}
		h.mustJSON("POST", "/api/cases/"+c.ID+"/shares", commander, jsonBody(map[string]any{"items": []string{seg.Item.ID}, "recipient": "Public Prosecutor, Lyon",
			"legal_basis": "European Investigation Order 2026/77", "purpose": "Prosecution of the assault", "expires": time.Now().AddDate(0, 0, 14)}), 201, &sh)
		if sh.URL != h.ts.URL+"/shares/"+sh.Token || !sh.Share.Open {
			t.Fatalf("share: %+v", sh)
		}
		var caseNow struct {
			Shares []json.RawMessage `json:"shares"`
		}
		b := h.mustJSON("GET", "/api/cases/"+c.ID, commander, "", 200, &caseNow)
		if len(caseNow.Shares) != 1 || strings.Contains(b, sh.Token) {
			t.Errorf("the case shows its share's token, or not its share: %s", b)
		}
		anon := h.browser()
		status, page := anon.get("/shares/" + sh.Token)
		if status != 200 {
			t.Fatalf("share page: %d", status)
		}
		mustContain(t, page, "Public Prosecutor, Lyon", "European Investigation Order 2026/77", "Prosecution of the assault", seg.Item.ID, `action="/shares/`+sh.Token+`/download"`)
		resp, err = anon.c.Get(h.ts.URL + "/shares/" + sh.Token + "/bundle.zip")
		if err != nil {
			t.Fatal(err)
		}
		shared, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("share download: %d %.300s", resp.StatusCode, shared)
		}
		rep, err = bundle.Verify(bytes.NewReader(shared), int64(len(shared)), h.keys.Verifier, nil, nil)
		if err != nil || len(rep.Items) != 1 || rep.Items[0].Meta.ID != seg.Item.ID {
			t.Fatalf("the shared bundle: %v %v", err, rep)
		}
		var cust custodyJSON
		h.mustJSON("GET", "/api/items/"+seg.Item.ID+"/custody", commander, "", 200, &cust)
		last := cust.Accesses[len(cust.Accesses)-1]
		if last.Role != "recipient" || last.Action != "download" || last.Basis.Kind != "share" || last.Basis.Ref != sh.Share.ID {
			t.Errorf("the download's access: %+v", last)
		}
		// Revoked: the link opens nothing, with the vault's one answer.
		h.mustJSON("POST", "/api/shares/"+sh.Share.ID+"/revoke", commander, `{"reason":"The order was withdrawn"}`, 204, nil)
		for _, p := range []string{"/shares/" + sh.Token, "/shares/" + sh.Token + "/bundle.zip"} {
			status, page = anon.get(p)
			if status != 403 || !strings.Contains(page, "This link does not open a share") {
				t.Errorf("GET %s after revocation: %d", p, status)
			}
		}
		// Wrong links are counted per address.
		limited := false
		for i := range 40 {
			if status, _ := anon.get(fmt.Sprintf("/shares/wrong-token-%02d", i)); status == http.StatusTooManyRequests {
				limited = true
				break
			}
		}
		if !limited {
			t.Error("40 wrong share links in a row were never cut off")
		}

		// The case's page, with its released and active holds and its
		// revoked share; a share and an export made from it.
		cora := h.browser()
		cora.login("cora")
		status, page = cora.get("/cases/" + c.ID)
		if status != 200 {
			t.Fatalf("case page: %d %s", status, shorten(page))
		}
		mustContain(t, page, "INV-2026/900", "Public Prosecutor, Lyon", "Revoked", `action="/cases/`+c.ID+`/export"`, `action="/cases/`+c.ID+`/shares"`)
		csrf := cora.csrf("/cases/" + c.ID)
		resp = cora.post("/cases/"+c.ID+"/shares", url.Values{"csrf": {csrf}, "item": {seg.Item.ID}, "recipient": {"Procura della Repubblica, Torino"},
			"legal_basis": {"European Investigation Order 2026/91"}, "purpose": {"Prosecution of the assault"}, "expires": {time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")}})
		pb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated || !strings.Contains(string(pb), `id="share-url">`+h.ts.URL+`/shares/`) {
			t.Errorf("share from the page: %d %s", resp.StatusCode, shorten(string(pb)))
		}
		resp = cora.post("/cases/"+c.ID+"/shares", url.Values{"csrf": {csrf}, "item": {seg.Item.ID}, "recipient": {"Procura"},
			"legal_basis": {"EIO"}, "purpose": {"Prosecution"}, "expires": {time.Now().UTC().AddDate(1, 0, 0).Format("2006-01-02")}})
		pb, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(pb), msgEN(t, "vault.share_expiry", "days", vault.MaxShareDays)) {
			t.Errorf("a share for a year: %d", resp.StatusCode)
		}
		resp = cora.post("/cases/"+c.ID+"/export", url.Values{"csrf": {csrf}, "item": {orig.ID, seg.Item.ID}, "purpose": {"Copy for the court"}, "recipients": {"age1bad"}})
		pb, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(pb), msgEN(t, "evidence.bad_recipient", "n", 1)) {
			t.Errorf("export with a bad key from the page: %d", resp.StatusCode)
		}
		resp = cora.post("/cases/"+c.ID+"/export", url.Values{"csrf": {csrf}, "item": {seg.Item.ID}, "purpose": {"Copy for the court"}})
		zip, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("export from the page: %d %.200s", resp.StatusCode, zip)
		}
		if rep, err := bundle.Verify(bytes.NewReader(zip), int64(len(zip)), h.keys.Verifier, nil, nil); err != nil || len(rep.Items) != 1 {
			t.Errorf("the page's export: %v", err)
		}
		status, page = cora.get("/vault/items/" + orig.ID)
		if status != 200 {
			t.Fatalf("item page: %d %s", status, shorten(page))
		}
		mustContain(t, page, "INV-2026/900", msgEN(t, "evidence.hold.released", "time", ""), msgEN(t, "evidence.event.item.released"), msgEN(t, "evidence.segment.heading"))
		ines := h.browser()
		h.account("ines", auth.Oversight, "DPA")
		ines.login("ines")
		status, page = ines.get("/cases/" + c.ID)
		if status != 200 || !strings.Contains(page, msgEN(t, "cases.one.not_member")) || strings.Contains(page, `action="/cases/`+c.ID+`/close"`) {
			t.Errorf("oversight's view of the case: %d", status)
		}

		// Close the case: its holds are released.
		h.mustJSON("POST", "/api/cases/"+c.ID+"/close", commander, `{"reason":"Proceedings ended"}`, 204, nil)
		h.mustJSON("GET", "/api/items/"+orig.ID, commander, "", 200, &it.Item)
		if !it.Item.DueAt.Equal(it.Item.RetainUntil) {
			t.Errorf("after closing, the original is due %v, want its schedule %v", it.Item.DueAt, it.Item.RetainUntil)
		}

		// Past the schedule, the sweep destroys both; the receipts are
		// public and check with the log's key.
		h.skew.Store(int64(61 * 24 * time.Hour))
		n, err := h.vault.Sweep(ctx)
		h.skew.Store(0)
		if err != nil || n != 2 {
			t.Fatalf("sweep destroyed %d items: %v", n, err)
		}
		resp, rcpt := h.send("GET", "/api/items/"+orig.ID+"/receipt", "", nil, nil)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Fatalf("receipt: %d %s", resp.StatusCode, rcpt)
		}
		r, err := vault.VerifyReceipt(rcpt, h.keys.Verifier)
		if err != nil || r.Item != orig.ID || r.Content != orig.Commitment || r.Class != "bodycam" {
			t.Fatalf("the receipt: %+v, %v", r, err)
		}
		if _, err := vault.VerifyReceipt(bytes.Replace(rcpt, []byte("bodycam"), []byte("capture"), 1), h.keys.Verifier); err == nil {
			t.Error("a changed receipt verifies")
		}
		var gone uploaded
		h.mustJSON("GET", "/api/items/"+orig.ID, commander, "", 200, &gone.Item)
		if it := gone; it.Item.DestroyedAt == nil || it.Item.SHA256 != "" || it.Item.ReceiptURL != "/api/items/"+orig.ID+"/receipt" {
			t.Errorf("destroyed item: %+v", it.Item)
		}
		resp, body = h.api("POST", "/api/items/"+orig.ID+"/access", commander, `{"purpose":"One more look","basis":{"kind":"case","ref":"`+c.ID+`"}}`)
		if resp.StatusCode != http.StatusGone || problemDetail(t, body) != msgEN(t, "evidence.destroyed") {
			t.Errorf("reading a destroyed item: %d %s", resp.StatusCode, body)
		}
		if resp, _ := h.send("GET", "/api/items/"+strings.Replace(orig.ID, "itm_", "itm_x", 1)+"/receipt", "", nil, nil); resp.StatusCode != 404 {
			t.Errorf("receipt of no item: %d", resp.StatusCode)
		}
		status, page = cora.get("/vault/items/" + orig.ID)
		if status != 200 {
			t.Fatalf("destroyed item's page: %d %s", status, shorten(page))
		}
		mustContain(t, page, "vigil deletion receipt v1", `href="/api/items/`+orig.ID+`/receipt"`, msgEN(t, "evidence.status.destroyed"))
		if strings.Contains(page, `action="/vault/items/`+orig.ID+`/open"`) {
			t.Error("a destroyed item's page offers to open it")
		}
		status, page = cora.get("/vault")
		if status != 200 || !strings.Contains(page, msgEN(t, "evidence.status.destroyed")) {
			t.Errorf("the list after destruction: %d", status)
		}
	})
}

// TestVaultUploadForm sends the browser's upload form as a stream, and
// checks its refusals.
func TestVaultUploadForm(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	h.account("rita", auth.Reporter, "")
	b := h.browser()
	b.login("rita")
	csrf := b.csrf("/vault/new")
	shot := screenshot(t)
	post := func(fields [][2]string, file []byte, fileType string) (int, string) {
		t.Helper()
		var buf bytes.Buffer
		boundary := "vigil-test-boundary"
		for _, f := range fields {
			fmt.Fprintf(&buf, "--%s\r\nContent-Disposition: form-data; name=%q\r\n\r\n%s\r\n", boundary, f[0], f[1])
		}
		if file != nil {
			fmt.Fprintf(&buf, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"threat.png\"\r\nContent-Type: %s\r\n\r\n", boundary, fileType)
			buf.Write(file)
			buf.WriteString("\r\n")
		}
		fmt.Fprintf(&buf, "--%s--\r\n", boundary)
		req, _ := http.NewRequest("POST", h.ts.URL+"/vault/items", &buf)
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		req.Header.Set("Origin", h.ts.URL)
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	fields := [][2]string{{"csrf", csrf}, {"class", "report"}, {"purpose", "Threats sent to me on a messenger"}, {"deployment", ""}, {"captured_at", ""}}
	status, page := post(fields, shot, "image/png")
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %s", status, shorten(page))
	}
	mustContain(t, page, `id="case-number">VC-`, `id="case-pin">`, msgEN(t, "evidence.uploaded.receipt_once"))

	status, page = post([][2]string{{"csrf", "wrong"}, {"class", "report"}, {"purpose", "Threats sent to me"}}, shot, "image/png")
	if status != 403 || !strings.Contains(page, msgEN(t, "error.csrf")) {
		t.Errorf("wrong CSRF token: %d", status)
	}
	status, page = post([][2]string{{"csrf", csrf}, {"class", "report"}, {"purpose", "Threats sent to me"}}, []byte("not a picture"), "image/png")
	if status != 400 || !strings.Contains(page, "The file says it is text/plain, not image/png") || !strings.Contains(page, "Threats sent to me") {
		t.Errorf("type mismatch: %d %s", status, shorten(page))
	}
	status, page = post([][2]string{{"csrf", csrf}, {"class", "bodycam"}, {"purpose", "Threats sent to me"}}, shot, "image/png")
	if status != 403 || !strings.Contains(page, msgEN(t, "vault.upload_role", "class", "bodycam")) {
		t.Errorf("a class the role does not add: %d", status)
	}
	status, page = post([][2]string{{"csrf", csrf}, {"class", "report"}, {"purpose", "Threats sent to me"}}, nil, "")
	if status != 400 || !strings.Contains(page, msgEN(t, "evidence.no_file")) {
		t.Errorf("no file: %d", status)
	}
	// The file must come last: a field after it is never read, so the form
	// puts them first.
	status, page = post([][2]string{{"csrf", csrf}, {"class", "report"}}, shot, "image/png")
	if status != 400 || !strings.Contains(page, msgEN(t, "vault.purpose")) {
		t.Errorf("no purpose: %d", status)
	}
	// Anonymous uploads are not taken.
	req, _ := http.NewRequest("POST", h.ts.URL+"/vault/items", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 && resp.StatusCode != 401 {
		t.Errorf("anonymous upload: %d", resp.StatusCode)
	}
}

// TestVaultSubmissionPage: the public page a victim uses, through the
// states of her item: read by no one, then destroyed with a receipt.
func TestVaultSubmissionPage(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	reporter := h.token(h.account("rita", auth.Reporter, ""))
	resp, up, body := h.upload(reporter, "image/png", screenshot(t), map[string]string{vault.MetaClass: "report", vault.MetaPurpose: "Threats sent to me"})
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	anon := h.browser()
	lookup := func(number, pin string) (int, string) {
		t.Helper()
		resp := anon.post("/submission", url.Values{"csrf": {anon.csrf("/submission")}, "number": {number}, "pin": {pin}})
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, page := lookup(up.Submission.Submission, up.Submission.PIN)
	if status != 200 {
		t.Fatalf("lookup: %d %s", status, shorten(page))
	}
	mustContain(t, page, up.Submission.Submission, msgEN(t, "submission.result.no_accesses"), msgEN(t, "submission.result.kind.picture"))
	status, page = lookup(up.Submission.Submission, "9999-9999")
	if status != 403 || !strings.Contains(page, msgEN(t, "vault.submission_unknown")) || !strings.Contains(page, `value="`+up.Submission.Submission+`"`) {
		t.Errorf("wrong PIN: %d", status)
	}
	h.skew.Store(int64(731 * 24 * time.Hour))
	n, err := h.vault.Sweep(context.Background())
	h.skew.Store(0)
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	status, page = lookup(strings.ToLower(strings.ReplaceAll(up.Submission.Submission, "-", " ")), strings.ReplaceAll(up.Submission.PIN, "-", ""))
	if status != 200 {
		t.Fatalf("lookup after destruction: %d %s", status, shorten(page))
	}
	mustContain(t, page, `href="/api/items/`+up.Item.ID+`/receipt"`, msgEN(t, "submission.result.receipt"))
	for range 4 {
		lookup(up.Submission.Submission, "1111-1111")
	}
	status, page = lookup(up.Submission.Submission, up.Submission.PIN)
	if status != http.StatusTooManyRequests || !strings.Contains(page, "Too many wrong case numbers or PINs") {
		t.Errorf("after five wrong PINs: %d", status)
	}
}
