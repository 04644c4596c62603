package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/disrupt"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
	"github.com/vigil-project/vigil/internal/web"
)

// newDisruptHarness is the shared harness serving a register of
// disruption orders as well. The register records events through an
// outbox of its own; the harness's ledger writer finds them when it polls.
func newDisruptHarness(t *testing.T, db *store.DB) (*harness, *disrupt.Service) {
	t.Helper()
	h := newHarness(t, db)
	svc := disrupt.NewService(db, ledger.NewOutbox())
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Deps{
		DB: db, Auth: h.auth, Assemblies: h.assemblies, Disruptions: svc, Keys: h.keys, Log: h.log.Reader(),
		Messages: cat, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(h.ts.Close)
	return h, svc
}

// upload posts a multipart form with one file, as a same-origin browser
// would.
func (b *browser) upload(path string, fields url.Values, name string, content []byte) *http.Response {
	b.h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	if name != "" {
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(content)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.h.ts.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.h.ts.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := b.c.Do(req)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return resp
}

var orderPath = regexp.MustCompile(`^/disruptions/(dso_[a-z]{20})\?saved=recorded$`)

// orderForm is the record form filled in for an invented order.
func orderForm(csrf string) url.Values {
	return url.Values{
		"csrf": {csrf}, "country": {"Ruritania"}, "regions": {"Strelsau, Zenda"},
		"types": {"Shutdown"}, "extent": {"Full network"}, "networks": {"Mobile", "Broadband"},
		"services": {"WhatsApp"}, "other_services": {"Signal"},
		"issuing_authority": {"Ministry of Posts and Telegraphs"}, "ordered_by": {"Executive government"},
		"legal_basis": {"Telecommunications Act, s. 5\r\nand Decree 12"}, "start": {"2024-03-01"},
		"challenged": {"yes"}, "implemented": {"no"}, "customers_told": {"unknown"},
		"event":        {"Mobile data cut before the march.\r\nRestored the next day."},
		"source_links": {"https://example.org/a\r\nhttps://example.org/b"},
	}
}

// recordByForm records an order through the browser and returns its ID.
func recordByForm(t *testing.T, b *browser, form url.Values) string {
	t.Helper()
	resp := b.post("/disruptions", form)
	body := readAll(t, resp)
	m := orderPath.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("record: %s to %q:\n%s", resp.Status, resp.Header.Get("Location"), shorten(body))
	}
	return m[1]
}

func TestDisruptionsPublicRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h, _ := newDisruptHarness(t, db)
		h.account("operator", auth.Moderator, "Northwind Mobile")
		anon := h.browser()

		status, body := anon.get("/disruptions")
		if status != 200 {
			t.Fatalf("empty register: %d", status)
		}
		mustContain(t, body, "No disruption order has been recorded", "contrary to international human rights standards",
			"para. 21-23", "para. 53(b)-(c)", "para. 54(d)", `href="/disruptions.csv"`, `aria-current="page">Disruption orders</a>`)
		if strings.Contains(body, `href="/disruptions/new"`) {
			t.Error("the public sees the link to record an order")
		}

		op := h.browser()
		op.login("operator")
		id := recordByForm(t, op, orderForm(op.csrf("/disruptions/new")))

		status, body = op.get("/disruptions/" + id + "?saved=recorded")
		if status != 200 {
			t.Fatalf("order page: %d", status)
		}
		mustContain(t, body, "The order is recorded, and flagged.", "Contrary to international human rights standards",
			"Ministry of Posts and Telegraphs", "Telecommunications Act, s. 5\nand Decree 12", "Strelsau, Zenda",
			"WhatsApp", "Signal", "Full network", "Record what became of the order", "disruption.order_recorded")

		// A status change, with a note only staff see.
		resp := op.post("/disruptions/"+id+"/updates", url.Values{"csrf": {op.csrf("/disruptions/" + id)},
			"change": {"challenged"}, "answer": {"yes"}, "on": {"2024-03-02"}, "note": {"Case AC-88 before the Administrative Court"}})
		readAll(t, resp)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/disruptions/"+id+"?saved=updated#history" {
			t.Fatalf("update: %s to %q", resp.Status, resp.Header.Get("Location"))
		}
		_, body = op.get("/disruptions/" + id)
		mustContain(t, body, "Challenged (in court or by another legal procedure)", "2024-03-02", "Case AC-88 before the Administrative Court")
		status, body = anon.get("/disruptions/" + id)
		if status != 200 {
			t.Fatalf("public order page: %d", status)
		}
		mustContain(t, body, "Challenged (in court or by another legal procedure)", "Ministry of Posts and Telegraphs", "para. 54(d)")
		if strings.Contains(body, "AC-88") || strings.Contains(body, `action="/disruptions/`+id+`/updates"`) {
			t.Error("the public sees the note or the status form")
		}

		// The public list shows the order with its flag.
		_, body = anon.get("/disruptions")
		mustContain(t, body, `href="/disruptions/`+id+`"`, "Ruritania", "Orders in the register: 1.", `href="#flag"`)

		// A refused status change says why and keeps what was typed.
		resp = op.post("/disruptions/"+id+"/updates", url.Values{"csrf": {op.csrf("/disruptions/" + id)},
			"change": {"ended"}, "on": {"2024-02-01"}, "note": {"typed note"}})
		body = readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("end before start: %s", resp.Status)
		}
		mustContain(t, body, "cannot end or be lifted before the disruption started (2024-03-01)", "typed note")

		// The CSV download: STOP's columns, formulas guarded.
		evil := orderForm(op.csrf("/disruptions/new"))
		evil.Set("start", "2024-04-01")
		evil.Set("event", `=HYPERLINK("https://evil.example","click")`)
		recordByForm(t, op, evil)
		resp, err := http.Get(h.ts.URL + "/disruptions.csv")
		if err != nil {
			t.Fatal(err)
		}
		raw := readAll(t, resp)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("CSV: %s %q %q", resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
		}
		recs, err := csv.NewReader(strings.NewReader(raw)).ReadAll()
		if err != nil || len(recs) != 3 || !slices.Equal(recs[0], disrupt.Columns()) {
			t.Fatalf("CSV records %v, %v", recs, err)
		}
		if !strings.Contains(raw, `'=HYPERLINK`) {
			t.Errorf("a formula is downloaded unguarded:\n%s", raw)
		}
		orders, rowErrs, err := disrupt.ReadSTOP(strings.NewReader(raw))
		if err != nil || len(rowErrs) > 0 || len(orders) != 2 || orders[0].Country != "Ruritania" || orders[0].LegalBasis != "Telecommunications Act, s. 5\nand Decree 12" {
			t.Errorf("CSV reads back as %+v, %v, %v", orders, rowErrs, err)
		}

		// The JSON: public, flagged, notes only for staff.
		resp, body = h.api("GET", "/api/disruptions", "", "")
		if resp.StatusCode != 200 {
			t.Fatalf("api list: %s %s", resp.Status, body)
		}
		var list struct {
			Total  int `json:"total"`
			Orders []struct {
				ID    string        `json:"id"`
				Order disrupt.Order `json:"order"`
				Flag  struct {
					Contrary  bool `json:"contrary_to_standards"`
					Label     string
					Citations []struct{ Paragraphs string }
				} `json:"flag"`
				History []struct {
					Change string `json:"change"`
					Answer string `json:"answer"`
					Note   string `json:"note"`
				} `json:"history"`
			} `json:"orders"`
		}
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatal(err)
		}
		if list.Total != 2 || len(list.Orders) != 2 || list.Orders[1].ID != id {
			t.Fatalf("api list: %s", body)
		}
		o := list.Orders[1]
		if !o.Flag.Contrary || o.Flag.Label != "Contrary to international human rights standards" || len(o.Flag.Citations) != 3 ||
			o.Order.Challenged != disrupt.Yes || len(o.History) != 1 || o.History[0].Answer != "yes" || o.History[0].Note != "" {
			t.Errorf("api order: %+v", o)
		}
		staff := h.token(h.account("operator2", auth.Moderator, ""))
		_, body = h.api("GET", "/api/disruptions/"+id, staff, "")
		if !strings.Contains(body, "AC-88") || !strings.Contains(body, `"as_recorded"`) {
			t.Errorf("staff do not see the note, or the order as recorded: %s", shorten(body))
		}
	})
}

func TestDisruptionsAccess(t *testing.T) {
	h, _ := newDisruptHarness(t, storetest.SQLite(t))
	h.account("operator", auth.Moderator, "")
	h.account("boss", auth.Admin, "")
	officer := h.account("officer", auth.Officer, "")
	overseer := h.account("overseer", auth.Oversight, "")

	anon := h.browser()
	for path, want := range map[string]int{
		"/disruptions":               200,
		"/disruptions.csv":           200,
		"/disruptions/new":           303,
		"/disruptions/import":        303,
		"/disruptions/dso_nope":      404,
		"/disruptions?page=x":        400,
		"/disruptions?page=2":        404,
		"/disruptions/dso_nope/more": 404,
	} {
		if status, _ := anon.get(path); status != want {
			t.Errorf("anonymous GET %s = %d, want %d", path, status, want)
		}
	}
	for _, who := range []string{"officer", "overseer"} {
		b := h.browser()
		b.login(who)
		for path, want := range map[string]int{"/disruptions": 200, "/disruptions/new": 403, "/disruptions/import": 403} {
			if status, _ := b.get(path); status != want {
				t.Errorf("%s GET %s = %d, want %d", who, path, status, want)
			}
		}
		resp := b.post("/disruptions", orderForm(b.csrf("/disruptions")))
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s recording: %s", who, resp.Status)
		}
	}
	for _, who := range []string{"operator", "boss"} {
		b := h.browser()
		b.login(who)
		for _, path := range []string{"/disruptions/new", "/disruptions/import"} {
			if status, body := b.get(path); status != 200 || !strings.Contains(body, `name="csrf"`) {
				t.Errorf("%s GET %s = %d", who, path, status)
			}
		}
		form := orderForm(b.csrf("/disruptions/new"))
		form.Set("regions", "Region of "+who)
		recordByForm(t, b, form)
	}

	order := `{"country":"Ruritania","start":"2024-05-01","types":["Shutdown"]}`
	for _, tc := range []struct {
		method, path, token, body string
		want                      int
	}{
		{"GET", "/api/disruptions", "", "", 200},
		{"GET", "/api/disruptions?limit=0", "", "", 400},
		{"GET", "/api/disruptions?limit=501", "", "", 400},
		{"GET", "/api/disruptions?offset=-1", "", "", 400},
		{"GET", "/api/disruptions/dso_nope", "", "", 404},
		{"POST", "/api/disruptions", "", order, 401},
		{"POST", "/api/disruptions", h.token(officer), order, 403},
		{"POST", "/api/disruptions", h.token(overseer), order, 403},
		{"POST", "/api/disruptions/import", h.token(officer), "", 403},
		{"POST", "/api/disruptions/dso_nope/updates", h.token(officer), `{"change":"ended","on":"2024-05-02"}`, 403},
	} {
		resp, body := h.api(tc.method, tc.path, tc.token, tc.body)
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, resp.StatusCode, tc.want, body)
		}
		if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: error as %q", tc.method, tc.path, resp.Header.Get("Content-Type"))
		}
	}
}

func TestDisruptionForm(t *testing.T) {
	h, svc := newDisruptHarness(t, storetest.SQLite(t))
	h.account("operator", auth.Moderator, "")
	b := h.browser()
	b.login("operator")

	// Problems are listed by field, and what was typed stays.
	form := orderForm(b.csrf("/disruptions/new"))
	form.Set("country", "")
	form.Set("end", "2024-02-30")
	form.Set("regions", "Strelsau, Zenda, strelsau")
	resp := b.post("/disruptions", form)
	body := readAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad form: %s", resp.Status)
	}
	mustContain(t, body, "The order cannot be recorded as it is:", "End: Write the day as YYYY-MM-DD", `value="Ministry of Posts and Telegraphs"`,
		`value="Shutdown" checked`, `id="challenged-yes" name="challenged" type="radio" value="yes" checked`,
		"Country: the country is missing", "Regions: &#34;strelsau&#34; is listed twice")
	form.Set("end", "")
	resp = b.post("/disruptions", form)
	body = readAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("no country: %s", resp.Status)
	}
	mustContain(t, body, "Country: the country is missing", "Regions: &#34;strelsau&#34; is listed twice")
	if n, _ := svc.Count(context.Background()); n != 0 {
		t.Fatalf("%d orders recorded from bad forms", n)
	}

	// Recorded once; the same order again is refused, with a link to it.
	id := recordByForm(t, b, orderForm(b.csrf("/disruptions/new")))
	again := orderForm(b.csrf("/disruptions/new"))
	again.Set("regions", "zenda,  Strelsau")
	again.Set("issuing_authority", "Someone else")
	resp = b.post("/disruptions", again)
	body = readAll(t, resp)
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("duplicate: %s", resp.Status)
	}
	mustContain(t, body, "This order is already recorded, as "+id, `href="/disruptions/`+id+`"`)
}

func TestDisruptionImportPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h, svc := newDisruptHarness(t, db)
		h.account("operator", auth.Moderator, "")
		sample, err := os.ReadFile("../disrupt/testdata/stop_sample.csv")
		if err != nil {
			t.Fatal(err)
		}
		b := h.browser()
		b.login("operator")
		csrf := url.Values{"csrf": {b.csrf("/disruptions/import")}}

		resp := b.upload("/disruptions/import", csrf, "stop.csv", sample)
		body := readAll(t, resp)
		if resp.StatusCode != 200 {
			t.Fatalf("import: %s\n%s", resp.Status, shorten(body))
		}
		mustContain(t, body, "4 of 4 orders imported; 0 skipped as already recorded.", "count_year", `href="/disruptions/dso_`)

		resp = b.upload("/disruptions/import", csrf, "stop.csv", sample)
		body = readAll(t, resp)
		mustContain(t, body, "0 of 4 orders imported; 4 skipped as already recorded.", "Already recorded as")

		// Bad rows: nothing imported, every problem with its line. The
		// sample ends on line 7; a good row changed to a new order is
		// not imported either.
		header, _, _ := strings.Cut(string(sample), "\n")
		row := func(cells map[string]string) string {
			var out []string
			for _, c := range strings.Split(header, ",") {
				out = append(out, cells[c])
			}
			return strings.Join(out, ",") + "\n"
		}
		bad := string(sample) + row(map[string]string{"start_date": "x/y/2024", "country": "Freedonia", "shutdown_type": "Shutdown"}) +
			row(map[string]string{"start_date": "1/2/2024", "shutdown_type": "Blackout"})
		bad = strings.Replace(bad, "Actual,1/5/2023,Ruritania", "Actual,1/5/2023,Zenda", 1)
		resp = b.upload("/disruptions/import", csrf, "stop.csv", []byte(bad))
		body = readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("bad rows: %s", resp.Status)
		}
		mustContain(t, body, "Nothing was imported", "<td class=\"num\">8</td>", "<td class=\"num\">9</td>", "shutdown_type", "the country is missing")
		if n, _ := svc.Count(context.Background()); n != 4 {
			t.Errorf("%d orders after a rejected import, want 4", n)
		}

		for _, tc := range []struct {
			name   string
			fields url.Values
			file   string
			data   []byte
			want   int
			words  string
		}{
			{"no file", csrf, "", nil, 400, "Choose one CSV file"},
			{"not STOP", csrf, "x.csv", []byte("name,age\nx,1\n"), 400, "lacks the required column(s) start_date, end_date, country, shutdown_type"},
			{"empty", csrf, "x.csv", nil, 400, "the file is empty"},
			{"no csrf", nil, "stop.csv", sample, 403, ""},
		} {
			resp := b.upload("/disruptions/import", tc.fields, tc.file, tc.data)
			body := readAll(t, resp)
			if resp.StatusCode != tc.want || !strings.Contains(body, tc.words) {
				t.Errorf("%s: %s, want %d saying %q:\n%s", tc.name, resp.Status, tc.want, tc.words, shorten(body))
			}
		}
		// Signed out, an upload is not read and fails the CSRF check.
		anon := h.browser()
		resp = anon.upload("/disruptions/import", url.Values{"csrf": {anon.csrf("/login")}}, "stop.csv", sample)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("anonymous upload: %s", resp.Status)
		}
	})
}

func TestDisruptionAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h, _ := newDisruptHarness(t, db)
		tok := h.token(h.account("operator", auth.Moderator, ""))

		resp, body := h.api("POST", "/api/disruptions", tok, `{"country":"Ruritania","start":"2024-05-01","types":["Shutdown"],"networks":["Mobile"],
			"issuing_authority":"District Magistrate","legal_basis":"Code of Criminal Procedure, s. 144","implemented":"yes","regions":["Strelsau"]}`)
		if resp.StatusCode != 201 {
			t.Fatalf("record: %s %s", resp.Status, body)
		}
		var rec struct {
			ID    string        `json:"id"`
			Event int64         `json:"event"`
			Order disrupt.Order `json:"order"`
		}
		json.Unmarshal([]byte(body), &rec)
		if rec.ID == "" || rec.Event == 0 || resp.Header.Get("Location") != "/api/disruptions/"+rec.ID || rec.Order.Implemented != disrupt.Yes {
			t.Fatalf("record: %s", body)
		}

		for _, tc := range []struct {
			name, path, body string
			want             int
			words            []string
		}{
			{"invalid", "/api/disruptions", `{"start":"2024-05-01","end":"2024-04-01","types":["Blackout"]}`, 400,
				[]string{`"field":"Country"`, `"field":"Types"`, `"field":"End"`, `"message":"the country is missing"`}},
			{"bad day", "/api/disruptions", `{"country":"X","start":"1 May 2024"}`, 400, []string{"The JSON could not be read."}},
			{"unknown field", "/api/disruptions", `{"country":"X","start":"2024-05-01","colour":"red"}`, 400, []string{"colour"}},
			{"duplicate", "/api/disruptions", `{"country":"ruritania","start":"2024-05-01","types":["Shutdown"],"networks":["Mobile"],"regions":["strelsau"]}`, 409,
				[]string{`"existing":"` + rec.ID + `"`}},
			{"update", "/api/disruptions/" + rec.ID + "/updates", `{"change":"challenged","answer":"no","on":"2024-05-01","note":"Counsel advised against"}`, 201,
				[]string{`"change": "challenged"`, `"answer": "no"`, `"event":`}},
			{"update without answer", "/api/disruptions/" + rec.ID + "/updates", `{"change":"implemented","on":"2024-05-01"}`, 400,
				[]string{"Say whether it did: yes or no."}},
			{"update unknown order", "/api/disruptions/dso_bcdfghjklmnpqrstvwx/updates", `{"change":"ended","on":"2024-05-01"}`, 404, nil},
			{"end", "/api/disruptions/" + rec.ID + "/updates", `{"change":"ended","on":"2024-05-03"}`, 201, []string{`"change": "ended"`}},
		} {
			resp, body := h.api("POST", tc.path, tok, tc.body)
			if resp.StatusCode != tc.want {
				t.Errorf("%s: %s, want %d: %s", tc.name, resp.Status, tc.want, body)
			}
			mustContain(t, body, tc.words...)
		}
		_, body = h.api("GET", "/api/disruptions/"+rec.ID, "", "")
		mustContain(t, body, `"end": "2024-05-03"`, `"status": "Ended"`, `"challenged": "no"`)
		if strings.Contains(body, "Counsel advised") {
			t.Errorf("the public sees a note: %s", body)
		}

		// Import: the STOP file is the body.
		sample, _ := os.ReadFile("../disrupt/testdata/stop_sample.csv")
		importCSV := func(ct string, data []byte) (*http.Response, string) {
			req, _ := http.NewRequest("POST", h.ts.URL+"/api/disruptions/import", bytes.NewReader(data))
			req.Header.Set("Content-Type", ct)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp, readAll(t, resp)
		}
		resp, body = importCSV("text/csv; charset=utf-8", sample)
		if resp.StatusCode != 200 {
			t.Fatalf("import: %s %s", resp.Status, body)
		}
		var res struct {
			ID       string `json:"import"`
			Rows     int    `json:"rows"`
			Imported []struct {
				Line int    `json:"line"`
				ID   string `json:"id"`
			} `json:"imported"`
			Notices []struct {
				Column string `json:"column"`
			} `json:"notices"`
		}
		json.Unmarshal([]byte(body), &res)
		if res.ID == "" || res.Rows != 4 || len(res.Imported) != 4 || res.Imported[1].Line != 4 || len(res.Notices) != 1 || res.Notices[0].Column != "count_year" {
			t.Errorf("import: %s", body)
		}
		resp, body = importCSV("text/csv", []byte("start_date,end_date,country,shutdown_type\n1/1/2024,,,Shutdown\n13/1/2024,,X,Shutdown\n"))
		if resp.StatusCode != 400 {
			t.Errorf("bad rows: %s %s", resp.Status, body)
		}
		mustContain(t, body, `"line":2,"column":"country"`, `"line":3,"column":"start_date"`)
		if resp, body := importCSV("application/json", sample); resp.StatusCode != http.StatusUnsupportedMediaType {
			t.Errorf("import as JSON: %s %s", resp.Status, body)
		}
		big := append([]byte("start_date,end_date,country,shutdown_type,event\n1/1/2024,,X,Shutdown,"), bytes.Repeat([]byte("x"), disrupt.MaxSTOPBytes)...)
		if resp, body := importCSV("text/csv", big); resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("import too large: %s %s", resp.Status, shorten(body))
		}
	})
}

// TestNoTypedDisruptionTextInLog: what staff type about an order reaches
// the public log only as commitments, whether through pages or the API.
func TestNoTypedDisruptionTextInLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h, _ := newDisruptHarness(t, db)
		h.account("operator", auth.Moderator, "")
		tok := h.token(h.account("operator2", auth.Moderator, ""))
		secrets := []string{"Brigadier Kwame Mensah", "Decree 4471/Q", "+44 7700 900123", "447700900123", "kwame@example.org",
			"Harbour Ward", "SecretChat", "Judge Ines Alvarez", "Counsel Priya Nair", "Ministry of Posts and Telegraphs"}

		b := h.browser()
		b.login("operator")
		form := orderForm(b.csrf("/disruptions/new"))
		form.Set("issuing_authority", "Brigadier Kwame Mensah")
		form.Set("legal_basis", "Decree 4471/Q, sent by kwame@example.org")
		form.Set("justification", "Call +44 7700 900123")
		form.Set("regions", "Harbour Ward")
		form.Set("other_services", "SecretChat")
		id := recordByForm(t, b, form)
		resp := b.post("/disruptions/"+id+"/updates", url.Values{"csrf": {b.csrf("/disruptions/" + id)},
			"change": {"challenged"}, "answer": {"yes"}, "on": {"2024-03-02"}, "note": {"Before Judge Ines Alvarez; Counsel Priya Nair"}})
		resp.Body.Close()
		resp, body := h.api("POST", "/api/disruptions", tok, `{"country":"Ruritania","start":"2024-06-01","issuing_authority":"Ministry of Posts and Telegraphs",
			"telcos":"447700900123","regions":["Harbour Ward"],"services":["SecretChat"]}`)
		if resp.StatusCode != 201 {
			t.Fatalf("record: %s %s", resp.Status, body)
		}
		h.waitPublished()
		n := 0
		for _, e := range allEntries(t, h) {
			if !strings.Contains(e, `"disruption.`) {
				continue
			}
			n++
			low := strings.ToLower(e)
			for _, s := range secrets {
				for _, w := range strings.Fields(strings.ToLower(s)) {
					if len(w) >= 5 && strings.Contains(low, w) {
						t.Errorf("log entry holds %q (of %q): %s", w, s, e)
					}
				}
			}
			if strings.Contains(onlyDigits(e), "7700900123") {
				t.Errorf("log entry holds the phone number: %s", e)
			}
		}
		if n != 3 {
			t.Fatalf("%d disruption entries on the log, want 3", n)
		}
	})
}
