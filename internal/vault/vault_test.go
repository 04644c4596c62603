package vault

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// deployments answers for deployments from a table the test fills in: the
// vault's narrow view of internal/assembly, which the web tests exercise
// for real.
type deployments struct {
	mu sync.Mutex
	m  map[string]deploymentWindow
}

type deploymentWindow struct {
	starts, ends time.Time
	days         int
}

func (d *deployments) DeploymentInForce(_ context.Context, id string, t time.Time) (bool, int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	w, ok := d.m[id]
	if !ok {
		return false, 0, nil
	}
	return !t.Before(w.starts) && t.Before(w.ends), w.days, nil
}

type fixture struct {
	t        *testing.T
	ctx      context.Context
	db       *store.DB
	v        *Vault
	blobDir  string
	keyDir   string
	verifier note.Verifier
	now      time.Time
	deps     *deployments
	accounts map[string]auth.Account
}

var cheap = auth.Params{Memory: 1024, Time: 1, Threads: 1}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, ctx: ctx, db: db, blobDir: t.TempDir(), keyDir: t.TempDir(), now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC),
		deps: &deployments{m: map[string]deploymentWindow{}}, accounts: map[string]auth.Account{}}
	blobs, err := blob.NewFS(f.blobDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	kek, err := LocalKEK(f.keyDir)
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, "vigil.test/log")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	f.verifier, _ = note.NewVerifier(vkey)
	outbox := ledger.NewOutbox()
	f.v, err = New(db, outbox, Config{Blobs: blobs, KEK: kek, Signer: signer, Deployments: f.deps, PINParams: cheap})
	if err != nil {
		t.Fatal(err)
	}
	f.v.SetClock(func() time.Time { return f.now })
	as := auth.New(db, outbox, auth.Config{Params: cheap})
	for _, r := range auth.Roles {
		for _, suffix := range []string{"", "2"} {
			a, _, err := as.Create(ctx, ledger.System, auth.NewAccount{Username: string(r) + suffix, Role: r})
			if err != nil {
				t.Fatal(err)
			}
			f.accounts[string(r)+suffix] = a
		}
	}
	return f
}

func (f *fixture) acc(name string) auth.Account { return f.accounts[name] }

// mp4 returns a file that sniffs as video/mp4, with marker repeated in
// it so that tests can look for its plaintext.
func mp4(marker string, size int) []byte {
	b := []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
	for len(b) < size {
		b = append(b, marker...)
	}
	return b[:size]
}

func (f *fixture) ingest(by string, n NewItem, content []byte) (Item, *Receipt) {
	f.t.Helper()
	it, r, err := f.v.Ingest(f.ctx, f.acc(by), n, bytes.NewReader(content))
	if err != nil {
		f.t.Fatalf("ingest by %s: %v", by, err)
	}
	return it, r
}

func bodycam() NewItem {
	return NewItem{Class: "bodycam", MediaType: "video/mp4", Purpose: "Record of the stop at the station square", Capture: Capture{Filename: "cam-7.mp4", Source: "BWC unit 7"}}
}

// grep reports whether any file under dir holds needle.
func grep(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var hits []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, needle) {
			hits = append(hits, p)
		}
		return nil
	})
	return hits
}

func readAll(t *testing.T, c *Content) []byte {
	t.Helper()
	defer c.Close()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIngestEncryptsAndRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		marker := "PLAINTEXT-MARKER-7f3a9c-"
		content := mp4(marker, 3<<20+12345) // more than one 1 MiB segment, not a multiple
		it, rcpt := f.ingest("officer", bodycam(), content)
		if rcpt != nil {
			t.Errorf("an officer's bodycam upload made a submission: %+v", rcpt)
		}
		sum := sha256.Sum256(content)
		if it.Size != int64(len(content)) || !bytes.Equal(it.SHA256, sum[:]) || it.MediaType != "video/mp4" {
			t.Fatalf("item = %+v", it)
		}
		if want := f.now.Add(60 * 24 * time.Hour); !it.RetainUntil.Equal(want) {
			t.Errorf("retain until %v, want %v (60 days)", it.RetainUntil, want)
		}
		if !CheckCommitment(it.Commitment, it.salt, sum[:]) || CheckCommitment(it.Commitment, it.salt, make([]byte, 32)) {
			t.Error("the commitment does not check against the content's hash alone")
		}
		// Nothing in the clear on disk: not the content, not the file name.
		if hits := grep(t, f.blobDir, []byte(marker)); len(hits) > 0 {
			t.Errorf("plaintext in blob files: %v", hits)
		}
		if db.Kind() == store.SQLite {
			dir := filepath.Dir(db.DSN())
			if hits := grep(t, dir, []byte(it.ID)); len(hits) == 0 {
				t.Fatalf("the item's ID is not in %s either: the search is broken", dir)
			}
			for _, needle := range []string{marker, "cam-7.mp4", "BWC unit 7"} {
				if hits := grep(t, dir, []byte(needle)); len(hits) > 0 {
					t.Errorf("%q in the clear in %v", needle, hits)
				}
			}
		}
		// The public event: a commitment, no purpose, no file name.
		evs, err := ledger.List(f.ctx, db, ledger.Query{Subject: "item:" + it.ID})
		if err != nil || len(evs) != 1 || evs[0].Type != "item.ingested" {
			t.Fatalf("events = %+v, %v", evs, err)
		}
		entry := string(evs[0].Entry)
		if !strings.Contains(entry, it.Commitment) || strings.Contains(entry, "station square") || strings.Contains(entry, "cam-7") || strings.Contains(entry, "BWC") {
			t.Errorf("entry = %s", entry)
		}
		// Reading it: needs a case holding it and a purpose.
		cmd := f.acc("commander")
		if _, err := f.v.Authorize(f.ctx, cmd, it.ID, Access{Action: ActionView, Purpose: "Review the stop", Basis: Basis{Kind: BasisCase, Ref: "case_none"}}); !errors.Is(err, ErrForbidden) {
			t.Fatalf("read without a case: %v", err)
		}
		c, err := f.v.OpenCase(f.ctx, cmd, Investigation, "INV-2026/113")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.v.PlaceHold(f.ctx, cmd, c.ID, it.ID, f.now.Add(365*24*time.Hour), "Evidence of an assault on an officer"); err != nil {
			t.Fatal(err)
		}
		g, err := f.v.Authorize(f.ctx, cmd, it.ID, Access{Action: ActionView, Purpose: "Review the stop", Basis: Basis{Kind: BasisCase, Ref: c.ID}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.v.Open(f.ctx, cmd.ID, it.ID, g.Token)
		if err != nil {
			t.Fatal(err)
		}
		if b := readAll(t, got); !bytes.Equal(b, content) {
			t.Fatalf("read back %d bytes that differ from the %d ingested", len(b), len(content))
		}
		if got.Capture.Filename != "cam-7.mp4" || got.Capture.Source != "BWC unit 7" {
			t.Errorf("capture = %+v", got.Capture)
		}
		// A grant is its holder's alone, for its item alone.
		if _, err := f.v.Open(f.ctx, f.acc("officer").ID, it.ID, g.Token); !errors.Is(err, ErrForbidden) {
			t.Errorf("someone else's grant: %v", err)
		}
		if _, err := f.v.Open(f.ctx, cmd.ID, it.ID, "forged"); !errors.Is(err, ErrForbidden) {
			t.Errorf("a forged grant: %v", err)
		}
		f.now = f.now.Add(GrantTTL + time.Second)
		if _, err := f.v.Open(f.ctx, cmd.ID, it.ID, g.Token); !errors.Is(err, ErrForbidden) {
			t.Errorf("an expired grant: %v", err)
		}
		// An administrator never reads evidence; oversight sees every read.
		if _, err := f.v.Authorize(f.ctx, f.acc("admin"), it.ID, Access{Action: ActionView, Purpose: "Curious", Basis: Basis{Kind: BasisCase, Ref: c.ID}}); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrForbidden) {
			t.Errorf("admin read: %v", err)
		}
		acc, err := f.v.Accesses(f.ctx, f.acc("oversight"), it.ID)
		if err != nil || len(acc) != 1 || acc[0].Purpose != "Review the stop" || acc[0].Role != "commander" || acc[0].Basis.Ref != c.ID {
			t.Fatalf("oversight's view of the reads = %+v, %v", acc, err)
		}
		if _, err := f.v.Accesses(f.ctx, f.acc("reporter"), it.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("a reporter sees reads of police footage: %v", err)
		}
		evs, _ = ledger.List(f.ctx, db, ledger.Query{Subject: "item:" + it.ID})
		if len(evs) != 3 || evs[0].Type != "item.accessed" || strings.Contains(string(evs[0].Entry), "Review the stop") {
			t.Errorf("after a read, events = %d, newest %s", len(evs), evs[0].Entry)
		}
	})
}

// failingReader fails after n bytes, like a dropped connection.
type failingReader struct {
	r io.Reader
	n int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset")
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	n, err := f.r.Read(p)
	f.n -= n
	return n, err
}

func TestIngestRefusesAndLeavesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.v.cfg.MaxSize = 1 << 20
		pdf := []byte("%PDF-1.7\n" + strings.Repeat("x", 2000))
		exe := append([]byte("MZ\x90\x00"), make([]byte, 600)...)
		future := f.now.Add(time.Hour)
		lat := 52.1
		for _, tc := range []struct {
			name string
			by   string
			n    func(*NewItem)
			r    io.Reader
			want error
			key  string
		}{
			{"unknown class", "officer", func(n *NewItem) { n.Class = "misc" }, bytes.NewReader(mp4("x", 1000)), ErrInvalid, "vault.class"},
			{"role", "reporter", func(*NewItem) {}, bytes.NewReader(mp4("x", 1000)), ErrForbidden, "vault.upload_role"},
			{"refused class", "officer", func(n *NewItem) { n.Class = "facilitation" }, bytes.NewReader(mp4("x", 1000)), ErrInvalid, "vault.class_refused"},
			{"type lies", "officer", func(*NewItem) {}, bytes.NewReader(pdf), ErrInvalid, "vault.media_mismatch"},
			{"executable", "officer", func(n *NewItem) { n.MediaType = "application/x-msdownload" }, bytes.NewReader(exe), ErrInvalid, "vault.media_type"},
			{"empty", "officer", func(*NewItem) {}, bytes.NewReader(nil), ErrInvalid, "vault.empty"},
			{"too large", "officer", func(*NewItem) {}, bytes.NewReader(mp4("x", 1<<20+1)), ErrTooLarge, "vault.too_large"},
			{"future capture", "officer", func(n *NewItem) { n.Capture.DeviceTime = future }, bytes.NewReader(mp4("x", 1000)), ErrInvalid, "vault.capture_future"},
			{"half a place", "officer", func(n *NewItem) { n.Capture.Latitude = &lat }, bytes.NewReader(mp4("x", 1000)), ErrInvalid, "vault.capture_place"},
			{"no purpose", "officer", func(n *NewItem) { n.Purpose = "  " }, bytes.NewReader(mp4("x", 1000)), ErrInvalid, "vault.purpose"},
			{"capture needs a deployment", "officer", func(n *NewItem) { n.Class = "capture" }, bytes.NewReader(mp4("x", 1000)), ErrInvalid, "vault.needs_deployment"},
			{"deployment not in force", "officer", func(n *NewItem) { n.Class, n.DeploymentID = "capture", "dep_gone" }, bytes.NewReader(mp4("x", 1000)), ErrForbidden, "vault.deployment_not_in_force"},
			{"dropped connection", "officer", func(*NewItem) {}, &failingReader{r: bytes.NewReader(mp4("x", 500000)), n: 300000}, nil, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				n := bodycam()
				tc.n(&n)
				_, _, err := f.v.Ingest(f.ctx, f.acc(tc.by), n, tc.r)
				if err == nil {
					t.Fatal("ingested")
				}
				if tc.want != nil && !errors.Is(err, tc.want) {
					t.Errorf("error %v is not %v", err, tc.want)
				}
				if tc.key != "" && errorKey(err) != tc.key {
					t.Errorf("error %v does not carry message %s", err, tc.key)
				}
				if strings.Contains(err.Error(), "vault.") {
					t.Errorf("the message shows a raw key: %v", err)
				}
			})
		}
		var items int
		db.QueryRow(f.ctx, "SELECT COUNT(*) FROM vault_items").Scan(&items)
		if items != 0 {
			t.Errorf("%d items recorded after refusals", items)
		}
		var left []string
		f.v.cfg.Blobs.List(f.ctx, "", func(b blob.Info) error { left = append(left, b.Key); return nil })
		if len(left) != 0 {
			t.Errorf("blobs left behind: %v", left)
		}
	})
}

func errorKey(err error) string {
	var e *i18n.Error
	if errors.As(err, &e) {
		return e.Key
	}
	return ""
}
