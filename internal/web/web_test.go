package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestLoginFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.account("amina", auth.Officer, "")
		b := h.browser()

		// Not signed in: pages that need an account send people to sign in.
		resp, err := b.c.Get(h.ts.URL + "/dashboard")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Fatalf("anonymous /dashboard: %s to %q", resp.Status, resp.Header.Get("Location"))
		}

		token := b.csrf("/login")
		// A form without its CSRF token is refused, and nothing happens.
		resp = b.post("/login", url.Values{"username": {"amina"}, "password": {h.passwords["amina"]}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("login without CSRF token: %s", resp.Status)
		}
		// A wrong password says so, keeps the username, and sets no session.
		resp = b.post("/login", url.Values{"csrf": {token}, "username": {"amina"}, "password": {"not the password at all"}})
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %s", resp.Status)
		}
		mustContain(t, body, "The username or the password is wrong.", `value="amina"`)

		resp = b.post("/login", url.Values{"csrf": {token}, "username": {"amina"}, "password": {h.passwords["amina"]}, "next": {"//evil.example/x"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
			t.Fatalf("login: %s to %q (an off-site next must not be followed)", resp.Status, resp.Header.Get("Location"))
		}
		var session *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "vigil_session" {
				session = c
			}
		}
		if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode {
			t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict", session)
		}
		status, body := b.get("/dashboard")
		if status != http.StatusOK {
			t.Fatalf("dashboard: %d", status)
		}
		mustContain(t, body, "Dashboard", "You are signed in as a police officer")

		// Signing out ends the session on the server, not only in the browser.
		resp = b.post("/logout", url.Values{"csrf": {b.csrf("/dashboard")}})
		resp.Body.Close()
		req, _ := http.NewRequest(http.MethodGet, h.ts.URL+"/dashboard", nil)
		req.AddCookie(session)
		resp, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("old session cookie after sign-out: %s", resp.Status)
		}
	})
}

func TestLoginRateLimited(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	h.account("target", auth.Officer, "")
	b := h.browser()
	token := b.csrf("/login")
	for range 3 {
		resp := b.post("/login", url.Values{"csrf": {token}, "username": {"target"}, "password": {"wrong password, again"}})
		resp.Body.Close()
	}
	resp := b.post("/login", url.Values{"csrf": {token}, "username": {"target"}, "password": {h.passwords["target"]}})
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after too many failures: %s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	mustContain(t, body, "Too many failed sign-ins")
}

func TestCrossOriginPostRefused(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	h.account("boss", auth.Admin, "")
	b := h.browser()
	b.login("boss")
	token := b.csrf("/admin/accounts")
	form := url.Values{"csrf": {token}, "username": {"mallory"}, "role": {"admin"}}
	req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/admin/accounts", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %s", resp.Status)
	}
	if _, err := h.auth.GetByUsername(context.Background(), "mallory"); err == nil {
		t.Fatal("a cross-site post created an account")
	}
}

// TestAccess checks the server's rules for who may use which route, for
// browsers and for the API.
func TestAccess(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	admin := h.account("boss", auth.Admin, "")
	officer := h.account("officer", auth.Officer, "")
	reporter := h.account("reporter", auth.Reporter, "")
	b := h.browser()
	b.login("officer")
	for path, want := range map[string]int{
		"/dashboard":           200,
		"/assemblies":          200,
		"/assemblies/new":      200,
		"/admin/accounts":      403,
		"/oversight/reconcile": 403,
		"/ledger":              200,
		"/no/such/page":        404,
	} {
		if status, _ := b.get(path); status != want {
			t.Errorf("officer GET %s = %d, want %d", path, status, want)
		}
	}
	r := h.browser()
	r.login("reporter")
	if status, _ := r.get("/assemblies"); status != 403 {
		t.Errorf("reporter GET /assemblies = %d, want 403", status)
	}

	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/api/ledger", "", 200},
		{"GET", "/api/openapi.json", "", 200},
		{"GET", "/api/me", "", 401},
		{"GET", "/api/me", "vigil_notatoken", 401},
		{"GET", "/api/me", h.token(officer), 200},
		{"GET", "/api/accounts", h.token(officer), 403},
		{"GET", "/api/accounts", h.token(admin), 200},
		{"GET", "/api/assemblies", h.token(reporter), 403},
		{"GET", "/api/oversight/reconcile", h.token(officer), 403},
		{"GET", "/api/oversight/reconcile", h.token(admin), 200},
	} {
		resp, body := h.api(tc.method, tc.path, tc.token, "")
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, resp.StatusCode, tc.want, body)
		}
		if resp.StatusCode >= 400 {
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s %s: error as %q, want application/problem+json", tc.method, tc.path, ct)
			}
			var p struct {
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal([]byte(body), &p); err != nil || p.Status != resp.StatusCode || p.Detail == "" {
				t.Errorf("%s %s: problem document %s", tc.method, tc.path, body)
			}
		}
	}
}

func TestMustChangePassword(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	ctx := context.Background()
	a, pw, err := h.auth.Create(ctx, ledger.System, auth.NewAccount{Username: "newbie", Role: auth.Monitor, MustChangePassword: true})
	if err != nil {
		t.Fatal(err)
	}
	h.passwords["newbie"] = pw
	b := h.browser()
	b.login("newbie")
	resp, err := b.c.Get(h.ts.URL + "/dashboard")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/account") {
		t.Fatalf("must-change account reaching /dashboard: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	token := b.csrf("/account")
	resp = b.post("/account/password", url.Values{"csrf": {token}, "current": {pw}, "new": {"short"}, "confirm": {"short"}})
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("weak new password: %s", resp.Status)
	}
	mustContain(t, body, "at least 12 characters")
	resp = b.post("/account/password", url.Values{"csrf": {token}, "current": {pw}, "new": {"river stone lantern"}, "confirm": {"river stone lantern"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %s", resp.Status)
	}
	if status, _ := b.get("/dashboard"); status != 200 {
		t.Fatalf("dashboard after changing the password: %d", status)
	}
	got, _ := h.auth.Get(ctx, a.ID)
	if got.MustChangePassword {
		t.Fatal("still must change password")
	}
}

func TestAdminManagesAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.account("boss", auth.Admin, "")
		b := h.browser()
		b.login("boss")
		token := b.csrf("/admin/accounts")
		resp := b.post("/admin/accounts", url.Values{"csrf": {token}, "username": {"judge.brandt"}, "display_name": {"Ilse Brandt"}, "role": {"authorizer"}, "unit": {"District Court"}})
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("create account: %s\n%s", resp.Status, shorten(body))
		}
		mustContain(t, body, "judge.brandt", `id="new-password"`)
		a, err := h.auth.GetByUsername(context.Background(), "judge.brandt")
		if err != nil || a.Role != auth.Authorizer || !a.MustChangePassword {
			t.Fatalf("created account = %+v, %v", a, err)
		}
		// Bad input is refused with a message, and leaves nothing behind.
		resp = b.post("/admin/accounts", url.Values{"csrf": {token}, "username": {"x"}, "role": {"authorizer"}})
		body = readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad username: %s", resp.Status)
		}
		mustContain(t, body, "A username is 3 to 64 characters")
		resp = b.post("/admin/accounts/"+a.ID+"/role", url.Values{"csrf": {token}, "role": {"oversight"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("change role: %s", resp.Status)
		}
		resp = b.post("/admin/accounts/"+a.ID+"/disable", url.Values{"csrf": {token}})
		resp.Body.Close()
		status, body := b.get("/admin/accounts/" + a.ID + "?done=disabled")
		if status != 200 {
			t.Fatalf("account page: %d", status)
		}
		mustContain(t, body, "The account is disabled", "account.created", "account.role_changed", "account.disabled")
	})
}

func TestAPIAccounts(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	admin := h.account("boss", auth.Admin, "")
	tok := h.token(admin)
	resp, body := h.api("POST", "/api/accounts", tok, `{"username":"new.officer","role":"officer","unit":"Unit 9"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %s %s", resp.Status, body)
	}
	var created struct {
		Account  struct{ ID, Role string } `json:"account"`
		Password string                    `json:"password"`
	}
	json.Unmarshal([]byte(body), &created)
	if created.Account.Role != "officer" || len(created.Password) < 12 || resp.Header.Get("Location") != "/api/accounts/"+created.Account.ID {
		t.Fatalf("created %s (Location %q)", body, resp.Header.Get("Location"))
	}
	resp, body = h.api("PUT", "/api/accounts/"+created.Account.ID+"/role", tok, `{"role":"commander"}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"role": "commander"`) {
		t.Fatalf("set role: %s %s", resp.Status, body)
	}
	resp, body = h.api("POST", "/api/accounts/"+admin.ID+"/disable", tok, "")
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "You cannot disable your own account") {
		t.Fatalf("disable self: %s %s", resp.Status, body)
	}
	resp, body = h.api("GET", "/api/accounts/acc_nosuchaccountatall", tok, "")
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown account: %s %s", resp.Status, body)
	}
}

// TestAPIBadInput checks that hostile or careless bodies get a 4xx with a
// message a person understands, and change nothing.
func TestAPIBadInput(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	officer := h.account("officer", auth.Officer, "")
	tok := h.token(officer)
	for name, tc := range map[string]struct {
		contentType, body string
		want              int
		detail            string
	}{
		"not json":         {"application/json", `{"title":`, 400, "malformed"},
		"empty":            {"application/json", ``, 400, "empty"},
		"wrong type":       {"application/json", `{"title": 5}`, 400, `"title" has the wrong type`},
		"unknown field":    {"application/json", `{"title":"x","admin":true}`, 400, `"admin" is not one this request takes`},
		"two values":       {"application/json", `{"title":"x"} {}`, 400, "one JSON value"},
		"form encoded":     {"application/x-www-form-urlencoded", `title=x`, 415, "Send JSON"},
		"too large":        {"application/json", `{"title":"` + strings.Repeat("a", 2<<20) + `"}`, 413, "larger than"},
		"ends first":       {"application/json", `{"title":"March","kind":"notified","starts":"2026-12-01T12:00:00Z","ends":"2026-12-01T10:00:00Z"}`, 400, "end must be after the start"},
		"bad area":         {"application/json", `{"title":"March","kind":"notified","starts":"2026-12-01T10:00:00Z","ends":"2026-12-01T12:00:00Z","area":{"type":"Point","coordinates":[0,0]}}`, 400, "Polygon"},
		"lat range":        {"application/json", `{"title":"March","kind":"notified","starts":"2026-12-01T10:00:00Z","ends":"2026-12-01T12:00:00Z","area":{"type":"LineString","coordinates":[[0,0],[0,91]]}}`, 400, "latitudes"},
		"kind":             {"application/json", `{"title":"March","kind":"riot","starts":"2026-12-01T10:00:00Z","ends":"2026-12-01T12:00:00Z"}`, 400, "notified or is spontaneous"},
		"negative size":    {"application/json", `{"title":"March","kind":"notified","starts":"2026-12-01T10:00:00Z","ends":"2026-12-01T12:00:00Z","expected_size":-1}`, 400, "expected size"},
		"control in title": {"application/json", `{"title":"a\u0000b","kind":"notified","starts":"2026-12-01T10:00:00Z","ends":"2026-12-01T12:00:00Z"}`, 400, "control characters"},
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", h.ts.URL+"/api/assemblies", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.want, body)
			}
			var p struct{ Detail string }
			json.Unmarshal([]byte(body), &p)
			if !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("detail %q lacks %q", p.Detail, tc.detail)
			}
		})
	}
	var n int
	h.db.QueryRow(context.Background(), "SELECT COUNT(*) FROM assemblies").Scan(&n)
	if n != 0 {
		t.Fatalf("%d assemblies written by refused requests", n)
	}
	resp, _ := h.api("GET", "/api/events/abc/proof", "", "")
	if resp.StatusCode != 400 {
		t.Fatalf("proof of event abc: %s", resp.Status)
	}
}

// TestProofAndPublicLog registers an assembly through the API, then checks
// its event's proof and the public log's resources and headers.
func TestProofAndPublicLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		officer := h.account("officer", auth.Officer, "")
		resp, body := h.api("POST", "/api/assemblies", h.token(officer), `{"title":"Climate march","kind":"notified","starts":"2026-12-01T10:00:00Z","ends":"2026-12-01T16:00:00Z","expected_size":5000,
			"area":{"type":"LineString","coordinates":[[4.8897,52.3731],[4.9041,52.3676]]},"organiser_contact":"stewards@example.org"}`)
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("register: %s %s", resp.Status, body)
		}
		var a struct {
			ID    string `json:"id"`
			Event int64  `json:"event"`
		}
		json.Unmarshal([]byte(body), &a)
		if a.Event == 0 {
			t.Fatalf("no event in %s", body)
		}
		size := h.waitPublished()
		resp, body = h.api("GET", "/api/events/"+strconv.FormatInt(a.Event, 10)+"/proof", "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("proof: %s %s", resp.Status, body)
		}
		var p ledger.Proof
		if err := json.Unmarshal([]byte(body), &p); err != nil {
			t.Fatal(err)
		}
		en, err := ledger.ParseEntry(p.Entry)
		if err != nil || en.Seq != a.Event || en.Type != "assembly.registered" || en.Facts["assembly"] != a.ID {
			t.Fatalf("proof entry %s: %v", p.Entry, err)
		}
		if strings.Contains(string(p.Entry), "stewards") || strings.Contains(string(p.Entry), "Climate") {
			t.Fatalf("entry holds private fields: %s", p.Entry)
		}
		if len(p.Inclusion) == 0 && p.TreeSize > 1 {
			t.Fatal("empty inclusion proof")
		}
		resp, _ = h.api("GET", "/api/events/999999/proof", "", "")
		if resp.StatusCode != 404 {
			t.Fatalf("proof of an unknown event: %s", resp.Status)
		}

		// The log's resources, with tlog-tiles cache headers.
		for path, cc := range map[string]string{
			"/log/checkpoint": "no-cache",
			"/log/tile/0/000.p/" + strconv.FormatUint(size, 10):       "public, max-age=31536000, immutable",
			"/log/tile/entries/000.p/" + strconv.FormatUint(size, 10): "public, max-age=31536000, immutable",
		} {
			resp, body := h.api("GET", path, "", "")
			if resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != cc {
				t.Errorf("%s: %s, Cache-Control %q: %s", path, resp.Status, resp.Header.Get("Cache-Control"), shorten(body))
			}
		}
		for path, want := range map[string]int{
			"/log/tile/0/999":       404,
			"/log/tile/0/x1/000":    400,
			"/log/.state/treeState": 404,
			"/log/tile/../keys":     404,
		} {
			if resp, _ := h.api("GET", path, "", ""); resp.StatusCode != want {
				t.Errorf("%s: %s, want %d", path, resp.Status, want)
			}
		}
	})
}

func TestProbesMetricsHeaders(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "vigil_ledger_checkpoint_size"} {
		resp, body := h.api("GET", path, "", "")
		if resp.StatusCode != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %s %q", path, resp.Status, shorten(body))
		}
	}
	resp, body := h.api("GET", "/", "", "")
	for _, hd := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} {
		if resp.Header.Get(hd) == "" {
			t.Errorf("no %s header", hd)
		}
	}
	mustContain(t, body, `<html lang="en">`, `class="skip" href="#main"`, `<main id="main"`, `<nav aria-label="Main">`)
	resp, _ = h.api("GET", "/metrics", "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("metrics: %s", resp.Status)
	}
	_, body = h.api("GET", "/metrics", "", "")
	mustContain(t, body, `vigil_http_requests_total{code="200",method="GET",part="pages"}`)
}

// TestNoPersonalDataInLog seeds recognisable names, contacts and phone
// identifiers through every write path this server has, then scans every
// entry of the public log for them.
func TestNoPersonalDataInLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		ctx := context.Background()
		secrets := []string{"Zainab", "Okonkwo", "zainab.okonkwo", "zainab@example.org", "+44 7700 900123", "447700900123", "356938035643809", "310150123456789", "Flat 3, 12 Harbour Road", "Riot Squad Nine"}
		admin := h.account("boss", auth.Admin, "")
		// Through the API.
		tok := h.token(admin)
		resp, body := h.api("POST", "/api/accounts", tok, `{"username":"zainab.okonkwo","display_name":"Zainab Okonkwo","role":"monitor","unit":"Riot Squad Nine"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("create: %s %s", resp.Status, body)
		}
		resp, body = h.api("POST", "/api/assemblies", tok, `{"title":"Zainab Okonkwo's vigil","kind":"spontaneous","starts":"2026-12-01T10:00:00Z","ends":"2026-12-01T12:00:00Z",
			"organiser_contact":"zainab@example.org, +44 7700 900123, IMEI 356938035643809, IMSI 310150123456789, Flat 3, 12 Harbour Road"}`)
		if resp.StatusCode != 201 {
			t.Fatalf("register: %s %s", resp.Status, body)
		}
		// Through the browser.
		b := h.browser()
		b.login("boss")
		token := b.csrf("/admin/accounts")
		b.post("/admin/accounts", url.Values{"csrf": {token}, "username": {"okonkwo.z"}, "display_name": {"Zainab Okonkwo"}, "role": {"officer"}, "unit": {"Riot Squad Nine"}}).Body.Close()
		b.post("/account/tokens", url.Values{"csrf": {token}, "name": {"Zainab Okonkwo's phone +44 7700 900123"}, "days": {"30"}}).Body.Close()
		// And through the services directly.
		z, _ := h.auth.GetByUsername(ctx, "zainab.okonkwo")
		if _, err := h.auth.SetUnit(ctx, admin.Actor(), z.ID, "Riot Squad Nine"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.auth.SetRole(ctx, admin.Actor(), z.ID, auth.Officer); err != nil {
			t.Fatal(err)
		}
		size := h.waitPublished()
		if size < 6 {
			t.Fatalf("only %d entries", size)
		}
		src, err := ledger.OpenSource(h.logDir)
		if err != nil {
			t.Fatal(err)
		}
		v, err := ledger.Verify(ctx, src, ledger.VerifyOptions{VerifierKey: h.keys.VerifierKey})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range allEntries(t, h) {
			n++
			low := strings.ToLower(e)
			digits := onlyDigits(e)
			for _, s := range secrets {
				if strings.Contains(low, strings.ToLower(s)) || (len(onlyDigits(s)) >= 7 && strings.Contains(digits, onlyDigits(s))) {
					t.Errorf("log entry holds %q: %s", s, e)
				}
			}
		}
		if uint64(n) != v.Checkpoint.Size {
			t.Fatalf("scanned %d entries of %d", n, v.Checkpoint.Size)
		}
	})
}

func allEntries(t *testing.T, h *harness) []string {
	t.Helper()
	var out []string
	rows, err := h.db.Query(context.Background(), "SELECT log_index FROM events ORDER BY log_index")
	if err != nil {
		t.Fatal(err)
	}
	var idx []int64
	for rows.Next() {
		var i int64
		rows.Scan(&i)
		idx = append(idx, i)
	}
	rows.Close()
	for _, i := range idx {
		// Read each entry from the public log itself, not the database.
		resp, body := h.api("GET", "/api/events/"+strconv.FormatInt(i+1, 10)+"/proof", "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("proof %d: %s", i+1, resp.Status)
		}
		var p ledger.Proof
		json.Unmarshal([]byte(body), &p)
		out = append(out, string(p.Entry))
	}
	return out
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

var _ = time.Second

// TestSecureCookiesUnderTLS: over TLS the session cookie is Secure.
func TestSecureCookiesUnderTLS(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	h.account("amina", auth.Officer, "")
	tls := httptest.NewTLSServer(h.ts.Config.Handler)
	defer tls.Close()
	c := tls.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(tls.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	var csrf *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "vigil_csrf" {
			csrf = ck
		}
	}
	if csrf == nil || !csrf.Secure {
		t.Fatalf("CSRF cookie over TLS: %+v", csrf)
	}
	m := csrfField.FindStringSubmatch(body)
	form := url.Values{"csrf": {m[1]}, "username": {"amina"}, "password": {h.passwords["amina"]}}
	req, _ := http.NewRequest("POST", tls.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(csrf)
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "vigil_session" && ck.Value != "" && !ck.Secure {
			t.Fatal("session cookie over TLS is not Secure")
		}
		if ck.Name == "vigil_session" && ck.Value != "" {
			return
		}
	}
	t.Fatalf("no session cookie: %s", resp.Status)
}
