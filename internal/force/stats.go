package force

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/vigil-project/vigil/internal/assembly"
)

// SuppressBelow is the small-cell threshold: a published count from 1 to
// SuppressBelow-1 is shown as "<5", never as itself.
const SuppressBelow = 5

// Suppression says whether, and why, a cell's count is withheld.
type Suppression string

// Kinds of suppression.
const (
	// Shown: the count is shown.
	Shown Suppression = ""
	// Small: the count is from 1 to 4; it shows as "<5".
	Small Suppression = "small"
	// Secondary: the count is not small, but is withheld so that a small
	// cell cannot be worked out by subtracting the others from the total;
	// it shows as "x".
	Secondary Suppression = "secondary"
)

// Cell is one count in the statistics.
type Cell struct {
	// N is the count; zero when the cell is suppressed, so that nothing
	// downstream can show it by mistake.
	N          int
	Suppressed Suppression
}

// String is how the cell is shown: the count, "<5" or "x".
func (c Cell) String() string {
	switch c.Suppressed {
	case Small:
		return "<" + strconv.Itoa(SuppressBelow)
	case Secondary:
		return "x"
	}
	return strconv.Itoa(c.N)
}

// Row is the counts for one weapon, unit or month, or for all.
type Row struct {
	// Key is the weapon type, the unit's name or the month; empty for the
	// total (and for incidents of officers without a unit, by unit).
	Key string
	// Incidents is how many uses of force were reported; Uses how many
	// times weapons were used in them; Injuries how many people were
	// reported injured; Untrained how many incidents were untrained uses;
	// Referred how many incidents were referred to an investigation.
	Incidents, Uses, Injuries, Untrained, Referred Cell
}

// measures are the columns of a row, for suppression.
var measures = []func(*Row) *Cell{
	func(r *Row) *Cell { return &r.Incidents },
	func(r *Row) *Cell { return &r.Uses },
	func(r *Row) *Cell { return &r.Injuries },
	func(r *Row) *Cell { return &r.Untrained },
	func(r *Row) *Cell { return &r.Referred },
}

// Stats are the use-of-force statistics for a range of months.
type Stats struct {
	Range MonthRange
	// Exact is true when no cell is suppressed: oversight's own view.
	Exact    bool
	Total    Row
	ByWeapon []Row
	ByUnit   []Row
	ByMonth  []Row
}

// StatsQuery selects the statistics.
type StatsQuery struct {
	// Range is the months counted, by month of use (default: the last 12
	// months, this one included).
	Range MonthRange
	// Exact asks for exact counts. Only oversight's own view may be exact
	// (CanSeeExactStats); every other view, and every public one, must
	// leave it false, so that small cells are suppressed.
	Exact bool
}

// DefaultStatsMonths is how many months the statistics cover by default.
const DefaultStatsMonths = 12

// Stats counts reported uses of force by weapon, by unit and by month:
// incidents, uses, injuries, untrained uses and referrals. Unless q.Exact,
// small-cell suppression applies (A/HRC/44/24 para. 53(k): use closely
// monitored, and published without identifying anyone): a count from 1
// to 4 shows as "<5", and where a breakdown would have exactly one such
// cell, the next smallest count in it is withheld too ("x"), so that the
// small one cannot be recovered from the total. Zero is shown: it
// discloses no one. The total row suppresses small counts the same way.
func (s *Service) Stats(ctx context.Context, q StatsQuery) (Stats, error) {
	if q.Range.From == "" && q.Range.To == "" {
		q.Range = lastMonths(s.now(), DefaultStatsMonths)
	}
	months, err := q.Range.months()
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Range: MonthRange{From: months[0], To: months[len(months)-1]}, Exact: q.Exact}
	rows, err := s.db.Query(ctx, `SELECT i.weapon, i.unit_key, MIN(i.unit), i.month, COUNT(*), SUM(i.uses), SUM(i.injuries), SUM(1 - i.trained),
		SUM(CASE WHEN EXISTS (SELECT 1 FROM force_referrals r WHERE r.incident_id = i.id) THEN 1 ELSE 0 END)
		FROM force_incidents i WHERE i.month >= ? AND i.month <= ? GROUP BY i.weapon, i.unit_key, i.month`, st.Range.From, st.Range.To)
	if err != nil {
		return Stats{}, fmt.Errorf("force: statistics: %w", err)
	}
	defer rows.Close()
	byWeapon, byUnit, byMonth := map[string]*Row{}, map[string]*Row{}, map[string]*Row{}
	for _, m := range months {
		byMonth[m] = &Row{Key: m}
	}
	get := func(m map[string]*Row, key, label string) *Row {
		r, ok := m[key]
		if !ok {
			r = &Row{Key: label}
			m[key] = r
		}
		return r
	}
	for rows.Next() {
		var weapon, unitKey, unit, month string
		var n, uses, injuries, untrained, referred int
		if err := rows.Scan(&weapon, &unitKey, &unit, &month, &n, &uses, &injuries, &untrained, &referred); err != nil {
			return Stats{}, fmt.Errorf("force: statistics: %w", err)
		}
		for _, r := range []*Row{&st.Total, get(byWeapon, weapon, weapon), get(byUnit, unitKey, unit), get(byMonth, month, month)} {
			r.Incidents.N += n
			r.Uses.N += uses
			r.Injuries.N += injuries
			r.Untrained.N += untrained
			r.Referred.N += referred
		}
	}
	if err := rows.Err(); err != nil {
		return Stats{}, fmt.Errorf("force: statistics: %w", err)
	}
	for _, w := range assembly.Weapons {
		if r, ok := byWeapon[w]; ok {
			st.ByWeapon = append(st.ByWeapon, *r)
		}
	}
	for _, r := range byUnit {
		st.ByUnit = append(st.ByUnit, *r)
	}
	sort.Slice(st.ByUnit, func(i, j int) bool { return UnitKey(st.ByUnit[i].Key) < UnitKey(st.ByUnit[j].Key) })
	for _, m := range months {
		st.ByMonth = append(st.ByMonth, *byMonth[m])
	}
	if !q.Exact {
		suppressRow(&st.Total)
		for _, part := range [][]Row{st.ByWeapon, st.ByUnit, st.ByMonth} {
			suppress(part, st.Total)
		}
		hide := func(r *Row) {
			for _, m := range measures {
				if c := m(r); c.Suppressed != Shown {
					c.N = 0
				}
			}
		}
		hide(&st.Total)
		for _, part := range [][]Row{st.ByWeapon, st.ByUnit, st.ByMonth} {
			for i := range part {
				hide(&part[i])
			}
		}
	}
	return st, nil
}

// suppressRow marks a row's small counts.
func suppressRow(r *Row) {
	for _, m := range measures {
		if c := m(r); c.N > 0 && c.N < SuppressBelow {
			c.Suppressed = Small
		}
	}
}

// suppress marks the small counts of one breakdown and, for each measure
// with exactly one small count while the total is shown, withholds the
// smallest other non-zero count as well. It runs before any count is
// zeroed, and total must hold the true counts with their suppression.
func suppress(rows []Row, total Row) {
	for i := range rows {
		suppressRow(&rows[i])
	}
	for _, m := range measures {
		small := 0
		for i := range rows {
			if m(&rows[i]).Suppressed == Small {
				small++
			}
		}
		if small != 1 || m(&total).Suppressed != Shown {
			continue
		}
		idx := -1
		for i := range rows {
			c := m(&rows[i])
			if c.Suppressed == Shown && c.N > 0 && (idx < 0 || c.N < m(&rows[idx]).N) {
				idx = i
			}
		}
		if idx >= 0 {
			m(&rows[idx]).Suppressed = Secondary
		}
	}
}
