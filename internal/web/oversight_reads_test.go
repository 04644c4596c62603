package web_test

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
	"github.com/vigil-project/vigil/internal/vault"
)

type readsJSON struct {
	Reads []struct {
		ID          int64     `json:"id"`
		Time        time.Time `json:"time"`
		Item        string    `json:"item"`
		Account     string    `json:"account"`
		Username    string    `json:"username"`
		DisplayName string    `json:"display_name"`
		Role        string    `json:"role"`
		Action      string    `json:"action"`
		Purpose     string    `json:"purpose"`
		Basis       struct {
			Kind string `json:"kind"`
			Ref  string `json:"ref"`
		} `json:"basis"`
		CaseReference string `json:"case_reference"`
	} `json:"reads"`
	Next string `json:"next"`
}

func (r readsJSON) purposes() []string {
	var out []string
	for _, a := range r.Reads {
		out = append(out, a.Purpose)
	}
	return out
}

var olderLink = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)

// TestOversightReads: a commander reads an officer's clip for a case, a
// victim reads her own screenshot, and an authority abroad downloads the
// clip through a share; oversight's register, as a page and as JSON, has
// the three reads with who made them, filters and pages them, and explains
// a filter it cannot use; nobody else gets the register.
func TestOversightReads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		officer := h.token(h.account("olga", auth.Officer, "Station 4"))
		commander := h.token(h.account("cora", auth.Commander, "Public Order Unit 3"))
		rita := h.account("rita", auth.Reporter, "")
		reporter := h.token(rita)
		oversight := h.token(h.account("ines", auth.Oversight, "DPA"))
		admin := h.token(h.account("amira", auth.Admin, "HQ"))
		start := time.Now().UTC()

		// The commander reads the officer's clip for an investigation.
		resp, clip, body := h.upload(officer, "video/mp4", fakeMP4(t, 64<<10), map[string]string{vault.MetaClass: "bodycam", vault.MetaPurpose: "Arrest at the bridge"})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
		var inv struct {
			ID string `json:"id"`
		}
		h.mustJSON("POST", "/api/cases", commander, `{"kind":"investigation","reference":"INV-2026/300"}`, 201, &inv)
		h.mustJSON("POST", "/api/cases/"+inv.ID+"/holds", commander, jsonBody(map[string]any{"item": clip.Item.ID, "until": time.Now().AddDate(1, 0, 0), "reason": "The arrest is contested"}), 201, nil)
		h.mustJSON("POST", "/api/items/"+clip.Item.ID+"/access", commander, jsonBody(map[string]any{"action": "view", "purpose": "Review the arrest",
			"basis": map[string]string{"kind": "case", "ref": inv.ID}}), 200, nil)
		time.Sleep(2 * time.Millisecond)
		mark := time.Now().UTC()

		// The victim reads her own screenshot.
		resp, shot, body := h.upload(reporter, "image/png", screenshot(t), map[string]string{vault.MetaClass: "report", vault.MetaPurpose: "Threats sent to me on a messenger"})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
		h.mustJSON("POST", "/api/items/"+shot.Item.ID+"/access", reporter, jsonBody(map[string]any{"action": "view", "purpose": "Check what I sent",
			"basis": map[string]string{"kind": "submitter"}}), 200, nil)

		// An authority abroad downloads the clip through a share: a read by
		// no account.
		var sh struct {
			Share struct {
				ID string `json:"id"`
			} `json:"share"`
			Token string `json:"token"`
		}
		h.mustJSON("POST", "/api/cases/"+inv.ID+"/shares", commander, jsonBody(map[string]any{"items": []string{clip.Item.ID}, "recipient": "Public Prosecutor, Lyon",
			"legal_basis": "European Investigation Order 2026/77", "purpose": "Prosecution of the assault", "expires": time.Now().AddDate(0, 0, 14)}), 201, &sh)
		resp, err := http.Get(h.ts.URL + "/shares/" + sh.Token + "/bundle.zip")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("share download: %d", resp.StatusCode)
		}

		// The register, newest first, with who read.
		var all readsJSON
		h.mustJSON("GET", "/api/reads", oversight, "", 200, &all)
		if got := strings.Join(all.purposes(), " | "); got != "Prosecution of the assault | Check what I sent | Review the arrest" {
			t.Fatalf("the register's reads: %s", got)
		}
		share, own, cases := all.Reads[0], all.Reads[1], all.Reads[2]
		if share.Role != vault.RecipientRole || share.Account != "" || share.Username != "" || share.Action != "download" || share.Basis.Kind != "share" ||
			share.Basis.Ref != sh.Share.ID || share.Item != clip.Item.ID {
			t.Errorf("the share's read: %+v", share)
		}
		if own.Role != "reporter" || own.Account != rita.ID || own.Username != "rita" || own.DisplayName != "Test rita" || own.Basis.Kind != "submitter" || own.Item != shot.Item.ID {
			t.Errorf("the victim's read: %+v", own)
		}
		if cases.Role != "commander" || cases.Username != "cora" || cases.DisplayName != "Test cora" || cases.Basis.Ref != inv.ID || cases.CaseReference != "INV-2026/300" ||
			cases.Time.Before(start) || !cases.Time.Before(mark) {
			t.Errorf("the commander's read: %+v", cases)
		}
		if all.Next != "" {
			t.Errorf("one page of three has a next page: %q", all.Next)
		}

		// Filters.
		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
		longAgo := start.AddDate(0, 0, -2).Format("2006-01-02")
		for _, tc := range []struct {
			query string
			want  string
		}{
			{"role=commander", "Review the arrest"},
			{"role=recipient", "Prosecution of the assault"},
			{"action=download", "Prosecution of the assault"},
			{"basis=submitter", "Check what I sent"},
			{"basis=case", "Review the arrest"},
			{"item=" + clip.Item.ID, "Prosecution of the assault | Review the arrest"},
			{"username=cora", "Review the arrest"},
			{"username=+Rita+", "Check what I sent"},
			{"account=" + rita.ID, "Check what I sent"},
			{"from=" + url.QueryEscape(mark.Format(time.RFC3339Nano)), "Prosecution of the assault | Check what I sent"},
			{"to=" + url.QueryEscape(mark.Format(time.RFC3339Nano)), "Review the arrest"},
			{"from=" + start.Format("2006-01-02") + "&to=" + tomorrow, "Prosecution of the assault | Check what I sent | Review the arrest"},
			{"from=" + tomorrow, ""},
			{"to=" + longAgo, ""},
			{"item=" + clip.Item.ID + "&role=reporter", ""},
		} {
			t.Run(tc.query, func(t *testing.T) {
				var got readsJSON
				h.mustJSON("GET", "/api/reads?"+tc.query, oversight, "", 200, &got)
				if s := strings.Join(got.purposes(), " | "); s != tc.want {
					t.Errorf("got %q, want %q", s, tc.want)
				}
			})
		}

		// Pages of one, by ID, keep their filters and end exactly.
		var p1, p2 readsJSON
		h.mustJSON("GET", "/api/reads?limit=1&item="+clip.Item.ID, oversight, "", 200, &p1)
		if len(p1.Reads) != 1 || p1.Reads[0].ID != share.ID || !strings.HasPrefix(p1.Next, "/api/reads?") ||
			!strings.Contains(p1.Next, "item="+clip.Item.ID) || !strings.Contains(p1.Next, "before="+strconv.FormatInt(share.ID, 10)) {
			t.Fatalf("first page: %+v", p1)
		}
		h.mustJSON("GET", p1.Next, oversight, "", 200, &p2)
		if len(p2.Reads) != 1 || p2.Reads[0].ID != cases.ID || p2.Next != "" {
			t.Errorf("second page: %+v", p2)
		}

		// Filters that make no sense are refused, and say why.
		roles := "reporter, flagger, monitor, officer, commander, authorizer, moderator, oversight, admin, recipient"
		for _, tc := range []struct {
			query, want string
		}{
			{"role=sheriff", msgEN(t, "vault.read_role", "role", "sheriff", "roles", roles)},
			{"action=peek", msgEN(t, "vault.action", "action", "peek")},
			{"basis=hunch", msgEN(t, "vault.read_basis", "basis", "hunch")},
			{"from=23%2F11%2F2026", msgEN(t, "reads.bad_from", "value", "23/11/2026")},
			{"to=yesterday", msgEN(t, "reads.bad_to", "value", "yesterday")},
			{"from=" + tomorrow + "&to=" + longAgo, msgEN(t, "vault.read_period")},
			{"before=abc", msgEN(t, "reads.bad_before")},
			{"limit=501", msgEN(t, "evidence.bad_limit", "max", 500)},
			{"username=nobody", msgEN(t, "cases.no_such_account")},
			{"username=cora&account=" + rita.ID, msgEN(t, "reads.bad_reader")},
		} {
			t.Run(tc.query, func(t *testing.T) {
				resp, body := h.api("GET", "/api/reads?"+tc.query, oversight, "")
				if resp.StatusCode != http.StatusBadRequest || problemDetail(t, body) != tc.want {
					t.Errorf("%d %s, want 400 %q", resp.StatusCode, body, tc.want)
				}
			})
		}

		// Only oversight: the police, the administrator and the signed-out
		// get nothing.
		for name, token := range map[string]string{"commander": commander, "admin": admin, "reporter": reporter} {
			resp, body := h.api("GET", "/api/reads", token, "")
			if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "Review the arrest") {
				t.Errorf("%s: %d %s", name, resp.StatusCode, body)
			}
		}
		if resp, _ := h.api("GET", "/api/reads", "", ""); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("no token: %d", resp.StatusCode)
		}

		// The page.
		ines := h.browser()
		ines.login("ines")
		status, page := ines.get("/oversight/reads")
		if status != 200 {
			t.Fatalf("the register's page: %d %s", status, shorten(page))
		}
		mustContain(t, page, "Test cora", "Test rita", msgEN(t, "role.recipient"), msgEN(t, "role.commander"), "Review the arrest", "Check what I sent",
			"Prosecution of the assault", `href="/vault/items/`+clip.Item.ID+`"`, `href="/vault/items/`+shot.Item.ID+`"`,
			`href="/cases/`+inv.ID+`">INV-2026/300</a>`, sh.Share.ID, msgEN(t, "evidence.action.download"), html.EscapeString(msgEN(t, "evidence.basis.submitter")),
			`href="/oversight/reads?username=cora"`, `<form method="get" action="/oversight/reads"`, `aria-current="page">`+msgEN(t, "nav.reads")+`</a>`)
		if strings.Contains(page, `rel="next"`) {
			t.Error("one page of three links to older reads")
		}
		_, dash := ines.get("/dashboard")
		mustContain(t, dash, `href="/oversight/reads"`)
		status, page = ines.get("/oversight/reads?role=commander&basis=case")
		if status != 200 || !strings.Contains(page, "Review the arrest") || strings.Contains(page, "Check what I sent") || !strings.Contains(page, `<option value="commander" selected>`) {
			t.Errorf("the page, filtered: %d %s", status, shorten(page))
		}
		status, page = ines.get("/oversight/reads?item=itm_none")
		if status != 200 || !strings.Contains(page, msgEN(t, "reads.none")) {
			t.Errorf("the page, matching nothing: %d %s", status, shorten(page))
		}
		// Paged, with the filters kept: the older link leads to the rest.
		status, page = ines.get("/oversight/reads?limit=1&item=" + clip.Item.ID)
		m := olderLink.FindStringSubmatch(page)
		if status != 200 || m == nil || !strings.Contains(page, "Prosecution of the assault") || strings.Contains(page, "Review the arrest") {
			t.Fatalf("the first page of one: %d %s", status, shorten(page))
		}
		status, page = ines.get(html.UnescapeString(m[1]))
		if status != 200 || !strings.Contains(page, "Review the arrest") || strings.Contains(page, "Prosecution of the assault") || strings.Contains(page, `rel="next"`) {
			t.Errorf("the older page %s: %d %s", m[1], status, shorten(page))
		}
		// A bad filter: the form again, with what is wrong, and no reads.
		for query, want := range map[string]string{
			"role=sheriff":    msgEN(t, "vault.read_role", "role", "sheriff", "roles", roles),
			"from=2026-13-45": msgEN(t, "reads.bad_from", "value", "2026-13-45"),
		} {
			status, page = ines.get("/oversight/reads?" + query)
			if status != http.StatusBadRequest || !strings.Contains(page, `<p class="error" role="alert">`+html.EscapeString(want)) ||
				!strings.Contains(page, `action="/oversight/reads"`) || strings.Contains(page, "Review the arrest") {
				t.Errorf("%s: %d %s", query, status, shorten(page))
			}
		}

		// Nobody else gets the page, or a link to it.
		h.account("carl", auth.Commander, "Public Order Unit 3")
		carl := h.browser()
		carl.login("carl")
		status, page = carl.get("/oversight/reads")
		if status != http.StatusForbidden || strings.Contains(page, "Review the arrest") {
			t.Errorf("a commander's view of the register: %d", status)
		}
		if _, dash := carl.get("/dashboard"); strings.Contains(dash, "/oversight/reads") {
			t.Error("a commander's dashboard links to the register")
		}
		if status, _ := h.browser().get("/oversight/reads"); status != http.StatusSeeOther {
			t.Errorf("signed out: %d, want a redirect to sign in", status)
		}
	})
}
