package force

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestReportAndFlag(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		cert := w.certify(w.cmd3, w.offA, "baton")

		// A trained use: stored as trained, with the certificate, not flagged.
		trained, ev, err := w.s.Report(ctx, w.offA, w.incident())
		if err != nil {
			t.Fatal(err)
		}
		if !trained.Trained || trained.CertificateID != cert.ID || trained.Flag != FlagNone || trained.Month != "2026-11" || trained.Unit != unit3 {
			t.Fatalf("trained use %+v", trained)
		}
		e, err := ledger.Get(ctx, db, ev)
		if err != nil || e.Type != "force.incident_reported" || !strings.Contains(string(e.Entry), `"trained":true`) || !strings.Contains(string(e.Entry), `"weapon":"baton"`) {
			t.Fatalf("event %s %v", e.Entry, err)
		}
		// The same officer with a weapon they hold no certificate for: flagged.
		n := w.incident()
		n.Weapon = "chemical_irritant_spray"
		sprayed := w.report(w.offA, n)
		if sprayed.Trained || sprayed.Flag != FlagOpen || sprayed.CertificateID != "" {
			t.Fatalf("untrained use %+v", sprayed)
		}
		// A use before the certificate was issued is untrained too.
		n = w.incident()
		n.OccurredAt = cert.IssuedOn.Add(-24 * time.Hour)
		early := w.report(w.offA, n)
		if early.Trained || early.Flag != FlagOpen {
			t.Fatalf("use before the certificate %+v", early)
		}
		// Another officer of the unit, untrained; and an officer of unit 5.
		byB := w.report(w.offB, w.incident())
		by5 := w.report(w.off5, w.incident())
		if byB.Trained || by5.Trained {
			t.Fatal("uncertified officers reported as trained")
		}

		// Oversight's queue holds the untrained uses, oldest report first.
		queue, err := w.s.Queue(ctx, w.oversight)
		if err != nil || len(queue) != 4 || queue[0].ID != sprayed.ID {
			t.Fatalf("queue %d %v", len(queue), err)
		}
		for _, in := range queue {
			if in.Trained {
				t.Errorf("trained use %s in the queue", in.ID)
			}
		}
		if _, err := w.s.Queue(ctx, w.cmd3); !isErr(err, ErrForbidden) {
			t.Fatalf("a commander reading the queue: %v", err)
		}

		// Who sees which reports.
		ids := func(list []Incident) map[string]bool {
			m := map[string]bool{}
			for _, in := range list {
				m[in.ID] = true
			}
			return m
		}
		for _, tc := range []struct {
			viewer auth.Account
			q      IncidentQuery
			want   []string
			err    error
		}{
			{w.offA, IncidentQuery{}, []string{trained.ID, sprayed.ID, early.ID}, nil},
			{w.offB, IncidentQuery{}, []string{byB.ID}, nil},
			{w.off5, IncidentQuery{}, []string{by5.ID}, nil},
			{w.off5, IncidentQuery{Unit: unit3}, nil, ErrForbidden},
			{w.cmd3, IncidentQuery{}, []string{trained.ID, sprayed.ID, early.ID, byB.ID}, nil},
			{w.cmd3, IncidentQuery{Mine: true}, nil, nil},
			{w.cmd5, IncidentQuery{}, []string{by5.ID}, nil},
			{w.cmd5, IncidentQuery{Unit: unit3}, nil, ErrForbidden},
			{w.oversight, IncidentQuery{}, []string{trained.ID, sprayed.ID, early.ID, byB.ID, by5.ID}, nil},
			{w.oversight, IncidentQuery{Unit: "PUBLIC ORDER UNIT 5"}, []string{by5.ID}, nil},
			{w.admin, IncidentQuery{Weapon: "chemical_irritant_spray"}, []string{sprayed.ID}, nil},
			{w.admin, IncidentQuery{Untrained: true, Month: "2026-11"}, []string{sprayed.ID, byB.ID, by5.ID}, nil},
			{w.admin, IncidentQuery{Flag: FlagOpen}, []string{sprayed.ID, early.ID, byB.ID, by5.ID}, nil},
			{w.admin, IncidentQuery{AssemblyID: w.assembly.ID, Weapon: "baton", Month: "2026-11"}, []string{trained.ID, byB.ID, by5.ID}, nil},
			{w.admin, IncidentQuery{Month: "Nov 2026"}, nil, ErrInvalid},
			{w.reporter, IncidentQuery{}, nil, ErrForbidden},
		} {
			list, err := w.s.Incidents(ctx, tc.viewer, tc.q)
			if tc.err != nil {
				is(t, tc.viewer.Username+" listing", err, tc.err)
				continue
			}
			got := ids(list)
			if err != nil || len(got) != len(tc.want) {
				t.Errorf("%s %+v sees %d reports (%v), want %d", tc.viewer.Username, tc.q, len(got), err, len(tc.want))
				continue
			}
			for _, id := range tc.want {
				if !got[id] {
					t.Errorf("%s %+v does not see %s", tc.viewer.Username, tc.q, id)
				}
			}
		}
		// One report: an officer cannot see a colleague's, nor a commander another unit's.
		if _, err := w.s.Incident(ctx, w.offA, byB.ID); !isErr(err, ErrNotFound) {
			t.Fatalf("officer reading a colleague's report: %v", err)
		}
		if _, err := w.s.Incident(ctx, w.off5, trained.ID); !isErr(err, ErrNotFound) {
			t.Fatalf("officer reading another unit's report: %v", err)
		}
		if _, err := w.s.Incident(ctx, w.cmd5, trained.ID); !isErr(err, ErrNotFound) {
			t.Fatalf("commander reading another unit's report: %v", err)
		}
		if _, err := w.s.Incident(ctx, w.reporter, trained.ID); !isErr(err, ErrForbidden) {
			t.Fatalf("reporter reading a report: %v", err)
		}
		got, err := w.s.Incident(ctx, w.cmd3, byB.ID)
		if err != nil || got.OfficerUsername != "lee" || got.Circumstances != w.incident().Circumstances || len(got.BodyCameras) != 1 || got.AssemblyID != w.assembly.ID {
			t.Fatalf("commander reading their unit's report: %+v %v", got, err)
		}
	})
}

func TestReportRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, tc := range []struct {
			name   string
			change func(*NewIncident)
		}{
			{"unknown weapon", func(n *NewIncident) { n.Weapon = "rubber_chicken" }},
			{"no time", func(n *NewIncident) { n.OccurredAt = time.Time{} }},
			{"in the future", func(n *NewIncident) { n.OccurredAt = w.now.Add(time.Hour) }},
			{"no place", func(n *NewIncident) { n.Place = "" }},
			{"not a point", func(n *NewIncident) { n.Point = `{"type":"Polygon","coordinates":[]}` }},
			{"point out of range", func(n *NewIncident) { n.Point = `{"type":"Point","coordinates":[200,52]}` }},
			{"point not JSON", func(n *NewIncident) { n.Point = `52.37, 4.89` }},
			{"place too long", func(n *NewIncident) { n.Place = strings.Repeat("x", 301) }},
			{"short circumstances", func(n *NewIncident) { n.Circumstances = "He resisted." }},
			{"no warning, no reason", func(n *NewIncident) { n.WarningGiven, n.Warning = false, "" }},
			{"injuries undescribed", func(n *NewIncident) { n.InjuryDescription = "" }},
			{"negative injuries", func(n *NewIncident) { n.Injuries = -1 }},
			{"unknown medical", func(n *NewIncident) { n.Medical = "prayer" }},
			{"injured, no help, no reason", func(n *NewIncident) { n.Medical, n.MedicalNote = MedicalNone, "" }},
			{"bad body-camera reference", func(n *NewIncident) { n.BodyCameras = []string{"clip with spaces"} }},
			{"too many body-camera references", func(n *NewIncident) { n.BodyCameras = make([]string, MaxBodyCameras+1) }},
			{"no uses", func(n *NewIncident) { n.Uses = 0 }},
			{"too many uses", func(n *NewIncident) { n.Uses = MaxUses + 1 }},
			{"unknown assembly", func(n *NewIncident) { n.AssemblyID = "asm_nowhere" }},
			{"control characters", func(n *NewIncident) { n.Circumstances += "\x1b[31m" }},
		} {
			n := w.incident()
			tc.change(&n)
			_, _, err := w.s.Report(w.ctx, w.offA, n)
			is(t, tc.name, err, ErrInvalid)
		}
		// What is valid: a point and no description; no warning with a reason; no injuries, no help.
		n := w.incident()
		n.Place, n.Point = "", Point(4.8952, 52.3702)
		n.WarningGiven, n.Warning = false, "He was already swinging at my colleague."
		n.Injuries, n.InjuryDescription, n.Medical, n.MedicalNote = 0, "", MedicalNone, ""
		n.AssemblyID, n.BodyCameras = "", nil
		in := w.report(w.offA, n)
		if in.Point == "" || in.Place != "" || in.WarningGiven || in.AssemblyID != "" || in.BodyCameras == nil {
			t.Fatalf("minimal report %+v", in)
		}
		for _, by := range []auth.Account{w.reporter, w.oversight, w.admin} {
			if _, _, err := w.s.Report(w.ctx, by, w.incident()); !isErr(err, ErrForbidden) {
				t.Errorf("%s reporting: %v", by.Role, err)
			}
		}
		if got := ParseBodyCameras("BWC-1, BWC-2\nBWC-3;BWC-4  BWC-5"); len(got) != 5 {
			t.Fatalf("ParseBodyCameras = %q", got)
		}
	})
}

func TestAddendaAreAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		mine := w.report(w.offA, w.incident())
		theirs := w.report(w.offB, w.incident())
		other := w.report(w.off5, w.incident())

		a, err := w.s.AddAddendum(ctx, w.offA, mine.ID, "The man was later identified by the ambulance crew; his injury was a fracture.", []string{"BWC-0043"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.AddAddendum(ctx, w.cmd3, theirs.ID, "Reviewed the footage: the account matches the recording.", nil); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name     string
			by       auth.Account
			incident string
			text     string
			want     error
		}{
			{"officer on a colleague's report", w.offA, theirs.ID, "I saw it differently.", ErrNotFound},
			{"commander on another unit's report", w.cmd3, other.ID, "Not our unit's report.", ErrNotFound},
			{"oversight", w.oversight, mine.ID, "Oversight does not amend reports.", ErrForbidden},
			{"admin", w.admin, mine.ID, "Admins do not amend reports.", ErrForbidden},
			{"too short", w.offA, mine.ID, "ok", ErrInvalid},
			{"no such incident", w.offA, "fin_nothing", "Some text that is long enough.", ErrNotFound},
		} {
			_, err := w.s.AddAddendum(ctx, tc.by, tc.incident, tc.text, nil)
			is(t, tc.name, err, tc.want)
		}
		list, err := w.s.Addenda(ctx, w.offA, mine.ID)
		if err != nil || len(list) != 1 || list[0].ID != a.ID || list[0].AuthorUsername != "sam" || len(list[0].BodyCameras) != 1 {
			t.Fatalf("addenda %+v %v", list, err)
		}
		if _, err := w.s.Addenda(ctx, w.offB, mine.ID); !isErr(err, ErrNotFound) {
			t.Fatalf("a colleague reading addenda: %v", err)
		}
		// The report itself is unchanged.
		got, _ := w.s.Incident(ctx, w.offA, mine.ID)
		if got.Circumstances != mine.Circumstances || got.Injuries != mine.Injuries || got.InjuryDescription != mine.InjuryDescription {
			t.Fatalf("the report changed: %+v", got)
		}
	})
}

func TestReviewFlag(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		in := w.report(w.offA, w.incident())
		if _, err := w.s.ReviewFlag(ctx, w.cmd3, in.ID, "Looks fine to the commander."); !isErr(err, ErrForbidden) {
			t.Fatalf("a commander reviewing: %v", err)
		}
		if _, err := w.s.ReviewFlag(ctx, w.oversight, in.ID, "ok"); !isErr(err, ErrInvalid) {
			t.Fatalf("a short note: %v", err)
		}
		got, err := w.s.ReviewFlag(ctx, w.oversight, in.ID, "Certificate seen on paper; it was recorded late.")
		if err != nil || got.Flag != FlagReviewed || got.FlagClosedBy != w.oversight.ID {
			t.Fatalf("review: %+v %v", got, err)
		}
		if _, err := w.s.ReviewFlag(ctx, w.oversight, in.ID, "Reviewing it a second time."); !isErr(err, ErrConflict) {
			t.Fatalf("reviewing twice: %v", err)
		}
		if q, _ := w.s.Queue(ctx, w.oversight); len(q) != 0 {
			t.Fatalf("a reviewed use is still queued: %v", q)
		}
		stored, _ := w.s.Incident(ctx, w.admin, in.ID)
		if stored.Flag != FlagReviewed || stored.FlagNote == "" || stored.FlagClosedAt == nil || stored.Trained {
			t.Fatalf("stored review %+v", stored)
		}
	})
}
