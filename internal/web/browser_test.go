package web_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

const (
	// browserTimeout bounds the whole browser test, so that it never hangs CI.
	browserTimeout = 60 * time.Second
	// stepTimeout bounds one step, so that a missing element fails fast and
	// says which step it was.
	stepTimeout = 15 * time.Second
)

// TestBrowser signs in and out with a real Chromium, as people do, and
// checks what each role sees, the refusals, the form errors and the basics
// of keyboard access. It saves a full-page screenshot of every page it
// visits, into VIGIL_SCREENSHOTS if set, for people to look at.
func TestBrowser(t *testing.T) {
	chromium, err := findChromium()
	if err != nil {
		storetest.SkipOrFail(t, "browser", "no Chromium for the browser test: "+err.Error())
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, storetest.SQLite(t))
	h.account("amira", auth.Admin, "HQ")
	h.account("oskar", auth.Officer, "Station 4")

	b := newTab(t, chromium, h.ts.URL)
	// msg is the English text people should see for key.
	msg := func(key string, args ...any) string {
		b.t.Helper()
		if !cat.Has(key) {
			b.t.Fatalf("the catalog has no %q", key)
		}
		return cat.T(i18n.Fallback, key, args...)
	}

	t.Run("login page basics", func(t *testing.T) {
		b.fresh(t)
		b.open("/login", 200)
		b.waitText("h1", msg("login.heading"))
		b.checkBasics("login")
		b.shot("login.png")

		// The first Tab lands on the skip link, which then shows, and
		// following it moves focus to the main content.
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
		if !evalJS[bool](b, "skip link focused", `document.activeElement !== null && document.activeElement.classList.contains("skip")`) {
			t.Errorf("the first Tab focuses %s, not the skip link", evalJS[string](b, "active element", `document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "nothing"`))
		}
		if got := evalJS[string](b, "skip link text", `document.activeElement.textContent.trim()`); got != msg("layout.skip") {
			t.Errorf("skip link reads %q, want %q", got, msg("layout.skip"))
		}
		if !evalJS[bool](b, "skip link on screen", `(() => { const r = document.activeElement.getBoundingClientRect(); return r.left >= 0 && r.top >= 0 && r.width > 0 && r.height > 0; })()`) {
			t.Error("the focused skip link is off screen")
		}
		b.shot("login-skip-focused.png")
		b.do("follow skip link", chromedp.KeyEvent(kb.Enter))
		b.waitJS("focus on main", `document.activeElement !== null && document.activeElement.id === "main"`)
	})

	t.Run("wrong password", func(t *testing.T) {
		b.fresh(t)
		b.open("/login", 200)
		b.do("fill wrong password",
			chromedp.SendKeys(chromedp.ID("username"), "amira"),
			chromedp.SendKeys(chromedp.ID("password"), "not the password at all"),
		)
		status, _ := b.submit("submit wrong password", `form[action="/login"] button[type=submit]`)
		if status != 401 {
			t.Errorf("wrong password: status %d, want 401", status)
		}
		b.waitText(`main [role="alert"]`, msg("error.bad_credentials"))
		if got := b.value("#username"); got != "amira" {
			t.Errorf("after a wrong password the username is %q, want it kept as %q", got, "amira")
		}
		if got := evalJS[string](b, "aria-invalid", `document.getElementById("password").getAttribute("aria-invalid") || ""`); got != "true" {
			t.Errorf("password field aria-invalid = %q, want \"true\"", got)
		}
		b.checkBasics("login with error")
		b.shot("login-error.png")
	})

	t.Run("admin", func(t *testing.T) {
		b.fresh(t)
		b.open("/login", 200)
		b.do("fill admin credentials",
			chromedp.SendKeys(chromedp.ID("username"), "amira"),
			chromedp.SendKeys(chromedp.ID("password"), h.passwords["amira"]),
		)
		status, where := b.submit("sign in as admin", `form[action="/login"] button[type=submit]`)
		if status != 200 || pathOf(where) != "/dashboard" {
			t.Fatalf("sign-in as admin landed on %s (%d), want /dashboard (200)", where, status)
		}
		b.waitText("h1", msg("dashboard.heading"))
		b.waitText("main p.lead", msg("dashboard.role.admin"))
		b.waitText("#ledger-status", msg("dashboard.ledger"))
		b.waitText("#accounts", msg("dashboard.accounts"))
		b.waitText("#your-part + p", msg("dashboard.part.admin"))
		b.waitText("header .who .role", msg("role.admin"))
		b.waitText(`header nav a[href="/admin/accounts"]`, msg("nav.accounts"))
		b.checkBasics("admin dashboard")
		b.shot("dashboard-admin.png")

		b.open("/admin/accounts", 200)
		b.waitText("h1", msg("admin.accounts.heading"))
		rows := b.text("main table tbody")
		for _, u := range []string{"amira", "oskar"} {
			if !strings.Contains(rows, u) {
				t.Errorf("the accounts table lacks %q:\n%s", u, rows)
			}
		}
		b.checkBasics("admin accounts")
		b.shot("admin-accounts.png")

		status, where = b.submit("sign out", `header form[action="/logout"] button`)
		if status != 200 || pathOf(where) != "/" {
			t.Fatalf("sign-out landed on %s (%d), want / (200)", where, status)
		}
		b.waitText(`main p.notice[role="status"]`, msg("notice.signed_out"))
		b.waitText("h1", msg("home.heading"))
		b.waitText(`header a[href="/login"]`, msg("layout.sign_in"))
		b.checkBasics("home, signed out")
		b.shot("home-signed-out.png")
	})

	t.Run("officer", func(t *testing.T) {
		b.fresh(t)
		b.open("/login", 200)
		b.do("fill officer credentials",
			chromedp.SendKeys(chromedp.ID("username"), "oskar"),
			chromedp.SendKeys(chromedp.ID("password"), h.passwords["oskar"]),
		)
		status, where := b.submit("sign in as officer", `form[action="/login"] button[type=submit]`)
		if status != 200 || pathOf(where) != "/dashboard" {
			t.Fatalf("sign-in as officer landed on %s (%d), want /dashboard (200)", where, status)
		}
		b.waitText("h1", msg("dashboard.heading"))
		b.waitText("main p.lead", msg("dashboard.role.officer"))
		b.waitText("#assemblies", msg("dashboard.assemblies"))
		b.waitText(`main a.button[href="/assemblies/new"]`, msg("assemblies.new.link"))
		b.waitText("header .who .role", msg("role.officer"))
		if n := evalJS[int](b, "admin-only parts", `document.querySelectorAll('#ledger-status, #accounts, header nav a[href="/admin/accounts"]').length`); n != 0 {
			t.Errorf("an officer's dashboard shows %d admin-only parts", n)
		}
		b.checkBasics("officer dashboard")
		b.shot("dashboard-officer.png")

		b.open("/admin/accounts", 403)
		b.waitText("h1", msg("status.403"))
		b.waitText("main p.error-detail", msg("error.forbidden"))
		b.checkBasics("forbidden")
		b.shot("forbidden-officer.png")

		b.open("/ledger", 200)
		b.waitText("h1", msg("ledger.heading"))
		b.waitVisible("#verifier-key")
		b.checkBasics("ledger")
		b.shot("ledger.png")

		b.open("/account", 200)
		b.waitText("h1", msg("account.heading"))
		b.waitText("main dl.facts", "oskar")
		b.checkBasics("account")
		b.shot("account-officer.png")

		b.open("/assemblies/new", 200)
		b.waitText("h1", msg("assemblies.new.heading"))
		b.checkBasics("register an assembly")
		b.shot("assembly-new.png")

		// An assembly that ends before it starts is refused, with the
		// reason, and what was typed is kept.
		b.do("fill assembly that ends before it starts",
			chromedp.SendKeys(chromedp.ID("title"), "Climate march"),
			chromedp.SetValue(chromedp.ID("starts"), "2030-05-01T12:00"),
			chromedp.SetValue(chromedp.ID("ends"), "2030-05-01T10:00"),
			chromedp.SendKeys(chromedp.ID("expected_size"), "2000"),
		)
		status, where = b.submit("register assembly", `form[action="/assemblies"] button[type=submit]`)
		if status != 400 || pathOf(where) != "/assemblies" {
			t.Errorf("registering a backwards assembly: %s (%d), want /assemblies (400)", where, status)
		}
		b.waitText(`main [role="alert"]`, msg("assembly.window_order"))
		if got := b.value("#title"); got != "Climate march" {
			t.Errorf("after the error the title is %q, want it kept", got)
		}
		b.checkBasics("register an assembly, with an error")
		b.shot("assembly-new-error.png")

		// The same dashboard on a phone-sized screen, for people to look at.
		b.do("narrow viewport", chromedp.EmulateViewport(390, 844))
		b.open("/dashboard", 200)
		b.waitText("h1", msg("dashboard.heading"))
		b.shot("dashboard-officer-narrow.png")
		b.do("reset viewport", chromedp.EmulateViewport(1280, 900))
	})
}

// findChromium finds the browser as Debian and others install it.
func findChromium() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New(`none of "chromium", "chromium-browser" or /usr/bin/chromium is installed`)
}

// tab is one browser tab on the test server. Its methods fail the test
// that fresh last gave, with a screenshot of what the browser showed.
type tab struct {
	t    testing.TB
	ctx  context.Context
	base string
	dir  string // where screenshots go
}

// newTab starts a headless Chromium for the test, stopped when it ends.
func newTab(t *testing.T, chromium, base string) *tab {
	t.Helper()
	dir := os.Getenv("VIGIL_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	// Cleanups run last in, first out: the browser stops before the
	// harness's server and its profile directory are removed.
	ctx, cancel := context.WithTimeout(context.Background(), browserTimeout)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	// The first action starts the browser; it lives as long as ctx.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	return &tab{t: t, ctx: bctx, base: base, dir: dir}
}

// fresh makes t the test that the tab's checks fail, and forgets every
// cookie, so that each subtest starts signed out whatever the last did.
func (b *tab) fresh(t testing.TB) {
	b.t = t
	b.do("clear cookies", chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
		_, err := cdp.Call(ctx, tt, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
}

// run runs a with a step's deadline, failing the test if it errs.
func run[T any](b *tab, step string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.fail(step, err)
	}
	return v
}

func (b *tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	run(b, step, chromedp.Steps(actions...))
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// fail saves what the browser shows and stops the test.
func (b *tab) fail(step string, err error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	where, _ := chromedp.Run(ctx, chromedp.Location())
	if png, serr := chromedp.Run(ctx, chromedp.FullScreenshot(100)); serr == nil {
		name := filepath.Join(b.dir, "FAILED-"+nonWord.ReplaceAllString(strings.ToLower(step), "-")+".png")
		if os.WriteFile(name, png, 0o644) == nil {
			b.t.Logf("the browser at the failure: %s", name)
		}
	}
	b.t.Fatalf("%s (at %s): %v", step, where, err)
}

// open loads path and checks the HTTP status of the page.
func (b *tab) open(path string, status int64) {
	b.t.Helper()
	resp := run(b, "open "+path, chromedp.NavigateResponse(b.base+path))
	switch {
	case resp == nil:
		b.t.Errorf("GET %s: no response, want %d", path, status)
	case resp.Status != status:
		b.t.Errorf("GET %s: %d %s, want %d", path, resp.Status, resp.StatusText, status)
	}
}

// submit clicks a button that sends a form, waits for the page it leads
// to, after any redirects, and returns that page's status and URL.
func (b *tab) submit(step, button string) (int64, string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(button)))
	if err != nil {
		b.fail(step, err)
	}
	if resp == nil {
		b.fail(step, errors.New("no response"))
	}
	return resp.Status, resp.URL
}

// waitVisible waits until an element matching sel is shown.
func (b *tab) waitVisible(sel string) {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// text waits for sel to be shown and returns its text as rendered.
func (b *tab) text(sel string) string {
	b.t.Helper()
	b.waitVisible(sel)
	return run(b, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// waitText checks that sel is shown and its text holds want.
func (b *tab) waitText(sel, want string) {
	b.t.Helper()
	if got := b.text(sel); !strings.Contains(squash(got), squash(want)) {
		b.t.Errorf("%s reads %q, want %q in it", sel, got, want)
	}
}

func (b *tab) value(sel string) string {
	b.t.Helper()
	return run(b, "value of "+sel, chromedp.Value(chromedp.CSS(sel)))
}

// evalJS evaluates a JavaScript expression in the page.
func evalJS[T any](b *tab, step, expr string) T {
	b.t.Helper()
	return run(b, step, chromedp.Evaluate[T](expr))
}

// waitJS waits until a JavaScript expression is true. (chromedp.Poll
// would compile the predicate in the page, which Vigil's CSP forbids.)
func (b *tab) waitJS(step, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(stepTimeout)
	for !evalJS[bool](b, step, expr) {
		if time.Now().After(deadline) {
			b.fail(step, errors.New("not true within "+stepTimeout.String()+": "+expr))
		}
		run(b, step, chromedp.Sleep(20*time.Millisecond))
	}
}

// shot saves a full-page screenshot.
func (b *tab) shot(name string) {
	b.t.Helper()
	png := run(b, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(b.dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// basics are what every page must have for people who use a keyboard or
// a screen reader.
type basics struct {
	Lang      string   `json:"lang"`
	Mains     int      `json:"mains"`
	Unlabeled []string `json:"unlabeled"`
}

const basicsJS = `(() => {
	const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
	const unlabeled = [];
	for (const el of document.querySelectorAll("input, select, textarea")) {
		if (el.type === "hidden" || !visible(el)) continue;
		const named = Array.from(el.labels || []).some((l) => l.textContent.trim() !== "");
		if (!named) unlabeled.push(el.outerHTML.slice(0, 120));
	}
	return {
		lang: document.documentElement.getAttribute("lang") || "",
		mains: document.querySelectorAll("main").length,
		unlabeled: unlabeled,
	};
})()`

// checkBasics checks the page's language, its one main landmark and that
// every visible field has a label.
func (b *tab) checkBasics(page string) {
	b.t.Helper()
	got := evalJS[basics](b, "accessibility basics of "+page, basicsJS)
	if got.Lang == "" {
		b.t.Errorf("%s: <html> has no lang", page)
	}
	if got.Mains != 1 {
		b.t.Errorf("%s: %d <main> elements, want 1", page, got.Mains)
	}
	for _, f := range got.Unlabeled {
		b.t.Errorf("%s: a visible field has no label: %s", page, f)
	}
}

func pathOf(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return rawURL
	}
	return u.Path
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
