package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// signIn signs in through the login form and checks it landed on the
// dashboard.
func (b *tab) signIn(username, password string) {
	b.t.Helper()
	b.open("/login", 200)
	b.do("fill credentials of "+username,
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	status, where := b.submit("sign in as "+username, `form[action="/login"] button[type=submit]`)
	if status != 200 || pathOf(where) != "/dashboard" {
		b.t.Fatalf("sign-in as %s landed on %s (%d)", username, where, status)
	}
}

func (b *tab) signOut() {
	b.t.Helper()
	if status, where := b.submit("sign out", `header form[action="/logout"] button`); status != 200 || pathOf(where) != "/" {
		b.t.Fatalf("sign-out landed on %s (%d)", where, status)
	}
}

// TestBrowserRequestToNotice walks a commander's request in Chromium
// through an independent authorizer's approval to the public notice, and
// shows a facial-recognition request refused with its citation.
func TestBrowserRequestToNotice(t *testing.T) {
	chromium, err := findChromium()
	if err != nil {
		storetest.SkipOrFail(t, "browser", "no Chromium for the browser test: "+err.Error())
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	msg := func(key string, args ...any) string { return cat.T(i18n.Fallback, key, args...) }
	h := newHarness(t, storetest.SQLite(t))
	admin := h.account("amira", auth.Admin, "HQ")
	over := h.account("ines", auth.Oversight, "DPA")
	cmd := h.account("dana", auth.Commander, "Public Order Unit 3")
	h.account("ilse", auth.Authorizer, "District Court")
	drone, _, asm := registerTools(t, h, admin, over, cmd)
	frt, err := h.assemblies.RegisterTechnology(context.Background(), admin, assembly.NewTechnology{Kind: "facial_recognition", Product: "FaceMatch", Supplier: "Biometrix", Accuracy: "FNMR 0.3%", DemographicErrors: "published"})
	if err != nil {
		t.Fatal(err)
	}

	b := newTab(t, chromium, h.ts.URL)
	b.fresh(t)

	// The commander asks for a drone over the march, on concrete indications.
	b.signIn("dana", h.passwords["dana"])
	b.open("/requests/new?assembly="+asm.ID, 200)
	b.waitText("h1", msg("requests.new.heading"))
	b.checkBasics("request form")
	b.do("fill the drone request",
		chromedp.SetValue(chromedp.ID("technology"), drone.ID),
		chromedp.SetValue(chromedp.ID("purpose"), "public_order"),
		chromedp.Click(chromedp.ID("s-concrete_indications")),
		chromedp.SendKeys(chromedp.ID("grounds"), "A group posted plans to attack the counter-demonstration at 15:00."),
		chromedp.SetValue(chromedp.ID("retention_days"), "14"),
	)
	b.shot("request-form.png")
	status, where := b.submit("file the request", `form[action="/requests"] button[type=submit]`)
	if status != 200 || !strings.HasPrefix(pathOf(where), "/requests/req_") {
		t.Fatalf("filing landed on %s (%d)", where, status)
	}
	reqPath := pathOf(where)
	b.waitText("main p.lead", msg("status.pending"))
	b.waitText("#decision + p", msg("outcome.independent_authorization"))
	b.waitText("main table", "recording-needs-independent-authorization")
	b.waitText("main table", "A/HRC/44/24 para. 35, 53(i)")
	b.checkBasics("request page")
	b.shot("request-pending.png")

	// Facial recognition of the crowd: refused at once, the citation shown.
	b.open("/requests/new?assembly="+asm.ID, 200)
	b.do("fill the facial recognition request",
		chromedp.SetValue(chromedp.ID("technology"), frt.ID),
		chromedp.SetValue(chromedp.ID("purpose"), "public_order"),
		chromedp.SendKeys(chromedp.ID("grounds"), "Identify known troublemakers in the crowd as they arrive."),
	)
	status, where = b.submit("file the facial recognition request", `form[action="/requests"] button[type=submit]`)
	if status != 200 || !strings.HasPrefix(pathOf(where), "/requests/req_") {
		t.Fatalf("filing landed on %s (%d)", where, status)
	}
	b.waitText("main p.lead", msg("status.denied"))
	b.waitText("main table", "no-facial-recognition-of-participants")
	b.waitText("main table", "A/HRC/44/24 para. 53(h)")
	b.shot("request-denied.png")
	b.signOut()

	// The independent authorizer sees it waiting, and approves it.
	b.signIn("ilse", h.passwords["ilse"])
	b.waitText(`section[aria-labelledby="your-part"]`, msg("dashboard.queue", "n", 1))
	b.open(reqPath, 200)
	b.waitVisible("#decide")
	b.do("approve with reasons",
		chromedp.Click(chromedp.ID("v-approve")),
		chromedp.SendKeys(chromedp.ID("reasons"), "The posted plans are concrete and specific; a week is enough."),
		chromedp.SetValue(chromedp.ID("v-retention"), "7"),
	)
	b.shot("request-decision-form.png")
	status, where = b.submit("record the decision", `form[action="`+reqPath+`/decision"] button[type=submit]`)
	if status != 200 || pathOf(where) != reqPath {
		t.Fatalf("deciding landed on %s (%d)", where, status)
	}
	b.waitText("main p.lead", msg("status.approved"))
	b.waitText("#authorization + dl", "District Court")
	b.waitText("#deployment + dl", msg("deployment.active"))
	b.shot("request-approved.png")
	b.signOut()

	// Anyone sees the notice, naming no one.
	b.open("/notices", 200)
	b.waitText("main table", msg("kind.drone_camera"))
	b.waitText("main table", "District Court")
	b.shot("notices.png")
	b.do("open the notice", chromedp.Click(chromedp.CSS(`main table a[href^="/notices/"]`)))
	b.waitText("h1", msg("notices.one.heading", "kind", msg("kind.drone_camera")))
	b.waitText("main dl", msg("notices.retention", "days", 7))
	page := b.text("main")
	for _, private := range []string{"dana", "attack the counter-demonstration", "Public Order Unit 3"} {
		if strings.Contains(page, private) {
			t.Errorf("the public notice shows %q", private)
		}
	}
	b.checkBasics("notice")
	b.shot("notice.png")
}
