package force

import (
	"testing"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestReferral(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		in := w.report(w.offB, w.incident()) // untrained: in the queue
		good := NewReferral{BodyKind: DisciplinaryBoard, Body: "Police Disciplinary Board", Reasons: "Baton used by an officer with no certificate for it, injuring a man."}
		for _, tc := range []struct {
			name   string
			by     auth.Account
			change func(*NewReferral)
			want   error
		}{
			{"commander refers", w.cmd3, func(*NewReferral) {}, ErrForbidden},
			{"admin refers", w.admin, func(*NewReferral) {}, ErrForbidden},
			{"unknown body kind", w.oversight, func(n *NewReferral) { n.BodyKind = "priest" }, ErrInvalid},
			{"no body", w.oversight, func(n *NewReferral) { n.Body = "" }, ErrInvalid},
			{"short reasons", w.oversight, func(n *NewReferral) { n.Reasons = "Bad." }, ErrInvalid},
		} {
			n := good
			tc.change(&n)
			_, err := w.s.Refer(ctx, tc.by, in.ID, n)
			is(t, tc.name, err, tc.want)
		}
		if _, err := w.s.Refer(ctx, w.oversight, "fin_nothing", good); !isErr(err, ErrNotFound) {
			t.Fatalf("referring nothing: %v", err)
		}
		ref, err := w.s.Refer(ctx, w.oversight, in.ID, good)
		if err != nil || ref.Status != Referred {
			t.Fatalf("refer: %+v %v", ref, err)
		}
		got, _ := w.s.Incident(ctx, w.oversight, in.ID)
		if got.Flag != FlagReferred {
			t.Fatalf("a referred use is flagged %q", got.Flag)
		}
		if q, _ := w.s.Queue(ctx, w.oversight); len(q) != 0 {
			t.Fatalf("a referred use is still queued")
		}
		// A second body may investigate too; a trained use may be referred.
		trainedUse := w.report(w.offA, w.incident())
		w.certify(w.cmd3, w.offA, "baton")
		if _, err := w.s.Refer(ctx, w.oversight, in.ID, NewReferral{BodyKind: Prosecutor, Body: "Regional prosecutor", Reference: "PR-2026-17", Reasons: "Possible assault: the injury needs a criminal investigation."}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Refer(ctx, w.oversight, trainedUse.ID, good); err != nil {
			t.Fatal(err)
		}

		// Status: referred -> opened -> closed, and no other way.
		if _, err := w.s.UpdateReferral(ctx, w.oversight, ref.ID, Closed, "", "Closing before it opened."); !isErr(err, ErrConflict) {
			t.Fatalf("referred -> closed: %v", err)
		}
		if _, err := w.s.UpdateReferral(ctx, w.cmd3, ref.ID, Opened, "", "The board opened a case."); !isErr(err, ErrForbidden) {
			t.Fatalf("a commander updating: %v", err)
		}
		if _, err := w.s.UpdateReferral(ctx, w.oversight, ref.ID, Opened, "", "ok"); !isErr(err, ErrInvalid) {
			t.Fatalf("a short note: %v", err)
		}
		ref, err = w.s.UpdateReferral(ctx, w.oversight, ref.ID, Opened, "PDB-88", "The board opened a disciplinary case.")
		if err != nil || ref.Status != Opened || ref.Reference != "PDB-88" || len(ref.Updates) != 1 {
			t.Fatalf("opened: %+v %v", ref, err)
		}
		ref, err = w.s.UpdateReferral(ctx, w.oversight, ref.ID, Closed, "", "Written warning and retraining ordered.")
		if err != nil || ref.Status != Closed || ref.Reference != "PDB-88" || len(ref.Updates) != 2 || ref.Updates[1].To != Closed {
			t.Fatalf("closed: %+v %v", ref, err)
		}
		if _, err := w.s.UpdateReferral(ctx, w.oversight, ref.ID, Opened, "", "Reopening a closed case."); !isErr(err, ErrConflict) {
			t.Fatalf("closed -> opened: %v", err)
		}
		if _, err := w.s.UpdateReferral(ctx, w.oversight, "frf_nothing", Opened, "", "The board opened a case."); !isErr(err, ErrNotFound) {
			t.Fatalf("no such referral: %v", err)
		}

		// Only oversight and admins see referrals.
		list, err := w.s.Referrals(ctx, w.oversight, ReferralQuery{IncidentID: in.ID})
		if err != nil || len(list) != 2 {
			t.Fatalf("referrals of the incident: %d %v", len(list), err)
		}
		if list, _ := w.s.Referrals(ctx, w.admin, ReferralQuery{Status: Referred}); len(list) != 2 {
			t.Fatalf("%d referrals still referred", len(list))
		}
		if _, err := w.s.Referrals(ctx, w.cmd3, ReferralQuery{}); !isErr(err, ErrForbidden) {
			t.Fatalf("a commander listing referrals: %v", err)
		}
		if _, err := w.s.Referral(ctx, w.offB, ref.ID); !isErr(err, ErrForbidden) {
			t.Fatalf("the officer reading the referral: %v", err)
		}
		evs, err := ledger.List(ctx, db, ledger.Query{Subject: IncidentSubject(in.ID)})
		if err != nil {
			t.Fatal(err)
		}
		types := map[string]int{}
		for _, e := range evs {
			types[e.Type]++
		}
		if types["force.incident_reported"] != 1 || types["force.referred"] != 2 || types["force.referral_updated"] != 2 {
			t.Fatalf("history %v", types)
		}
		st, _ := w.s.Stats(ctx, StatsQuery{Exact: true})
		if st.Total.Referred.N != 2 {
			t.Fatalf("referred incidents counted %d", st.Total.Referred.N)
		}
	})
}
