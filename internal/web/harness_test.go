package web_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/blob"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/policy"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
	"github.com/vigil-project/vigil/internal/tus"
	"github.com/vigil-project/vigil/internal/vault"
	"github.com/vigil-project/vigil/internal/web"
)

func TestMain(m *testing.M) {
	ledger.QuietTessera(slog.Default().Handler())
	os.Exit(storetest.Main(m))
}

// harness is a real Vigil server over a real database and log, on a
// loopback port.
type harness struct {
	t          testing.TB
	db         *store.DB
	auth       *auth.Service
	assemblies *assembly.Service
	keys       ledger.Keys
	log        *ledger.Log
	logDir     string
	ts         *httptest.Server
	// passwords of the accounts made by account()
	passwords map[string]string
	// vault is the evidence vault and uploads its resumable uploads; the
	// vault's clock runs skew ahead of the real one.
	vault   *vault.Vault
	uploads *tus.Server
	skew    atomic.Int64
}

func newHarness(t testing.TB, db *store.DB) *harness {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	keys, _, err := ledger.LoadOrCreateKeys(filepath.Join(dir, "keys"), "vigil.test/log")
	if err != nil {
		t.Fatal(err)
	}
	outbox := ledger.NewOutbox()
	h := &harness{t: t, db: db, keys: keys, logDir: filepath.Join(dir, "log"), passwords: map[string]string{}}
	h.log, err = ledger.OpenLog(ctx, ledger.LogConfig{Dir: h.logDir, Keys: keys, CheckpointInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	writer := ledger.NewWriter(db, h.log, outbox, ledger.WriterConfig{})
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { writer.Run(wctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		writer.Flush(context.Background())
		sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer scancel()
		h.log.Close(sctx)
	})
	h.auth = auth.New(db, outbox, auth.Config{Params: auth.Params{Memory: 1024, Time: 1, Threads: 1}, Limits: auth.Limits{PerAccount: 3, PerAddress: 1000, Window: time.Minute}})
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	stack, err := policy.Stack(policy.DefaultPack)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := policy.NewEngine(stack, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h.assemblies = assembly.NewService(db, outbox, assembly.Options{Policy: engine})
	h.openVault(db, outbox, dir)
	srv, err := web.New(web.Deps{
		DB: db, Auth: h.auth, Assemblies: h.assemblies, Keys: keys, Log: h.log.Reader(),
		Writer: writer, Messages: cat, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Vault: h.vault, Uploads: h.uploads,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(h.ts.Close)
	return h
}

// openVault opens the evidence vault and its resumable uploads as the app
// does, over blobs and a key-encryption key in dir.
func (h *harness) openVault(db *store.DB, outbox *ledger.Outbox, dir string) {
	t := h.t
	t.Helper()
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	kek, err := vault.LocalKEK(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	h.vault, err = vault.New(db, outbox, vault.Config{Blobs: blobs, KEK: kek, Signer: h.keys.Signer, Deployments: h.assemblies,
		Prover: logProver{db: db, h: h}, PINParams: auth.Params{Memory: 1024, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	h.vault.SetClock(func() time.Time { return time.Now().Add(time.Duration(h.skew.Load())) })
	h.uploads, err = tus.New(db, tus.Config{
		Blobs: blobs, KEK: kek, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		CheckMetadata: func(ctx context.Context, owner string, md map[string]string) error {
			by, err := h.auth.Get(ctx, owner)
			if err != nil {
				return err
			}
			n, err := vault.NewItemFromMetadata(md)
			if err == nil {
				err = h.vault.CheckNew(ctx, by, n)
			}
			if err != nil {
				return vault.UploadError{Err: err}
			}
			return nil
		},
		Complete: func(ctx context.Context, u tus.Upload, content io.Reader) (string, error) {
			by, err := h.auth.Get(ctx, u.Owner)
			if err != nil {
				return "", err
			}
			n, err := vault.NewItemFromMetadata(u.Metadata)
			if err != nil {
				return "", vault.UploadError{Err: err}
			}
			it, _, err := h.vault.IngestUpload(ctx, by, u.ID, n, content)
			if err != nil {
				return "", vault.UploadError{Err: err}
			}
			return vault.UploadLocation(it.ID), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// logProver proves custody events against the harness's log.
type logProver struct {
	db *store.DB
	h  *harness
}

func (p logProver) ProveAll(ctx context.Context, ids []int64) ([]ledger.Proof, string, error) {
	return ledger.ProveAll(ctx, p.db, p.h.log.Reader(), p.h.keys.Verifier, ids)
}

// account creates an account with a known password that need not change.
func (h *harness) account(username string, role auth.Role, unit string) auth.Account {
	h.t.Helper()
	pw := "correct horse battery staple"
	a, _, err := h.auth.Create(context.Background(), ledger.System, auth.NewAccount{Username: username, Role: role, Unit: unit, Password: pw, DisplayName: "Test " + username})
	if err != nil {
		h.t.Fatal(err)
	}
	h.passwords[username] = pw
	return a
}

// token makes an API token for an account.
func (h *harness) token(a auth.Account) string {
	h.t.Helper()
	_, secret, err := h.auth.CreateToken(context.Background(), a, "test", time.Hour)
	if err != nil {
		h.t.Fatal(err)
	}
	return secret
}

// browser is a client with a cookie jar that does not follow redirects.
type browser struct {
	h *harness
	c *http.Client
}

func (h *harness) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{h: h, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches a page and returns status and body.
func (b *browser) get(path string) (int, string) {
	b.h.t.Helper()
	resp, err := b.c.Get(b.h.ts.URL + path)
	if err != nil {
		b.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// csrf fetches a page and returns the CSRF token of its forms.
func (b *browser) csrf(path string) string {
	b.h.t.Helper()
	_, body := b.get(path)
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		b.h.t.Fatalf("no CSRF token on %s", path)
	}
	return m[1]
}

// post submits a form as a same-origin browser would.
func (b *browser) post(path string, form url.Values) *http.Response {
	b.h.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, b.h.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.h.ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return resp
}

// login signs in and checks that it worked.
func (b *browser) login(username string) {
	b.h.t.Helper()
	token := b.csrf("/login")
	resp := b.post("/login", url.Values{"csrf": {token}, "username": {username}, "password": {b.h.passwords[username]}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		b.h.t.Fatalf("login as %s: %s", username, resp.Status)
	}
}

// api calls the JSON API with a token (or none) and returns the response.
func (h *harness) api(method, path, token, body string) (*http.Response, string) {
	h.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, h.ts.URL+path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
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
	return resp, string(b)
}

// waitPublished waits until a published checkpoint covers every event.
func (h *harness) waitPublished() uint64 {
	h.t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := ledger.Count(ctx, h.db)
		if err != nil {
			h.t.Fatal(err)
		}
		raw, err := h.log.Reader().ReadCheckpoint(ctx)
		if err == nil && c.Pending == 0 {
			cp, err := ledger.ParseCheckpoint(raw, h.keys.Verifier)
			if err != nil {
				h.t.Fatal(err)
			}
			if cp.Size == uint64(c.Total) {
				return cp.Size
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatal(errors.New("events not published within 10s"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func mustContain(t testing.TB, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("response lacks %q:\n%s", w, shorten(body))
		}
	}
}

func shorten(s string) string {
	if len(s) > 2000 {
		return s[:2000] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}
