package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/force"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
	"github.com/vigil-project/vigil/internal/web"
)

// newForceHarness is the shared harness with a server that also serves
// the use-of-force routes: the same database, log and accounts, and a
// force service of its own (the harness's writer picks up its events).
func newForceHarness(t *testing.T, db *store.DB) (*harness, *force.Service) {
	t.Helper()
	h := newHarness(t, db)
	fs := force.NewService(db, ledger.NewOutbox())
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Deps{
		DB: db, Auth: h.auth, Assemblies: h.assemblies, Force: fs, Keys: h.keys, Log: h.log.Reader(),
		Messages: cat, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(h.ts.Close)
	return h, fs
}

// location is a redirect's target, without its query.
func location(resp *http.Response) string {
	u, _ := url.Parse(resp.Header.Get("Location"))
	if u == nil {
		return ""
	}
	return u.Path
}

func reportForm(b *browser, at time.Time) url.Values {
	return url.Values{
		"csrf": {b.csrf("/force/reports/new")}, "weapon": {"baton"}, "uses": {"2"},
		"occurred_at": {at.UTC().Format("2006-01-02T15:04")}, "place": {"Market square, north side"},
		"latitude": {"52.3702"}, "longitude": {"4.8952"},
		"circumstances": {"A man struck a steward with a flagpole and kept swinging it at the line."},
		"warning_given": {"yes"}, "warning": {"Shouted 'police, drop it' twice."},
		"injuries": {"1"}, "injury_description": {"Bruised forearm."},
		"medical": {"called"}, "medical_note": {"Street medics treated him."},
		"body_cameras": {"BWC-0042/clip-7\nBWC-0043/clip-2"},
	}
}

func TestForceReportsOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h, fs := newForceHarness(t, db)
		ctx := context.Background()
		h.account("sam", auth.Officer, "Public Order Unit 3")
		lee := h.account("lee", auth.Officer, "Public Order Unit 3")
		ravi := h.account("ravi", auth.Officer, "Public Order Unit 5")
		h.account("dana", auth.Commander, "Public Order Unit 3")
		kim := h.account("kim", auth.Commander, "Public Order Unit 5")
		insp := h.account("insp", auth.Oversight, "DPA")
		h.account("rep", auth.Reporter, "")
		admin := h.account("boss", auth.Admin, "")
		sam, _ := h.auth.GetByUsername(ctx, "sam")

		// The commander records the officer's baton certificate in the register.
		dana := h.browser()
		dana.login("dana")
		status, page := dana.get("/force/certificates")
		if status != http.StatusOK {
			t.Fatalf("certificates page: %d", status)
		}
		mustContain(t, page, "Record a certificate", `<option value="`+sam.ID+`"`, "Public Order Unit 3 today")
		today := time.Now().UTC()
		resp := dana.post("/force/certificates", url.Values{"csrf": {dana.csrf("/force/certificates")}, "account": {sam.ID}, "weapon": {"baton"},
			"issued_on": {today.AddDate(-1, 0, 0).Format("2006-01-02")}, "expires_on": {today.AddDate(1, 0, 0).Format("2006-01-02")},
			"issuer": {"National Police Academy"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || location(resp) != "/force/certificates" {
			t.Fatalf("record certificate: %s %s", resp.Status, resp.Header.Get("Location"))
		}
		_, page = dana.get("/force/certificates?done=recorded")
		mustContain(t, page, "The certificate is recorded", "National Police Academy", "Valid")
		// Nobody records their own certificate; the form says why.
		resp = dana.post("/force/certificates", url.Values{"csrf": {dana.csrf("/force/certificates")}, "account": {""}, "weapon": {"baton"},
			"issued_on": {"2026-01-01"}, "expires_on": {"2025-01-01"}, "issuer": {"National Police Academy"}})
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("a certificate expiring before it is issued: %s", resp.Status)
		}
		mustContain(t, body, `role="alert"`, "a later date it expires")

		// The officer reports a baton use through the form.
		samB := h.browser()
		samB.login("sam")
		status, page = samB.get("/force/reports/new")
		if status != http.StatusOK {
			t.Fatalf("report form: %d", status)
		}
		mustContain(t, page, `<label for="circumstances">`, `aria-describedby="time-hint"`, "<legend>Was a warning given?</legend>")
		resp = samB.post("/force/reports", reportForm(samB, time.Now().Add(-time.Hour)))
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(location(resp), "/force/reports/fin_") {
			t.Fatalf("report: %s %s", resp.Status, resp.Header.Get("Location"))
		}
		trainedID := strings.TrimPrefix(location(resp), "/force/reports/")
		status, page = samB.get("/force/reports/" + trainedID + "?done=filed")
		if status != http.StatusOK {
			t.Fatalf("report page: %d", status)
		}
		mustContain(t, page, "Your report is recorded", "held a valid certificate", "kept swinging it at the line", "BWC-0043/clip-2", "force.incident_reported")
		// A report from the future is refused, and the form keeps what was typed.
		f := reportForm(samB, time.Now().Add(2*time.Hour))
		resp = samB.post("/force/reports", f)
		body = readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("a report from the future: %s", resp.Status)
		}
		mustContain(t, body, `role="alert"`, "cannot be in the future", "kept swinging it at the line")
		f = reportForm(samB, time.Now().Add(-time.Hour))
		f.Del("warning_given")
		resp = samB.post("/force/reports", f)
		body = readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Say whether a warning was given.") {
			t.Fatalf("no answer about a warning: %s", resp.Status)
		}

		// Another officer, without a certificate, reports through the API: flagged.
		leeTok := h.token(lee)
		r, body := h.api("POST", "/api/force/reports", leeTok, `{"weapon":"baton","occurred_at":"`+time.Now().Add(-30*time.Minute).UTC().Format(time.RFC3339)+`",
			"place":"Bridge end","circumstances":"He pushed through the cordon towards the counter-demonstration.","warning_given":false,
			"warning":"There was no time: he was already through.","injuries":0,"medical":"none","uses":1}`)
		if r.StatusCode != http.StatusCreated {
			t.Fatalf("API report: %s %s", r.Status, body)
		}
		var untrained struct {
			ID      string `json:"id"`
			Trained bool   `json:"trained"`
			Flag    string `json:"flag"`
			Event   int64  `json:"event"`
		}
		json.Unmarshal([]byte(body), &untrained)
		if untrained.Trained || untrained.Flag != "open" || untrained.Event == 0 || r.Header.Get("Location") != "/api/force/reports/"+untrained.ID {
			t.Fatalf("untrained use: %s", body)
		}
		for _, tc := range []struct{ name, body, want string }{
			{"no warning answer", `{"weapon":"baton","occurred_at":"2026-11-01T10:00:00Z","place":"x","circumstances":"long enough circumstances here","medical":"none","uses":1}`, "Say whether a warning was given."},
			{"unknown weapon", `{"weapon":"trebuchet","occurred_at":"2026-11-01T10:00:00Z","place":"x","circumstances":"long enough circumstances here","warning_given":true,"medical":"none","uses":1}`, "Choose a weapon type"},
			{"not a point", `{"weapon":"baton","occurred_at":"2026-11-01T10:00:00Z","point":{"type":"LineString","coordinates":[[0,0],[1,1]]},"circumstances":"long enough circumstances here","warning_given":true,"medical":"none","uses":1}`, "GeoJSON Point"},
			{"unknown field", `{"weapon":"baton","officer":"someone else"}`, "officer"},
		} {
			r, body := h.api("POST", "/api/force/reports", leeTok, tc.body)
			if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, tc.want) {
				t.Errorf("%s: %s %s", tc.name, r.Status, body)
			}
		}

		// Who sees which report.
		raviB := h.browser()
		raviB.login("ravi")
		if status, _ := raviB.get("/force/reports/" + trainedID); status != http.StatusNotFound {
			t.Fatalf("an officer of another unit reading a report: %d", status)
		}
		if r, _ := h.api("GET", "/api/force/reports/"+trainedID, h.token(ravi), ""); r.StatusCode != http.StatusNotFound {
			t.Fatalf("an officer of another unit reading a report by API: %s", r.Status)
		}
		if r, _ := h.api("GET", "/api/force/reports/"+trainedID, leeTok, ""); r.StatusCode != http.StatusNotFound {
			t.Fatalf("a colleague reading a report by API: %s", r.Status)
		}
		if r, _ := h.api("GET", "/api/force/reports/"+trainedID, h.token(kim), ""); r.StatusCode != http.StatusNotFound {
			t.Fatalf("another unit's commander reading a report by API: %s", r.Status)
		}
		_, page = raviB.get("/force/reports")
		if strings.Contains(page, trainedID) || strings.Contains(page, untrained.ID) {
			t.Fatal("an officer's list shows another unit's reports")
		}
		_, page = dana.get("/force/reports")
		mustContain(t, page, "My unit&#39;s use-of-force reports", trainedID, untrained.ID, "Untrained")
		r, body = h.api("GET", "/api/force/reports?untrained=1", h.token(insp), "")
		if r.StatusCode != http.StatusOK || !strings.Contains(body, untrained.ID) || strings.Contains(body, trainedID) {
			t.Fatalf("oversight's untrained list: %s %s", r.Status, body)
		}
		rep := h.browser()
		rep.login("rep")
		if status, _ := rep.get("/force/reports"); status != http.StatusForbidden {
			t.Fatalf("a reporter reading reports: %d", status)
		}
		anon, err := h.browser().c.Get(h.ts.URL + "/force/reports")
		if err != nil {
			t.Fatal(err)
		}
		anon.Body.Close()
		if anon.StatusCode != http.StatusSeeOther || !strings.HasPrefix(anon.Header.Get("Location"), "/login") {
			t.Fatalf("anonymous reports list: %s", anon.Status)
		}
		if r, _ := h.api("POST", "/api/force/reports", h.token(insp), `{}`); r.StatusCode != http.StatusForbidden {
			t.Fatalf("oversight filing a report: %s", r.Status)
		}

		// Addenda: the officer adds to their own report; a colleague cannot.
		resp = samB.post("/force/reports/"+trainedID+"/addenda", url.Values{"csrf": {samB.csrf("/force/reports/" + trainedID)}, "text": {"The man was treated at the hospital; nothing broken."}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("addendum: %s", resp.Status)
		}
		_, page = dana.get("/force/reports/" + trainedID)
		mustContain(t, page, "nothing broken", "force.addendum_added", "kept swinging it at the line")
		if r, _ := h.api("POST", "/api/force/reports/"+trainedID+"/addenda", leeTok, `{"text":"I remember it differently."}`); r.StatusCode != http.StatusNotFound {
			t.Fatalf("a colleague's addendum: %s", r.Status)
		}

		// Oversight's queue holds the untrained use; oversight refers it.
		inspB := h.browser()
		inspB.login("insp")
		status, page = inspB.get("/oversight/force")
		if status != http.StatusOK || !strings.Contains(page, untrained.ID) || strings.Contains(page, trainedID) {
			t.Fatalf("queue: %d", status)
		}
		if status, _ := dana.get("/oversight/force"); status != http.StatusForbidden {
			t.Fatalf("a commander reading the queue: %d", status)
		}
		resp = dana.post("/force/reports/"+untrained.ID+"/referrals", url.Values{"csrf": {dana.csrf("/force/reports/" + untrained.ID)}, "body_kind": {"prosecutor"}, "body": {"Prosecutor"}, "reasons": {"A commander should not be able to do this at all."}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("a commander referring: %s", resp.Status)
		}
		status, page = inspB.get("/force/reports/" + untrained.ID)
		mustContain(t, page, "Refer to an investigation", "Review without referral")
		token := inspB.csrf("/force/reports/" + untrained.ID)
		resp = inspB.post("/force/reports/"+untrained.ID+"/referrals", url.Values{"csrf": {token}, "body_kind": {"disciplinary_board"}, "body": {"Police Disciplinary Board"}, "reasons": {"short"}})
		body = readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("short reasons: %s", resp.Status)
		}
		mustContain(t, body, `role="alert"`, "Give the reasons for the referral", "Police Disciplinary Board")
		resp = inspB.post("/force/reports/"+untrained.ID+"/referrals", url.Values{"csrf": {token}, "body_kind": {"disciplinary_board"}, "body": {"Police Disciplinary Board"},
			"reasons": {"Baton used by an officer with no certificate for it."}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("refer: %s", resp.Status)
		}
		_, page = inspB.get("/oversight/force")
		mustContain(t, page, "No untrained use is waiting.", "Police Disciplinary Board")
		refs, err := fs.Referrals(ctx, insp, force.ReferralQuery{IncidentID: untrained.ID})
		if err != nil || len(refs) != 1 {
			t.Fatalf("referrals %v %v", refs, err)
		}
		inspTok := h.token(insp)
		r, body = h.api("POST", "/api/force/referrals/"+refs[0].ID+"/status", inspTok, `{"status":"opened","reference":"PDB-88","note":"The board opened a disciplinary case."}`)
		if r.StatusCode != http.StatusOK || !strings.Contains(body, `"status": "opened"`) || !strings.Contains(body, "PDB-88") {
			t.Fatalf("update referral: %s %s", r.Status, body)
		}
		r, body = h.api("POST", "/api/force/referrals/"+refs[0].ID+"/status", inspTok, `{"status":"opened","note":"Opening it once more."}`)
		if r.StatusCode != http.StatusConflict || !strings.Contains(body, "cannot become") {
			t.Fatalf("opened twice: %s %s", r.Status, body)
		}
		if r, _ := h.api("GET", "/api/force/referrals", leeTok, ""); r.StatusCode != http.StatusForbidden {
			t.Fatalf("an officer listing referrals: %s", r.Status)
		}
		r, body = h.api("GET", "/api/force/reports/"+untrained.ID, h.token(admin), "")
		if r.StatusCode != http.StatusOK || !strings.Contains(body, `"referrals"`) || !strings.Contains(body, `"flag": "referred"`) {
			t.Fatalf("admin reading the referred report: %s %s", r.Status, body)
		}
		if r, body := h.api("GET", "/api/force/reports/"+untrained.ID, leeTok, ""); r.StatusCode != http.StatusOK || strings.Contains(body, `"referrals"`) {
			t.Fatalf("the officer sees the referral: %s %s", r.Status, body)
		}

		// Training: the unit is not trained while one member lacks a certificate.
		r, body = h.api("GET", "/api/force/training?weapon=baton", h.token(kim), "")
		if r.StatusCode != http.StatusOK || !strings.Contains(body, `"trained": false`) {
			t.Fatalf("unit 5 training: %s %s", r.Status, body)
		}
		if r, _ := h.api("GET", "/api/force/training?weapon=baton&unit=Public+Order+Unit+3", h.token(kim), ""); r.StatusCode != http.StatusForbidden {
			t.Fatalf("a commander asking about another unit: %s", r.Status)
		}
		if r, _ := h.api("GET", "/api/force/training?weapon=baton", inspTok, ""); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("oversight asking about no unit: %s", r.Status)
		}
		r, body = h.api("GET", "/api/force/training?weapon=baton&unit=public+order+unit+3", inspTok, "")
		if r.StatusCode != http.StatusOK || !strings.Contains(body, `"trained": false`) || !strings.Contains(body, `"certificate": "fce_`) || strings.Count(body, `"username"`) != 3 {
			t.Fatalf("unit 3 training, as oversight sees it: %s %s", r.Status, body)
		}
		r, body = h.api("GET", "/api/force/certificates", leeTok, "")
		if r.StatusCode != http.StatusOK || !strings.Contains(body, `"certificates": []`) {
			t.Fatalf("an officer without certificates: %s %s", r.Status, body)
		}
		certs, _ := fs.Certificates(ctx, insp, force.CertificateQuery{})
		if r, _ := h.api("POST", "/api/force/certificates/"+certs[0].ID+"/revoke", h.token(kim), `{"reason":"Not my unit, but I try."}`); r.StatusCode != http.StatusForbidden {
			t.Fatalf("another unit's commander revoking: %s", r.Status)
		}

		// Zero reports: none for a month with incidents, one per month.
		last := time.Now().UTC().AddDate(0, -1, 0).Format("2006-01")
		resp = dana.post("/force/zero-reports", url.Values{"csrf": {dana.csrf("/force/zero-reports")}, "month": {last}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("zero report: %s", resp.Status)
		}
		resp = dana.post("/force/zero-reports", url.Values{"csrf": {dana.csrf("/force/zero-reports")}, "month": {last}})
		body = readAll(t, resp)
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("a second zero report: %s", resp.Status)
		}
		mustContain(t, body, `role="alert"`, "already filed its zero report")
		r, body = h.api("POST", "/api/force/zero-reports", h.token(kim), `{"month":"`+time.Now().UTC().Format("2006-01")+`"}`)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(body, "has ended") {
			t.Fatalf("a zero report for this month: %s %s", r.Status, body)
		}
		if r, _ := h.api("POST", "/api/force/zero-reports", leeTok, `{"month":"`+last+`"}`); r.StatusCode != http.StatusForbidden {
			t.Fatalf("an officer filing a zero report: %s", r.Status)
		}
		status, page = inspB.get("/force/zero-reports")
		if status != http.StatusOK {
			t.Fatalf("zero reports page: %d", status)
		}
		mustContain(t, page, "Months without a report", "Zero reports filed", last)

		// Statistics: public, small counts suppressed; exact for oversight.
		status, page = h.browser().get("/force/statistics")
		if status != http.StatusOK {
			t.Fatalf("public statistics: %d", status)
		}
		mustContain(t, page, "&lt;5", "Counts from 1 to 4")
		r, body = h.api("GET", "/api/force/statistics", "", "")
		if r.StatusCode != http.StatusOK || !strings.Contains(body, `"incidents": "\u003c5"`) || !strings.Contains(body, `"exact": false`) {
			t.Fatalf("public statistics by API: %s %s", r.Status, body)
		}
		r, body = h.api("GET", "/api/force/statistics", inspTok, "")
		if r.StatusCode != http.StatusOK || !strings.Contains(body, `"incidents": 2`) || !strings.Contains(body, `"exact": true`) {
			t.Fatalf("oversight's statistics by API: %s %s", r.Status, body)
		}
		_, page = inspB.get("/force/statistics")
		mustContain(t, page, "You see exact counts")
		if r, _ := h.api("GET", "/api/force/statistics?from=2026-13&to=2026-14", "", ""); r.StatusCode != http.StatusBadRequest {
			t.Fatalf("a bad month: %s", r.Status)
		}

		// Every page renders for every role that uses it, and shows bad filters as errors.
		for _, tc := range []struct {
			who, path string
			status    int
			want      string
		}{
			{"boss", "/force/certificates?unit=Public+Order+Unit+3&current=1", 200, "Public Order Unit 3 today"},
			{"boss", "/oversight/force", 200, "Referrals in progress"},
			{"boss", "/force/reports/" + untrained.ID, 200, "Police Disciplinary Board"},
			{"boss", "/force/zero-reports?from=2026-01&to=2026-03", 200, "Months without a report"},
			{"sam", "/force/certificates", 200, "My training certificates"},
			{"lee", "/force/reports/" + untrained.ID, 200, "Referred to an investigation"},
			{"dana", "/force/zero-reports", 200, "File a zero report for Public Order Unit 3"},
			{"kim", "/force/certificates", 200, "Public Order Unit 5 today"},
			{"insp", "/force/reports?flag=referred&weapon=baton", 200, untrained.ID},
			{"insp", "/force/reports?month=last+spring", 400, "A month is written YYYY-MM"},
			{"insp", "/force/statistics?from=2026-05&to=2025-01", 400, "comes before its last"},
			{"dana", "/force/zero-reports?from=nope", 400, "A month is written YYYY-MM"},
		} {
			b := h.browser()
			b.login(tc.who)
			status, page := b.get(tc.path)
			if status != tc.status || !strings.Contains(page, tc.want) {
				t.Errorf("%s GET %s: %d, want %d with %q:\n%s", tc.who, tc.path, status, tc.status, tc.want, shorten(page))
			}
		}
	})
}

// TestForceNothingPersonalOnTheLog reports uses of force with names,
// places and free text through the browser and the API, and checks that
// none of it, nor any account's ID, is in any entry of the public log.
func TestForceNothingPersonalOnTheLog(t *testing.T) {
	h, _ := newForceHarness(t, storetest.SQLite(t))
	officer := h.account("zainab.okonkwo", auth.Officer, "Riot Squad Nine")
	commander := h.account("marguerite", auth.Commander, "Riot Squad Nine")
	insp := h.account("insp", auth.Oversight, "DPA")
	ids := []string{officer.ID, commander.ID, insp.ID}
	secrets := []string{"Zainab", "Okonkwo", "zainab.okonkwo", "Marguerite", "Riot Squad Nine", "Test zainab",
		"Kestrel Academy", "KA-4471", "fountain on Harbour Road", "52.3702", "4.8952", "kept swinging", "drop it", "Bruised forearm",
		"Street medics", "BWC-0042", "nothing broken", "Kestrel ombuds", "the footage contradicts"}

	mb := h.browser()
	mb.login("marguerite")
	today := time.Now().UTC()
	mb.post("/force/certificates", url.Values{"csrf": {mb.csrf("/force/certificates")}, "account": {officer.ID}, "weapon": {"baton"},
		"issued_on": {today.AddDate(-1, 0, 0).Format("2006-01-02")}, "expires_on": {today.AddDate(1, 0, 0).Format("2006-01-02")},
		"issuer": {"Kestrel Academy"}, "reference": {"KA-4471"}}).Body.Close()
	zb := h.browser()
	zb.login("zainab.okonkwo")
	f := reportForm(zb, time.Now().Add(-time.Hour))
	f.Set("place", "fountain on Harbour Road")
	resp := zb.post("/force/reports", f)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("report: %s", resp.Status)
	}
	id := strings.TrimPrefix(location(resp), "/force/reports/")
	zb.post("/force/reports/"+id+"/addenda", url.Values{"csrf": {zb.csrf("/force/reports/" + id)}, "text": {"Treated at hospital, nothing broken."}, "body_cameras": {"BWC-0042/clip-9"}}).Body.Close()
	r, body := h.api("POST", "/api/force/reports/"+id+"/referrals", h.token(insp), `{"body_kind":"ombudsperson","body":"Kestrel ombuds office","reasons":"Witnesses say the footage contradicts the report."}`)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("refer: %s %s", r.Status, body)
	}
	mb.post("/force/zero-reports", url.Values{"csrf": {mb.csrf("/force/zero-reports")}, "month": {today.AddDate(0, -1, 0).Format("2006-01")}}).Body.Close()

	h.waitPublished()
	types := map[string]bool{}
	for _, e := range allEntries(t, h) {
		var en struct {
			Type string `json:"type"`
		}
		json.Unmarshal([]byte(e), &en)
		types[en.Type] = true
		low := strings.ToLower(e)
		for _, s := range append(secrets, ids...) {
			if strings.Contains(low, strings.ToLower(s)) {
				t.Errorf("log entry holds %q: %s", s, e)
			}
		}
	}
	for _, want := range []string{"force.certificate_recorded", "force.incident_reported", "force.addendum_added", "force.referred", "force.zero_report_filed"} {
		if !types[want] {
			t.Errorf("no %s entry on the log", want)
		}
	}
}
