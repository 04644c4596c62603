package assembly

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/policy"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// world is a register with a policy engine, accounts for each part, a
// clock the test moves, an assembly and a few technologies.
type world struct {
	t                                  *testing.T
	s                                  *Service
	db                                 *store.DB
	now                                time.Time
	admin, commander, officer, judge   auth.Account
	sameUnitJudge, oversight, reporter auth.Account
	asm                                Assembly
	drone, counter, frt, cam           Technology
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	outbox := ledger.NewOutbox()
	stack, err := policy.Stack(policy.DefaultPack)
	if err != nil {
		t.Fatal(err)
	}
	engine, err := policy.NewEngine(stack, policy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, db: db, now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	w.s = NewService(db, outbox, Options{Policy: engine, DataContact: "https://police.example/your-data"})
	w.s.now = func() time.Time { return w.now }
	as := auth.New(db, outbox, auth.Config{Params: auth.Params{Memory: 1024, Time: 1, Threads: 1}})
	mk := func(name string, role auth.Role, unit string) auth.Account {
		a, _, err := as.Create(ctx, ledger.System, auth.NewAccount{Username: name, Role: role, Unit: unit})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	w.admin = mk("admin", auth.Admin, "")
	w.commander = mk("commander", auth.Commander, "Public Order Unit 3")
	w.officer = mk("officer", auth.Officer, "Public Order Unit 3")
	w.judge = mk("judge", auth.Authorizer, "District Court")
	w.sameUnitJudge = mk("insider", auth.Authorizer, "Public Order Unit 3")
	w.oversight = mk("inspector", auth.Oversight, "DPA")
	w.reporter = mk("reporter", auth.Reporter, "")
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	w.asm, _, err = w.s.Register(ctx, w.commander, New{Title: "Climate march", Kind: Notified, Starts: start, Ends: start.Add(8 * time.Hour), ExpectedSize: 5000,
		Area: `{"type":"Polygon","coordinates":[[[4.8910,52.3730],[4.8930,52.3730],[4.8930,52.3740],[4.8910,52.3740],[4.8910,52.3730]]]}`})
	if err != nil {
		t.Fatal(err)
	}
	tech := func(n NewTechnology) Technology {
		tc, err := w.s.RegisterTechnology(ctx, w.admin, n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.RecordAssessment(ctx, w.oversight, tc.ID, NewAssessment{AssessedOn: w.now.Add(-30 * 24 * time.Hour), ExpiresOn: w.now.Add(300 * 24 * time.Hour), Assessor: "Institute for Human Rights", Summary: "Assessed against the UN Guiding Principles; safeguards in place."}); err != nil {
			t.Fatal(err)
		}
		return tc
	}
	w.drone = tech(NewTechnology{Kind: "drone_camera", Product: "SkyEye 4", Supplier: "Aerial Ltd", Accuracy: "n/a", DemographicErrors: "n/a"})
	w.counter = tech(NewTechnology{Kind: "crowd_counting", Product: "FlowCount", Supplier: "Sensors BV"})
	w.frt = tech(NewTechnology{Kind: "facial_recognition", Product: "FaceMatch", Supplier: "Biometrix", Accuracy: "FNMR 0.3% at FMR 0.1%", DemographicErrors: "published by NIST FRVT"})
	w.cam = tech(NewTechnology{Kind: "body_camera", Product: "BodyCam 2", Supplier: "Axon"})
	return w
}

const grounds = "A group posted plans to attack the counter-demonstration with bottles at 15:00."

func (w *world) file(by auth.Account, n NewRequest) Request {
	w.t.Helper()
	r, _, err := w.s.FileRequest(context.Background(), by, n)
	if err != nil {
		w.t.Fatalf("FileRequest: %v", err)
	}
	return r
}

func TestRequestLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)

		// Facilitation needs no authorization: deployed at once, with a notice.
		r := w.file(w.commander, NewRequest{AssemblyID: w.asm.ID, TechnologyID: w.counter.ID, Purpose: "facilitation", Mode: "untargeted", Grounds: "Estimate density at the bridge to open a second route."})
		if r.Status != Allowed || r.Decision.Outcome != policy.Allowed {
			t.Fatalf("facilitation: %s / %s %v", r.Status, r.Decision.Outcome, r.Decision.Rules())
		}
		dep, err := w.s.DeploymentOf(ctx, r.ID)
		if err != nil || dep.Status != Active || !dep.Starts.Equal(w.asm.Starts) || !dep.Ends.Equal(w.asm.Ends) {
			t.Fatalf("deployment %+v, %v", dep, err)
		}
		notices, _ := w.s.Notices(ctx, 10)
		if len(notices) != 1 || notices[0].TechnologyKind != "crowd_counting" || notices[0].Contact != "https://police.example/your-data" || notices[0].Authority != "policy" {
			t.Fatalf("notices %+v", notices)
		}

		// Facial recognition of participants: denied, stops there.
		r = w.file(w.commander, NewRequest{AssemblyID: w.asm.ID, TechnologyID: w.frt.ID, Purpose: "public_order", Mode: "untargeted", Grounds: grounds})
		if r.Status != Denied || !contains(r.Decision.Rules(), "no-facial-recognition-of-participants") {
			t.Fatalf("frt: %s %v", r.Status, r.Decision.Rules())
		}
		if _, err := w.s.DeploymentOf(ctx, r.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a denied request was deployed: %v", err)
		}
		if _, err := w.s.Decide(ctx, w.judge, r.ID, Verdict{Approve: true, Reasons: "I approve it anyway."}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("approving a denied request: %v", err)
		}

		// Recording on concrete indications: waits for an independent authorizer.
		r = w.file(w.officer, NewRequest{AssemblyID: w.asm.ID, TechnologyID: w.drone.ID, Purpose: "public_order", Mode: "untargeted",
			Suspicion: policy.Suspicion{ConcreteIndications: true}, Grounds: grounds, RetentionDays: 14})
		if r.Status != Pending || r.Decision.Outcome != policy.NeedsIndependent {
			t.Fatalf("drone: %s %s %v", r.Status, r.Decision.Outcome, r.Decision.Rules())
		}
		queue, _ := w.s.Requests(ctx, RequestQuery{Status: []string{Pending, Urgent}})
		if len(queue) != 1 || queue[0].ID != r.ID {
			t.Fatalf("queue %v", queue)
		}
		// Nobody decides what they or their unit asked for.
		if _, err := w.s.Decide(ctx, w.sameUnitJudge, r.ID, Verdict{Approve: true, Reasons: "Looks fine to me."}); !errors.Is(err, auth.ErrSameUnit) {
			t.Fatalf("same-unit authorizer: %v", err)
		}
		if _, err := w.s.Decide(ctx, w.commander, r.ID, Verdict{Approve: true, Reasons: "Looks fine to me."}); !errors.Is(err, ErrForbidden) {
			t.Fatalf("commander deciding: %v", err)
		}
		if _, err := w.s.Decide(ctx, w.judge, r.ID, Verdict{Approve: true, Reasons: "ok"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("reasons too short: %v", err)
		}
		// Narrowing: a shorter window and retention.
		narrowEnd := w.asm.Starts.Add(4 * time.Hour)
		seven := 7
		r, err = w.s.Decide(ctx, w.judge, r.ID, Verdict{Approve: true, Reasons: "Only the first four hours and a week's retention are necessary.", Ends: narrowEnd, RetentionDays: &seven})
		if err != nil || r.Status != Approved {
			t.Fatalf("approve: %v %s", err, r.Status)
		}
		dep, _ = w.s.DeploymentOf(ctx, r.ID)
		if !dep.Ends.Equal(narrowEnd) || dep.RetentionDays != 7 {
			t.Fatalf("narrowed deployment %+v", dep)
		}
		if in, days, err := w.s.DeploymentInForce(ctx, dep.ID, dep.Starts.Add(time.Minute)); !in || days != 7 || err != nil {
			t.Errorf("a deployment in its window: %v, %d, %v", in, days, err)
		}
		if in, _, _ := w.s.DeploymentInForce(ctx, dep.ID, dep.Ends); in {
			t.Error("a deployment in force at its end")
		}
		auth1, err := w.s.AuthorizationOf(ctx, r.ID)
		if err != nil || !auth1.Approved || auth1.Authority != "District Court" {
			t.Fatalf("authorization %+v %v", auth1, err)
		}
		if _, err := w.s.Decide(ctx, w.judge, r.ID, Verdict{Approve: false, Reasons: "Changed my mind about it."}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("deciding twice: %v", err)
		}
		seventeen := 17
		r2 := w.file(w.officer, NewRequest{AssemblyID: w.asm.ID, TechnologyID: w.drone.ID, Purpose: "public_order", Mode: "untargeted",
			Suspicion: policy.Suspicion{ConcreteIndications: true}, Grounds: grounds, RetentionDays: 14})
		if _, err := w.s.Decide(ctx, w.judge, r2.ID, Verdict{Approve: true, Reasons: "Longer than asked for, please.", RetentionDays: &seventeen}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("widening retention: %v", err)
		}
		if _, err := w.s.Decide(ctx, w.judge, r2.ID, Verdict{Approve: false, Reasons: "The indications are not concrete enough."}); err != nil {
			t.Fatal(err)
		}

		// Revocation ends a deployment early; time ends the others.
		if err := w.s.Revoke(ctx, w.reporter, dep.ID, "I do not like drones at all."); !errors.Is(err, ErrForbidden) {
			t.Fatalf("reporter revoking: %v", err)
		}
		if err := w.s.Revoke(ctx, w.oversight, dep.ID, "The threat has passed; stop recording."); err != nil {
			t.Fatal(err)
		}
		if dep, _ = w.s.DeploymentOf(ctx, r.ID); dep.Status != Revoked {
			t.Fatalf("revoked deployment %+v", dep)
		}
		// In force within its window until revoked, not after: revoked
		// before it started, never.
		if !dep.EndedAt.Before(dep.Starts) {
			t.Fatalf("the test expects a revocation before the start: %+v", dep)
		}
		for _, tc := range []struct {
			at   time.Time
			want bool
		}{
			{dep.EndedAt.Add(-time.Second), false},
			{dep.Starts, false},
			{dep.Ends.Add(-time.Second), false},
		} {
			in, days, err := w.s.DeploymentInForce(ctx, dep.ID, tc.at)
			if err != nil || in != tc.want || days != 7 {
				t.Errorf("DeploymentInForce(%v) = %v, %d, %v; want %v, 7", tc.at, in, days, err, tc.want)
			}
		}
		if in, _, err := w.s.DeploymentInForce(ctx, "dep_unknown", dep.Starts); in || err != nil {
			t.Errorf("an unknown deployment in force: %v, %v", in, err)
		}
		w.now = w.asm.Ends.Add(time.Minute)
		n, err := w.s.Sweep(ctx)
		if err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		if n, _ := w.s.Sweep(ctx); n != 0 {
			t.Fatalf("a second sweep changed %d things", n)
		}
		active, _ := w.s.ActiveDeployments(ctx)
		if len(active) != 0 {
			t.Fatalf("still active: %+v", active)
		}
		// Every step is an event.
		for _, want := range []string{"request.filed", "request.decided", "deployment.started", "deployment.ended", "notice.created"} {
			var k int
			db.QueryRow(ctx, "SELECT COUNT(*) FROM events WHERE type = ?", want).Scan(&k)
			if k == 0 {
				t.Errorf("no %s event", want)
			}
		}
		// Nothing private in the public entries of requests.
		rows, _ := db.Query(ctx, "SELECT entry FROM events WHERE type LIKE 'request.%' OR type LIKE 'deployment.%' OR type LIKE 'notice.%'")
		for rows.Next() {
			var e []byte
			rows.Scan(&e)
			if strings.Contains(string(e), "bottles") || strings.Contains(string(e), "Longer than") {
				t.Errorf("entry holds free text: %s", e)
			}
		}
		rows.Close()
	})
}

func TestUrgentUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := newWorld(t, db)
		urgent := NewRequest{AssemblyID: w.asm.ID, TechnologyID: w.drone.ID, Purpose: "public_order", Mode: "untargeted", Urgent: true,
			Suspicion: policy.Suspicion{ConcreteIndications: true}, Grounds: grounds, RetentionDays: 14}
		// Not reviewed in time: it stops by itself, captures to be deleted.
		r := w.file(w.commander, urgent)
		if r.Status != Urgent {
			t.Fatalf("urgent: %s", r.Status)
		}
		dep, _ := w.s.DeploymentOf(ctx, r.ID)
		if dep.Status != Active || dep.ReviewBy == nil || !dep.ReviewBy.Equal(w.now.Add(24*time.Hour)) {
			t.Fatalf("urgent deployment %+v", dep)
		}
		w.now = w.now.Add(23 * time.Hour)
		w.s.Sweep(ctx)
		if dep, _ = w.s.DeploymentOf(ctx, r.ID); dep.Status != Active {
			t.Fatal("urgent use stopped before its review time")
		}
		w.now = w.now.Add(2 * time.Hour)
		w.s.Sweep(ctx)
		if dep, _ = w.s.DeploymentOf(ctx, r.ID); dep.Status != Stopped {
			t.Fatalf("unreviewed urgent use still %s", dep.Status)
		}
		if in, _, _ := w.s.DeploymentInForce(ctx, dep.ID, dep.Starts.Add(time.Minute)); in {
			t.Error("a stopped deployment is a basis for captures and reads")
		}
		if r, _ = w.s.GetRequest(ctx, r.ID); r.Status != Lapsed {
			t.Fatalf("request %s", r.Status)
		}
		evs, err := ledger.List(ctx, db, ledger.Query{Subject: "request:" + r.ID})
		if err != nil || len(evs) == 0 || evs[0].Type != "deployment.ended" || !strings.Contains(string(evs[0].Entry), `"captures_to_delete":true`) {
			t.Fatalf("lapse did not schedule deletion: %v", evs)
		}
		// Refused during urgent use: it stops at once.
		w.now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
		r = w.file(w.commander, urgent)
		if _, err := w.s.Decide(ctx, w.judge, r.ID, Verdict{Approve: false, Reasons: "No concrete indications were shown."}); err != nil {
			t.Fatal(err)
		}
		if dep, _ = w.s.DeploymentOf(ctx, r.ID); dep.Status != Stopped || dep.EndReason == "" {
			t.Fatalf("refused urgent use: %+v", dep)
		}
		// Approved in time: it goes on, no longer under review.
		r = w.file(w.commander, urgent)
		if _, err := w.s.Decide(ctx, w.judge, r.ID, Verdict{Approve: true, Reasons: "The posted plans are concrete and specific."}); err != nil {
			t.Fatal(err)
		}
		if dep, _ = w.s.DeploymentOf(ctx, r.ID); dep.Status != Active || dep.ReviewBy != nil {
			t.Fatalf("approved urgent use: %+v", dep)
		}
	})
}

func TestRequestRules(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	w := newWorld(t, db)
	if _, _, err := w.s.FileRequest(ctx, w.reporter, NewRequest{TechnologyID: w.counter.ID}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("a reporter filing: %v", err)
	}
	if _, _, err := w.s.FileRequest(ctx, w.commander, NewRequest{TechnologyID: "tec_nope", Purpose: "facilitation"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown technology: %v", err)
	}
	if _, _, err := w.s.FileRequest(ctx, w.commander, NewRequest{AssemblyID: w.asm.ID, TechnologyID: w.drone.ID, Purpose: "investigation", Mode: "targeted", Targets: []string{"Amina Haddad"}, Grounds: grounds}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a name as a target: %v", err)
	}
	// A notice may be delayed only for covert use, and only as long as the packs allow.
	if _, _, err := w.s.FileRequest(ctx, w.commander, NewRequest{AssemblyID: w.asm.ID, TechnologyID: w.counter.ID, Purpose: "facilitation", Mode: "untargeted", Grounds: grounds, NoticeDelayDays: 5, NoticeDelayReason: "Telling would warn the suspects of the operation."}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("delaying an overt use's notice: %v", err)
	}
	// Without an assembly, a bounded area and a short window stand in.
	start := time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC)
	r := w.file(w.commander, NewRequest{TechnologyID: w.counter.ID, Purpose: "facilitation", Mode: "untargeted", Grounds: "Count people at the station square during the celebrations.",
		Starts: start, Ends: start.Add(8 * time.Hour), Area: `{"type":"Polygon","coordinates":[[[4.8990,52.3780],[4.9010,52.3780],[4.9010,52.3790],[4.8990,52.3790],[4.8990,52.3780]]]}`})
	if r.Status != Allowed || !r.Body.Area.Bounded || r.Body.Area.SquareMetres < 10000 || r.Body.Area.SquareMetres > 20000 {
		t.Fatalf("area instead of assembly: %s %+v", r.Status, r.Body.Area)
	}
	// No area and no assembly: a blanket request is denied.
	r = w.file(w.commander, NewRequest{TechnologyID: w.counter.ID, Purpose: "facilitation", Mode: "untargeted", Grounds: "Count people wherever they gather this month.", Starts: start, Ends: start.Add(8 * time.Hour)})
	if r.Status != Denied || !contains(r.Decision.Rules(), "no-blanket-authorization") {
		t.Fatalf("blanket: %s %v", r.Status, r.Decision.Rules())
	}
	// A technology without a current assessment is refused.
	bare, err := w.s.RegisterTechnology(ctx, w.admin, NewTechnology{Kind: "crowd_counting", Product: "NewCount", Supplier: "Startup"})
	if err != nil {
		t.Fatal(err)
	}
	r = w.file(w.commander, NewRequest{AssemblyID: w.asm.ID, TechnologyID: bare.ID, Purpose: "facilitation", Mode: "untargeted", Grounds: "Estimate density at the bridge to open a second route."})
	if r.Status != Denied || !contains(r.Decision.Rules(), "due-diligence-assessment") {
		t.Fatalf("unassessed: %s %v", r.Status, r.Decision.Rules())
	}
}

func TestTechnologyRegister(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	w := newWorld(t, db)
	// A kind's properties cannot be registered away.
	imsi, err := w.s.RegisterTechnology(ctx, w.admin, NewTechnology{Kind: "imsi_catcher", Product: "Stingray", Supplier: "Harris", Properties: Properties{}})
	if err != nil || !imsi.Properties.CapturesAllInRange {
		t.Fatalf("imsi catcher %+v %v", imsi.Properties, err)
	}
	for name, n := range map[string]NewTechnology{
		"unknown kind":        {Kind: "mind_reader", Product: "x", Supplier: "y"},
		"no supplier":         {Kind: "cctv", Product: "x"},
		"weapon without type": {Kind: "less_lethal", Product: "x", Supplier: "y"},
		"type for a camera":   {Kind: "cctv", Product: "x", Supplier: "y", Weapon: "baton"},
		"bad document":        {Kind: "cctv", Product: "x", Supplier: "y", Documents: []Document{{Title: "t", URL: "javascript:alert(1)"}}},
	} {
		if _, err := w.s.RegisterTechnology(ctx, w.admin, n); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := w.s.RegisterTechnology(ctx, w.officer, NewTechnology{Kind: "cctv", Product: "x", Supplier: "y"}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("officer registering: %v", err)
	}
	if _, err := w.s.RecordAssessment(ctx, w.commander, imsi.ID, NewAssessment{}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("commander assessing: %v", err)
	}
	if _, err := w.s.RecordAssessment(ctx, w.oversight, imsi.ID, NewAssessment{AssessedOn: w.now, ExpiresOn: w.now.Add(-time.Hour), Assessor: "x", Summary: "a summary long enough to pass"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("assessment expiring before it is made: %v", err)
	}
	list, _ := w.s.Technologies(ctx)
	if len(list) != 5 {
		t.Fatalf("%d technologies", len(list))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
