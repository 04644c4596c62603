package web_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// registerTools registers and assesses a drone camera and a crowd counter,
// and an assembly, as the people who do so in real life.
func registerTools(t *testing.T, h *harness, admin, oversight, commander auth.Account) (drone, counter assembly.Technology, asm assembly.Assembly) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	for _, n := range []assembly.NewTechnology{
		{Kind: "drone_camera", Product: "SkyEye 4", Supplier: "Aerial Ltd", Accuracy: "n/a: no analysis", DemographicErrors: "n/a: no analysis"},
		{Kind: "crowd_counting", Product: "FlowCount", Supplier: "Sensors BV"},
	} {
		tc, err := h.assemblies.RegisterTechnology(ctx, admin, n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.assemblies.RecordAssessment(ctx, oversight, tc.ID, assembly.NewAssessment{AssessedOn: now.Add(-24 * time.Hour), ExpiresOn: now.Add(365 * 24 * time.Hour), Assessor: "Institute for Human Rights", Summary: "Assessed against the UN Guiding Principles on Business and Human Rights."}); err != nil {
			t.Fatal(err)
		}
		if tc.Kind == "drone_camera" {
			drone = tc
		} else {
			counter = tc
		}
	}
	start := now.Add(48 * time.Hour).Truncate(time.Hour)
	asm, _, err := h.assemblies.Register(ctx, commander, assembly.New{Title: "Climate march", Kind: assembly.Notified, Starts: start, Ends: start.Add(6 * time.Hour), ExpectedSize: 4000})
	if err != nil {
		t.Fatal(err)
	}
	return drone, counter, asm
}

func TestRequestsThroughTheBrowser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		admin := h.account("boss", auth.Admin, "")
		over := h.account("inspector", auth.Oversight, "DPA")
		cmd := h.account("commander", auth.Commander, "Public Order Unit 3")
		h.account("judge", auth.Authorizer, "District Court")
		h.account("insider", auth.Authorizer, "Public Order Unit 3")
		h.account("other", auth.Officer, "Traffic Unit")
		drone, _, asm := registerTools(t, h, admin, over, cmd)

		c := h.browser()
		c.login("commander")
		token := c.csrf("/requests/new")
		resp := c.post("/requests", url.Values{"csrf": {token}, "assembly": {asm.ID}, "technology": {drone.ID}, "purpose": {"public_order"},
			"mode": {"untargeted"}, "concrete_indications": {"on"}, "grounds": {"A group posted plans to attack the counter-demonstration at 15:00."}, "retention_days": {"14"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/requests/req_") {
			t.Fatalf("file: %s %q", resp.Status, resp.Header.Get("Location"))
		}
		reqPath := resp.Header.Get("Location")
		status, body := c.get(reqPath)
		if status != 200 {
			t.Fatalf("request page: %d", status)
		}
		mustContain(t, body, "Waiting for a decision", "recording-needs-independent-authorization", "A/HRC/44/24 para. 35, 53(i)", "Recording participants is exceptional")

		// An authorizer of the requester's unit is told why not, and refused.
		in := h.browser()
		in.login("insider")
		_, body = in.get(reqPath)
		mustContain(t, body, "the account that asked for it, or someone in the same unit, never decides it")
		if strings.Contains(body, `action="`+reqPath+`/decision"`) {
			t.Fatal("the same-unit authorizer is offered the decision form")
		}
		resp = in.post(reqPath+"/decision", url.Values{"csrf": {in.csrf(reqPath)}, "verdict": {"approve"}, "reasons": {"I know these officers well."}})
		body = readAll(t, resp)
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("same-unit decision: %s", resp.Status)
		}

		// An officer of another unit cannot see it at all.
		o := h.browser()
		o.login("other")
		if status, _ := o.get(reqPath); status != 404 {
			t.Fatalf("another unit's officer sees the request: %d", status)
		}

		// The independent authorizer narrows and approves.
		j := h.browser()
		j.login("judge")
		_, body = j.get("/requests")
		mustContain(t, body, "Requests waiting for a decision", reqPath)
		jt := j.csrf(reqPath)
		resp = j.post(reqPath+"/decision", url.Values{"csrf": {jt}, "verdict": {"approve"}, "reasons": {"x"}})
		body = readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Give the reasons for your decision") {
			t.Fatalf("short reasons: %s", resp.Status)
		}
		resp = j.post(reqPath+"/decision", url.Values{"csrf": {jt}, "verdict": {"approve"}, "reasons": {"Concrete, specific plans; a week's retention is enough."}, "retention_days": {"7"}})
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("approve: %s", resp.Status)
		}
		_, body = c.get(reqPath)
		mustContain(t, body, "Approved", "District Court", "In force", "published")

		// The public notice, on the page and in both feeds, names no one.
		p := h.browser()
		_, body = p.get("/notices")
		mustContain(t, body, "Drone camera", "District Court")
		resp, atom := h.api("GET", "/notices.atom", "", "")
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/atom+xml") {
			t.Fatalf("atom: %s %s", resp.Status, resp.Header.Get("Content-Type"))
		}
		var feed struct {
			Entries []struct {
				Title   string `xml:"title"`
				Summary string `xml:"summary"`
				ID      string `xml:"id"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal([]byte(atom), &feed); err != nil || len(feed.Entries) != 1 || !strings.Contains(feed.Entries[0].Summary, "7 days") {
			t.Fatalf("atom feed %v: %s", err, atom)
		}
		resp, js := h.api("GET", "/notices.json", "", "")
		var jf struct {
			Version string `json:"version"`
			Items   []struct {
				ID    string `json:"id"`
				Vigil struct {
					TechnologyKind string `json:"technology_kind"`
					RetentionDays  int    `json:"retention_days"`
				} `json:"_vigil"`
			} `json:"items"`
		}
		if err := json.Unmarshal([]byte(js), &jf); err != nil || jf.Version != "https://jsonfeed.org/version/1.1" || len(jf.Items) != 1 || jf.Items[0].Vigil.RetentionDays != 7 {
			t.Fatalf("json feed %v: %s", err, js)
		}
		for _, doc := range []string{body, atom, js} {
			for _, private := range []string{"attack the counter-demonstration", "commander", "Climate march"} {
				if strings.Contains(doc, private) {
					t.Errorf("a public notice shows %q", private)
				}
			}
		}
		_, body = p.get("/technologies")
		mustContain(t, body, "SkyEye 4", "Aerial Ltd", "in force until")
	})
}

func TestRequestsThroughTheAPI(t *testing.T) {
	h := newHarness(t, storetest.SQLite(t))
	admin := h.account("boss", auth.Admin, "")
	over := h.account("inspector", auth.Oversight, "DPA")
	cmd := h.account("commander", auth.Commander, "Public Order Unit 3")
	judge := h.account("judge", auth.Authorizer, "District Court")
	rep := h.account("reporter", auth.Reporter, "")
	drone, counter, asm := registerTools(t, h, admin, over, cmd)
	ct, jt := h.token(cmd), h.token(judge)

	// Facilitation: allowed, deployed, with its event.
	resp, body := h.api("POST", "/api/requests", ct, `{"assembly":"`+asm.ID+`","technology":"`+counter.ID+`","purpose":"facilitation","mode":"untargeted","grounds":"Estimate density at the bridge to open a second route."}`)
	if resp.StatusCode != 201 || !strings.Contains(body, `"status": "allowed"`) || !strings.Contains(body, `"event":`) || !strings.Contains(body, `"deployment": {`) {
		t.Fatalf("facilitation: %s %s", resp.Status, body)
	}
	// A name where a pseudonym belongs: 400 with the reason.
	resp, body = h.api("POST", "/api/requests", ct, `{"assembly":"`+asm.ID+`","technology":"`+drone.ID+`","purpose":"investigation","mode":"targeted","targets":["Amina Haddad"],"grounds":"Because."}`)
	if resp.StatusCode != 400 || !strings.Contains(body, "pseudonymous reference") {
		t.Fatalf("named target: %s %s", resp.Status, body)
	}
	// Recording: pending, then refused by the judge.
	resp, body = h.api("POST", "/api/requests", ct, `{"assembly":"`+asm.ID+`","technology":"`+drone.ID+`","purpose":"public_order","mode":"untargeted","suspicion":{"concrete_indications":true},"grounds":"A group posted plans to attack the counter-demonstration at 15:00.","retention_days":14}`)
	var req struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Decision struct {
			Outcome string `json:"outcome"`
		} `json:"decision"`
	}
	json.Unmarshal([]byte(body), &req)
	if resp.StatusCode != 201 || req.Status != "pending" || req.Decision.Outcome != "independent_authorization" {
		t.Fatalf("recording: %s %s", resp.Status, body)
	}
	if resp, _ := h.api("POST", "/api/requests/"+req.ID+"/decision", ct, `{"approve":true,"reasons":"I approve my own request."}`); resp.StatusCode != 403 {
		t.Fatalf("commander deciding: %s", resp.Status)
	}
	if resp, _ := h.api("GET", "/api/requests/"+req.ID, h.token(rep), ""); resp.StatusCode != 403 {
		t.Fatalf("reporter reading: %s", resp.Status)
	}
	resp, body = h.api("POST", "/api/requests/"+req.ID+"/decision", jt, `{"approve":false,"reasons":"The posted plans were a joke, as the poster said."}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"status": "refused"`) {
		t.Fatalf("refuse: %s %s", resp.Status, body)
	}
	resp, body = h.api("POST", "/api/requests/"+req.ID+"/decision", jt, `{"approve":true,"reasons":"On second thoughts, approve."}`)
	if resp.StatusCode != 400 || !strings.Contains(body, "not waiting for a decision") {
		t.Fatalf("deciding twice: %s %s", resp.Status, body)
	}
	// Deployments in force; revoking one.
	resp, body = h.api("GET", "/api/deployments", jt, "")
	var deps struct {
		Deployments []struct{ ID string } `json:"deployments"`
	}
	json.Unmarshal([]byte(body), &deps)
	if resp.StatusCode != 200 || len(deps.Deployments) != 1 {
		t.Fatalf("deployments: %s", body)
	}
	resp, body = h.api("POST", "/api/deployments/"+deps.Deployments[0].ID+"/revoke", jt, `{"reason":"The march was cancelled by its organisers."}`)
	if resp.StatusCode != 200 || !strings.Contains(body, `"status": "revoked"`) {
		t.Fatalf("revoke: %s %s", resp.Status, body)
	}
	// The technology register is public.
	resp, body = h.api("GET", "/api/technologies", "", "")
	if resp.StatusCode != 200 || !strings.Contains(body, "SkyEye 4") || !strings.Contains(body, "Institute for Human Rights") {
		t.Fatalf("technologies: %s %s", resp.Status, body)
	}
	resp, body = h.api("POST", "/api/technologies", h.token(rep), `{"kind":"cctv","product":"x","supplier":"y"}`)
	if resp.StatusCode != 403 {
		t.Fatalf("reporter registering: %s %s", resp.Status, body)
	}
}

// TestIssue3Promises checks, through the JSON API, what the capability
// promises: facial recognition of participants is refused whoever asks,
// with its citation; a targeted, judicially authorized request runs,
// expires by itself and shows its notice; nobody approves their own
// request, not even after becoming an authorizer.
func TestIssue3Promises(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHarness(t, db)
		admin := h.account("boss", auth.Admin, "")
		over := h.account("inspector", auth.Oversight, "DPA")
		cmd := h.account("commander", auth.Commander, "Public Order Unit 3")
		off := h.account("officer", auth.Officer, "Traffic Unit")
		judge := h.account("judge", auth.Authorizer, "District Court")
		_, _, asm := registerTools(t, h, admin, over, cmd)
		now := time.Now().UTC()
		register := func(n assembly.NewTechnology) assembly.Technology {
			tc, err := h.assemblies.RegisterTechnology(ctx, admin, n)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.assemblies.RecordAssessment(ctx, over, tc.ID, assembly.NewAssessment{AssessedOn: now.Add(-time.Hour), ExpiresOn: now.Add(24 * time.Hour), Assessor: "Institute", Summary: "Assessed with safeguards in place for this use."}); err != nil {
				t.Fatal(err)
			}
			return tc
		}
		frt := register(assembly.NewTechnology{Kind: "facial_recognition", Product: "FaceMatch", Supplier: "Biometrix", Accuracy: "FNMR 0.3%", DemographicErrors: "published"})
		tap := register(assembly.NewTechnology{Kind: "lawful_interception", Product: "Intercept", Supplier: "Telco"})

		// Facial recognition of participants, asked by a commander or an
		// officer, live or not: refused, citing para. 53(h).
		for _, who := range []auth.Account{cmd, off} {
			resp, body := h.api("POST", "/api/requests", h.token(who), `{"assembly":"`+asm.ID+`","technology":"`+frt.ID+`","purpose":"public_order","mode":"untargeted","grounds":"Identify known troublemakers in the crowd as they arrive."}`)
			if resp.StatusCode != 201 || !strings.Contains(body, `"status": "denied"`) || !strings.Contains(body, `"rule": "no-facial-recognition-of-participants"`) || !strings.Contains(body, `"source": "A/HRC/44/24 para. 53(h); UN toolkit for law enforcement (2024)"`) {
				t.Fatalf("facial recognition asked by %s: %s %s", who.Role, resp.Status, body)
			}
		}

		// A targeted interception on reasonable suspicion of a serious
		// offence needs a judge; approved, it runs, then ends by itself.
		start := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
		end := time.Now().UTC().Add(2 * time.Second)
		resp, body := h.api("POST", "/api/requests", h.token(cmd), `{"assembly":"`+asm.ID+`","technology":"`+tap.ID+`","purpose":"investigation","mode":"targeted","targets":["subj_7f3k2q9x"],
			"suspicion":{"reasonable":true,"serious_offence":true},"legal_basis":"Code of Criminal Procedure art. 126m",
			"grounds":"Messages seized on 28 November show this person buying materials for an explosive device.",
			"starts":"`+start.Format(time.RFC3339)+`","ends":"`+end.Format(time.RFC3339Nano)+`","retention_days":30}`)
		var req struct {
			ID       string `json:"id"`
			Status   string `json:"status"`
			Decision struct {
				Outcome string `json:"outcome"`
			} `json:"decision"`
		}
		json.Unmarshal([]byte(body), &req)
		if resp.StatusCode != 201 || req.Status != "pending" || req.Decision.Outcome != "judicial_authorization" {
			t.Fatalf("targeted interception: %s %s", resp.Status, body)
		}

		// Self-approval: the commander, made an authorizer, still cannot
		// decide the request they filed.
		if _, err := h.auth.SetRole(ctx, admin.Actor(), cmd.ID, auth.Authorizer); err != nil {
			t.Fatal(err)
		}
		cmd, _ = h.auth.Get(ctx, cmd.ID)
		resp, body = h.api("POST", "/api/requests/"+req.ID+"/decision", h.token(cmd), `{"approve":true,"reasons":"I asked for it and I approve it."}`)
		if resp.StatusCode != 403 || !strings.Contains(body, "never decides it") {
			t.Fatalf("self-approval: %s %s", resp.Status, body)
		}

		resp, body = h.api("POST", "/api/requests/"+req.ID+"/decision", h.token(judge), `{"approve":true,"reasons":"Specific evidence of preparing a serious offence; targeted at one person."}`)
		if resp.StatusCode != 200 || !strings.Contains(body, `"status": "approved"`) || !strings.Contains(body, `"status": "active"`) {
			t.Fatalf("judicial approval: %s %s", resp.Status, body)
		}
		notices, err := h.assemblies.Notices(ctx, 10)
		if err != nil || len(notices) != 1 || notices[0].TechnologyKind != "lawful_interception" || notices[0].Authority != "District Court" || notices[0].DeploymentStatus != "active" {
			t.Fatalf("notice: %+v %v", notices, err)
		}
		time.Sleep(time.Until(end) + 100*time.Millisecond)
		if _, err := h.assemblies.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		resp, body = h.api("GET", "/api/requests/"+req.ID, h.token(judge), "")
		if resp.StatusCode != 200 || !strings.Contains(body, `"status": "ended"`) {
			t.Fatalf("after its window: %s %s", resp.Status, body)
		}
		c := h.browser()
		_, page := c.get("/notices/" + notices[0].ID)
		mustContain(t, page, "Lawful interception", "District Court", "Ended", "30 days")
		if strings.Contains(page, "subj_7f3k2q9x") || strings.Contains(page, "explosive") {
			t.Fatal("the notice shows the target or the grounds")
		}
	})
}
