package force

import (
	"reflect"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestZeroReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		// An incident in September.
		n := w.incident()
		n.OccurredAt, n.AssemblyID = time.Date(2026, 9, 14, 16, 0, 0, 0, time.UTC), ""
		w.report(w.offB, n)

		z, err := w.s.FileZeroReport(ctx, w.cmd3, "2026-10")
		if err != nil || z.Month != "2026-10" || z.Unit != unit3 {
			t.Fatalf("zero report: %+v %v", z, err)
		}
		for _, tc := range []struct {
			name  string
			month string
			want  error
		}{
			{"twice", "2026-10", ErrConflict},
			{"a month with incidents", "2026-09", ErrConflict},
			{"this month, not over", "2026-11", ErrInvalid},
			{"a future month", "2027-01", ErrInvalid},
			{"not a month", "October", ErrInvalid},
			{"nonsense year", "1850-01", ErrInvalid},
		} {
			_, err := w.s.FileZeroReport(ctx, w.cmd3, tc.month)
			is(t, tc.name, err, tc.want)
		}
		// The same unit spelt another way is the same unit.
		spelt := w.account("dana2", "Dana Reyes (deputy)", "commander", "PUBLIC ORDER UNIT 3")
		_, err = w.s.FileZeroReport(ctx, spelt, "2026-10")
		is(t, "same unit, other spelling", err, ErrConflict)
		for _, by := range []struct {
			name string
			err  error
			f    func() error
		}{
			{"officer", ErrForbidden, func() error { _, err := w.s.FileZeroReport(ctx, w.offA, "2026-08"); return err }},
			{"oversight", ErrForbidden, func() error { _, err := w.s.FileZeroReport(ctx, w.oversight, "2026-08"); return err }},
			{"commander without a unit", ErrInvalid, func() error {
				_, err := w.s.FileZeroReport(ctx, w.account("nounit", "No Unit", "commander", ""), "2026-08")
				return err
			}},
		} {
			is(t, by.name, by.f(), by.err)
		}

		// A later report for October contradicts the zero report, and is not refused.
		n.OccurredAt = time.Date(2026, 10, 3, 9, 0, 0, 0, time.UTC)
		late := w.report(w.offA, n)
		if !late.ContradictsZeroReport {
			t.Fatal("a report for a month declared free of force is not marked")
		}
		list, err := w.s.ZeroReports(ctx, w.oversight, ZeroQuery{Contradicted: true})
		if err != nil || len(list) != 1 || list[0].ContradictedBy != late.ID {
			t.Fatalf("contradicted zero reports %+v %v", list, err)
		}
		if list, _ := w.s.ZeroReports(ctx, w.cmd5, ZeroQuery{}); len(list) != 0 {
			t.Fatalf("unit 5's commander sees unit 3's zero reports: %+v", list)
		}
		if list, _ := w.s.ZeroReports(ctx, w.cmd3, ZeroQuery{Range: MonthRange{From: "2026-10", To: "2026-10"}}); len(list) != 1 {
			t.Fatalf("unit 3's commander sees %d of their zero reports", len(list))
		}
		if _, err := w.s.ZeroReports(ctx, w.offA, ZeroQuery{}); !isErr(err, ErrForbidden) {
			t.Fatalf("an officer listing zero reports: %v", err)
		}

		// Missing: unit 3 reported September (an incident) and October (zero
		// report and a late incident); unit 5 reported nothing.
		r := MonthRange{From: "2026-06", To: "2026-11"}
		missing, err := w.s.MissingZeroReports(ctx, w.oversight, r)
		if err != nil {
			t.Fatal(err)
		}
		want := []MissingZero{
			{Unit: unit3, Months: []string{"2026-06", "2026-07", "2026-08"}},
			{Unit: unit5, Months: []string{"2026-06", "2026-07", "2026-08", "2026-09", "2026-10"}},
		}
		if !reflect.DeepEqual(missing, want) {
			t.Fatalf("missing = %+v\nwant %+v", missing, want)
		}
		mine, err := w.s.MissingZeroReports(ctx, w.cmd5, r)
		if err != nil || len(mine) != 1 || mine[0].Unit != unit5 {
			t.Fatalf("unit 5's commander's missing months %+v %v", mine, err)
		}
		if _, err := w.s.MissingZeroReports(ctx, w.offA, r); !isErr(err, ErrForbidden) {
			t.Fatalf("an officer listing missing zero reports: %v", err)
		}
		// A unit whose first member came in mid-August owes reports from September.
		w.account("ana", "Ana Costa", "officer", "Harbour Unit")
		if _, err := db.Exec(ctx, "UPDATE accounts SET created_at = ? WHERE username = 'ana'", store.Micros(time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC))); err != nil {
			t.Fatal(err)
		}
		missing, _ = w.s.MissingZeroReports(ctx, w.admin, r)
		if len(missing) != 3 || missing[0].Unit != "Harbour Unit" || !reflect.DeepEqual(missing[0].Months, []string{"2026-09", "2026-10"}) {
			t.Fatalf("missing with a new unit %+v", missing)
		}
		// The default range is the last six months that have ended.
		def, err := w.s.MissingZeroReports(ctx, w.admin, MonthRange{})
		if err != nil || len(def) != 3 || def[2].Unit != unit5 || len(def[2].Months) != 6 || def[2].Months[5] != "2026-10" {
			t.Fatalf("default range %+v %v", def, err)
		}
		if _, err := w.s.MissingZeroReports(ctx, w.admin, MonthRange{From: "2026-10", To: "2026-01"}); !isErr(err, ErrInvalid) {
			t.Fatalf("a backwards range: %v", err)
		}
	})
}
