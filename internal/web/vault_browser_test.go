package web_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// TestBrowserEvidence walks a victim's evidence in Chromium: she uploads a
// screenshot and is given a case number and PIN; her support service adds
// its statement with them, opens a complaint, holds the screenshot and
// opens it with a purpose; then anyone with the number and PIN, without an
// account, sees that read, its purpose, and the hold.
func TestBrowserEvidence(t *testing.T) {
	chromium, err := findChromium()
	if err != nil {
		storetest.SkipOrFail(t, "browser", "no Chromium for the browser test: "+err.Error())
	}
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	msg := func(key string, args ...any) string {
		t.Helper()
		if !cat.Has(key) {
			t.Fatalf("the catalog has no %q", key)
		}
		return cat.T(i18n.Fallback, key, args...)
	}
	h := newHarness(t, storetest.SQLite(t))
	h.account("rita", auth.Reporter, "")
	h.account("moira", auth.Moderator, "Helpline North")
	h.account("ines", auth.Oversight, "Data Protection Authority")
	files := t.TempDir()
	shotPath := filepath.Join(files, "threat.png")
	if err := os.WriteFile(shotPath, screenshot(t), 0o600); err != nil {
		t.Fatal(err)
	}
	notePath := filepath.Join(files, "statement.txt")
	if err := os.WriteFile(notePath, []byte("Statement taken by the helpline: the messages started in October.\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	b := newTab(t, chromium, h.ts.URL)
	b.fresh(t)

	// The victim uploads her screenshot.
	b.signIn("rita", h.passwords["rita"])
	b.waitText(`header nav a[href="/vault"]`, msg("nav.evidence"))
	b.waitText("#evidence", msg("dashboard.evidence"))
	b.open("/vault/new", 200)
	b.waitText("h1", msg("evidence.new.heading"))
	b.checkBasics("upload form")
	b.do("fill the upload form",
		chromedp.SetValue(chromedp.ID("class"), "report"),
		chromedp.SendKeys(chromedp.ID("purpose"), "Threatening messages sent to me by my former partner"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{shotPath}),
	)
	b.shot("evidence-upload-form.png")
	status, where := b.submit("upload the screenshot", `form[action="/vault/items"] button[type=submit]`)
	if status != 201 || pathOf(where) != "/vault/items" {
		t.Fatalf("the upload landed on %s (%d)", where, status)
	}
	b.waitText(".receipt h2", msg("evidence.uploaded.receipt_heading"))
	b.waitText(".receipt", msg("evidence.uploaded.receipt_once"))
	number, pin := strings.TrimSpace(b.text("#case-number")), strings.TrimSpace(b.text("#case-pin"))
	if !strings.HasPrefix(number, "VC-") || len(pin) != 9 {
		t.Fatalf("case number %q, PIN %q", number, pin)
	}
	itemPath := evalJS[string](b, "the item's link", `document.querySelector('#stored ~ dl a[href^="/vault/items/"]').getAttribute("href")`)
	b.checkBasics("upload receipt")
	b.shot("evidence-uploaded.png")
	b.signOut()

	// Her support service adds its statement to her submission, with the
	// number and PIN she gave it; it then sees her screenshot.
	b.signIn("moira", h.passwords["moira"])
	b.open("/vault/new", 200)
	b.do("fill the statement's upload",
		chromedp.SendKeys(chromedp.ID("purpose"), "Statement for her complaint"),
		chromedp.SendKeys(chromedp.ID("submission"), strings.ToLower(number)),
		chromedp.SendKeys(chromedp.ID("pin"), pin),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{notePath}),
	)
	if status, _ := b.submit("upload the statement", `form[action="/vault/items"] button[type=submit]`); status != 201 {
		t.Fatalf("the statement's upload: %d", status)
	}
	if got := evalJS[int](b, "no new case number", `document.querySelectorAll("#case-number").length`); got != 0 {
		t.Error("adding to a submission showed a new case number")
	}
	b.open("/vault", 200)
	b.waitText("main table", "image/png")
	b.waitText("main table", "text/plain")
	b.checkBasics("evidence list")
	b.shot("evidence-list.png")

	// It opens a complaint and holds the screenshot for it.
	b.open("/cases/new", 200)
	b.checkBasics("new case form")
	b.do("fill the case", chromedp.SendKeys(chromedp.ID("reference"), "HL-2026-0457"))
	status, where = b.submit("open the case", `form[action="/cases"] button[type=submit]`)
	if status != 200 || !strings.HasPrefix(pathOf(where), "/cases/case_") {
		t.Fatalf("opening the case landed on %s (%d)", where, status)
	}
	casePath := pathOf(where)
	b.open(itemPath, 200)
	b.waitText("h1", msg("evidence.item.heading", "class", "report"))
	b.do("fill the hold",
		chromedp.SetValue(chromedp.ID("hold-until"), time.Now().UTC().AddDate(2, 0, 0).Format("2006-01-02")),
		chromedp.SendKeys(chromedp.ID("hold-reason"), "Her complaint to the police is being prepared"),
	)
	status, where = b.submit("hold the screenshot", `form[action="`+itemPath+`/hold"] button[type=submit]`)
	if status != 200 || pathOf(where) != itemPath {
		t.Fatalf("the hold landed on %s (%d)", where, status)
	}
	b.waitText("main p.notice", msg("notice.item_held"))
	b.waitText("#holds + table", msg("evidence.hold.active"))

	// It opens the screenshot, saying why, on the case's basis.
	b.do("fill the read",
		chromedp.SendKeys(chromedp.ID("open-purpose"), "Prepare the complaint with her"),
	)
	status, where = b.submit("open the screenshot", `form[action="`+itemPath+`/open"] button[type=submit]`)
	if status != 200 || pathOf(where) != itemPath+"/view" {
		t.Fatalf("opening landed on %s (%d)", where, status)
	}
	b.waitJS("the screenshot shows", `(() => { const i = document.querySelector(".viewer img"); return i !== null && i.complete && i.naturalWidth === 240; })()`)
	b.checkBasics("viewer")
	b.shot("evidence-view.png")
	b.open(itemPath, 200)
	b.waitText("#accesses + p + table", "Prepare the complaint with her")
	b.waitText("#timeline + p + table", msg("evidence.event.item.accessed"))
	b.waitText("#timeline + p + table", msg("evidence.event.item.held"))
	b.checkBasics("custody timeline")
	b.shot("evidence-item.png")
	b.open(casePath, 200)
	b.waitText("h1", msg("cases.one.heading", "reference", "HL-2026-0457"))
	b.waitText("#held + table", "image/png")
	b.waitText("#members + ul", "moira")
	b.checkBasics("case")
	b.shot("evidence-case.png")
	b.signOut()

	// Anyone with her number and PIN sees the read, its purpose and the hold,
	// and nothing about who.
	b.open("/submission", 200)
	b.waitText("h1", msg("submission.heading"))
	b.checkBasics("submission form")
	b.do("enter the case number and PIN",
		chromedp.SendKeys(chromedp.ID("number"), number),
		chromedp.SendKeys(chromedp.ID("pin"), pin),
	)
	b.shot("evidence-submission-form.png")
	status, _ = b.submit("look up the submission", `form[action="/submission"] button[type=submit]`)
	if status != 200 {
		t.Fatalf("the lookup: %d", status)
	}
	b.waitText("h1", msg("submission.result.heading"))
	b.waitText("main", number)
	b.waitText("section.submitted-item table", msg("role.moderator"))
	b.waitText("section.submitted-item table", "Prepare the complaint with her")
	b.waitText("section.submitted-item", msg("submission.result.hold.complaint", "date", time.Now().UTC().AddDate(2, 0, 0).Format("2006-01-02")))
	page := b.text("main")
	for _, private := range []string{"moira", "Helpline North", "HL-2026-0457", "Test moira"} {
		if strings.Contains(page, private) {
			t.Errorf("the submission page shows %q", private)
		}
	}
	b.checkBasics("submission result")
	b.shot("evidence-submission.png")

	// A wrong PIN gets the same calm answer as a wrong number.
	b.open("/submission", 200)
	b.do("enter a wrong PIN",
		chromedp.SendKeys(chromedp.ID("number"), number),
		chromedp.SendKeys(chromedp.ID("pin"), "0000-0000"),
	)
	if status, _ := b.submit("look up with a wrong PIN", `form[action="/submission"] button[type=submit]`); status != 403 {
		t.Errorf("a wrong PIN: %d, want 403", status)
	}
	b.waitText(`main [role="alert"]`, msg("vault.submission_unknown"))
	b.shot("evidence-submission-wrong.png")

	// The retention schedules are public.
	b.open("/retention", 200)
	b.waitText("h1", msg("retention.heading"))
	b.waitText("#class-report + dl", msg("retention.days", "days", 730))
	b.checkBasics("retention")
	b.shot("retention.png")

	// Oversight sees that read in its register of every read, with who
	// made it, and filters it.
	b.signIn("ines", h.passwords["ines"])
	b.waitText(`main a[href="/oversight/reads"]`, msg("dashboard.reads_link"))
	b.open("/oversight/reads", 200)
	b.waitText("h1", msg("reads.heading"))
	b.waitText(`header nav a[aria-current="page"]`, msg("nav.reads"))
	b.waitText("table.reads", "Test moira")
	b.waitText("table.reads", msg("role.moderator"))
	b.waitText("table.reads", "Prepare the complaint with her")
	b.waitText("table.reads", "HL-2026-0457")
	b.checkBasics("register of reads")
	b.shot("oversight-reads.png")
	b.do("filter by role", chromedp.SetValue(chromedp.ID("role"), "commander"))
	if status, where := b.submit("filter the reads", `form[action="/oversight/reads"] button[type=submit]`); status != 200 || !strings.Contains(where, "role=commander") {
		t.Fatalf("the filter landed on %s (%d)", where, status)
	}
	b.waitText("main", msg("reads.none"))
	b.do("enter a bad date", chromedp.SetValue(chromedp.ID("role"), ""), chromedp.SetAttributeValue(chromedp.ID("from"), "type", "text"),
		chromedp.SetValue(chromedp.ID("from"), "1 December"))
	if status, _ := b.submit("filter with a bad date", `form[action="/oversight/reads"] button[type=submit]`); status != 400 {
		t.Errorf("a bad date: %d, want 400", status)
	}
	b.waitText(`main [role="alert"]`, msg("reads.bad_from", "value", "1 December"))
	b.checkBasics("register of reads, refused filter")
	b.shot("oversight-reads-bad-filter.png")
}
