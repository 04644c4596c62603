package force

import (
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestStatistics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.ctx
		w.certify(w.cmd3, w.offA, "baton")
		// Unit 3: seven trained baton uses in November, one injuring two
		// people; unit 5: two untrained tear-gas uses in October, one
		// referred.
		for i := 0; i < 7; i++ {
			n := w.incident()
			n.Injuries, n.InjuryDescription = 0, ""
			if i == 0 {
				n.Injuries, n.InjuryDescription = 2, "Two bruised arms."
			}
			w.report(w.offA, n)
		}
		var gassed Incident
		for i := 0; i < 2; i++ {
			n := w.incident()
			n.Weapon, n.OccurredAt, n.AssemblyID = "tear_gas", time.Date(2026, 10, 10, 15, 0, 0, 0, time.UTC), ""
			n.Injuries, n.InjuryDescription = 0, ""
			gassed = w.report(w.off5, n)
		}
		if _, err := w.s.Refer(ctx, w.oversight, gassed.ID, NewReferral{BodyKind: Prosecutor, Body: "Regional prosecutor", Reasons: "Tear gas used by an untrained officer on a seated crowd."}); err != nil {
			t.Fatal(err)
		}
		r := MonthRange{From: "2026-09", To: "2026-11"}

		exact, err := w.s.Stats(ctx, StatsQuery{Range: r, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		if !exact.Exact || exact.Total.Incidents.N != 9 || exact.Total.Uses.N != 18 || exact.Total.Injuries.N != 2 || exact.Total.Untrained.N != 2 || exact.Total.Referred.N != 1 {
			t.Fatalf("exact total %+v", exact.Total)
		}
		if len(exact.ByWeapon) != 2 || exact.ByWeapon[0].Key != "baton" || exact.ByWeapon[0].Incidents.N != 7 || exact.ByWeapon[1].Key != "tear_gas" || exact.ByWeapon[1].Untrained.N != 2 {
			t.Fatalf("exact by weapon %+v", exact.ByWeapon)
		}
		if len(exact.ByUnit) != 2 || exact.ByUnit[0].Key != unit3 || exact.ByUnit[0].Incidents.N != 7 || exact.ByUnit[1].Key != unit5 || exact.ByUnit[1].Referred.N != 1 {
			t.Fatalf("exact by unit %+v", exact.ByUnit)
		}
		if len(exact.ByMonth) != 3 || exact.ByMonth[0].Key != "2026-09" || exact.ByMonth[0].Incidents.N != 0 || exact.ByMonth[1].Incidents.N != 2 || exact.ByMonth[2].Incidents.N != 7 {
			t.Fatalf("exact by month %+v", exact.ByMonth)
		}
		for _, row := range append(append(exact.ByWeapon, exact.ByUnit...), exact.ByMonth...) {
			for _, m := range measures {
				if m(&row).Suppressed != Shown {
					t.Fatalf("oversight's exact view suppressed %+v", row)
				}
			}
		}

		pub, err := w.s.Stats(ctx, StatsQuery{Range: r})
		if err != nil {
			t.Fatal(err)
		}
		// Small counts show as "<5" and carry no number.
		if c := pub.Total.Injuries; c.String() != "<5" || c.N != 0 || c.Suppressed != Small {
			t.Fatalf("2 injuries published as %+v", c)
		}
		if c := pub.Total.Incidents; c.String() != "9" {
			t.Fatalf("9 incidents published as %q", c)
		}
		gas := pub.ByWeapon[1]
		if gas.Incidents.String() != "<5" || gas.Incidents.N != 0 || gas.Untrained.String() != "<5" || gas.Referred.String() != "<5" {
			t.Fatalf("tear gas row %+v", gas)
		}
		// With one small cell in a breakdown and the total shown, the next
		// smallest is withheld too: 9 - 7 would give the 2 away.
		if c := pub.ByWeapon[0].Incidents; c.String() != "x" || c.N != 0 || c.Suppressed != Secondary {
			t.Fatalf("baton incidents published as %+v, so tear gas = total - baton", c)
		}
		if c := pub.ByMonth[0].Incidents; c.String() != "0" {
			t.Fatalf("a month without incidents published as %q", c)
		}
		// Untrained: the total (2) is small itself, so no secondary suppression is needed.
		if c := pub.ByWeapon[0].Untrained; c.String() != "0" {
			t.Fatalf("baton untrained published as %q", c)
		}
		// No number that a suppressed cell hides reaches the result.
		for _, row := range append(append(append(pub.ByWeapon, pub.ByUnit...), pub.ByMonth...), pub.Total) {
			for _, m := range measures {
				if c := m(&row); c.Suppressed == Shown && c.N > 0 && c.N < SuppressBelow {
					t.Errorf("small count %d shown in %+v", c.N, row)
				}
			}
		}

		// The default range is the last twelve months.
		def, err := w.s.Stats(ctx, StatsQuery{Exact: true})
		if err != nil || def.Range.From != "2025-12" || def.Range.To != "2026-11" || len(def.ByMonth) != 12 || def.Total.Incidents.N != 9 {
			t.Fatalf("default range %+v %v", def.Range, err)
		}
		if _, err := w.s.Stats(ctx, StatsQuery{Range: MonthRange{From: "2000-01", To: "2026-11"}}); !isErr(err, ErrInvalid) {
			t.Fatalf("a range too long: %v", err)
		}
		if _, err := w.s.Stats(ctx, StatsQuery{Range: MonthRange{From: "2026-11"}}); !isErr(err, ErrInvalid) {
			t.Fatalf("half a range: %v", err)
		}
	})
}

func TestSuppression(t *testing.T) {
	row := func(key string, n ...int) Row {
		return Row{Key: key, Incidents: Cell{N: n[0]}}
	}
	for _, tc := range []struct {
		name  string
		cells []int
		want  []string
	}{
		{"nothing small", []int{5, 9, 0}, []string{"5", "9", "0"}},
		{"one small: the next smallest withheld", []int{3, 9, 6}, []string{"<5", "9", "x"}},
		{"two small: nothing more", []int{3, 9, 1}, []string{"<5", "9", "<5"}},
		{"zero is not small", []int{0, 12}, []string{"0", "12"}},
	} {
		rows := make([]Row, len(tc.cells))
		total := Row{}
		for i, n := range tc.cells {
			rows[i] = row("k", n)
			total.Incidents.N += n
		}
		suppressRow(&total)
		suppress(rows, total)
		for i := range rows {
			if got := rows[i].Incidents.String(); got != tc.want[i] {
				t.Errorf("%s: cell %d = %q, want %q", tc.name, i, got, tc.want[i])
			}
		}
	}
}
