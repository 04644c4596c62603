package force

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// ZeroReport is a unit's statement that it used no less-lethal force in a
// month. Without it, a month with no reports could mean no force or no
// reporting; with it, a later report for that month shows the statement
// was wrong.
type ZeroReport struct {
	ID      string
	Unit    string
	Month   string
	FiledBy string
	FiledAt time.Time
	// ContradictedBy is the first incident reported for the unit and
	// month after the zero report was filed, if any.
	ContradictedBy string

	// FiledByUsername is the commander who filed it, for display.
	FiledByUsername string
}

// FileZeroReport files, as a commander, their unit's zero report for a
// month that has ended. It is refused if the unit has reported incidents
// in that month, and if the month already has one.
func (s *Service) FileZeroReport(ctx context.Context, by auth.Account, month string) (ZeroReport, error) {
	if !by.Role.Is(CanFileZero...) {
		return ZeroReport{}, forbidden("force.forbidden_zero")
	}
	unitKey := UnitKey(by.Unit)
	if unitKey == "" {
		return ZeroReport{}, invalid("force.zero_no_unit")
	}
	start, err := ParseMonth(month)
	if err != nil {
		return ZeroReport{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	if start.AddDate(0, 1, 0).After(now) {
		return ZeroReport{}, invalid("force.zero_month_not_over")
	}
	z := ZeroReport{ID: id.New("fzr"), Unit: strings.TrimSpace(by.Unit), Month: MonthOf(start), FiledBy: by.ID, FiledAt: now, FiledByUsername: by.Username}
	err = s.db.Tx(ctx, func(tx *store.Tx) error {
		if err := lockUnit(ctx, tx, unitKey); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, "SELECT COUNT(*) FROM force_incidents WHERE unit_key = ? AND month = ?", unitKey, z.Month).Scan(&n); err != nil {
			return fmt.Errorf("force: zero report: %w", err)
		}
		if n > 0 {
			return conflict("force.zero_has_incidents", "month", z.Month, "n", n)
		}
		_, err := tx.Exec(ctx, "INSERT INTO force_zero_reports (id, unit, unit_key, month, filed_by, filed_at) VALUES (?, ?, ?, ?, ?, ?)",
			z.ID, z.Unit, unitKey, z.Month, by.ID, store.Micros(now))
		if errors.Is(err, store.ErrConflict) {
			return conflict("force.zero_exists", "month", z.Month)
		}
		if err != nil {
			return fmt.Errorf("force: zero report: %w", err)
		}
		_, err = s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evZeroReportFiled, Actor: by.Actor(), Subject: zeroSubject(z.ID),
			Facts:   map[string]any{"zero_report": z.ID, "month": z.Month},
			Private: map[string]string{"unit": z.Unit},
		})
		return err
	})
	if err != nil {
		return ZeroReport{}, err
	}
	return z, nil
}

// MonthRange is a range of months, both ends included, as YYYY-MM.
type MonthRange struct {
	From, To string
}

// MaxMonths is the longest range a query covers.
const MaxMonths = 120

// months lists the months of the range.
func (r MonthRange) months() ([]string, error) {
	from, err := ParseMonth(r.From)
	if err != nil {
		return nil, err
	}
	to, err := ParseMonth(r.To)
	if err != nil {
		return nil, err
	}
	if to.Before(from) {
		return nil, invalid("force.month_range")
	}
	var out []string
	for m := from; !m.After(to); m = m.AddDate(0, 1, 0) {
		if len(out) == MaxMonths {
			return nil, invalid("force.month_range_long", "max", MaxMonths)
		}
		out = append(out, MonthOf(m))
	}
	return out, nil
}

// lastMonths is the range of n months ending with the month of end.
func lastMonths(end time.Time, n int) MonthRange {
	end = end.UTC()
	first := time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC)
	return MonthRange{From: MonthOf(first.AddDate(0, -(n - 1), 0)), To: MonthOf(first)}
}

// ZeroQuery selects zero reports.
type ZeroQuery struct {
	// Unit keeps one unit's (a commander sees only their own anyway).
	Unit string
	// Range keeps the months in range; empty ends mean no limit.
	Range MonthRange
	// Contradicted keeps only zero reports a later incident contradicts.
	Contradicted bool
}

// ZeroReports lists zero reports, latest month first. A commander sees
// their unit's; oversight and admins everyone's.
func (s *Service) ZeroReports(ctx context.Context, viewer auth.Account, q ZeroQuery) ([]ZeroReport, error) {
	where, args := []string{"1 = 1"}, []any{}
	switch {
	case viewer.Role.Is(CanReadAll...):
	case viewer.Role == auth.Commander:
		if q.Unit != "" && UnitKey(q.Unit) != UnitKey(viewer.Unit) {
			return nil, forbidden("force.forbidden_other_unit")
		}
		q.Unit = viewer.Unit
		if UnitKey(q.Unit) == "" {
			return nil, nil
		}
	default:
		return nil, forbidden("force.forbidden_zero_read")
	}
	if q.Unit != "" {
		where, args = append(where, "z.unit_key = ?"), append(args, UnitKey(q.Unit))
	}
	if q.Range.From != "" {
		if _, err := ParseMonth(q.Range.From); err != nil {
			return nil, err
		}
		where, args = append(where, "z.month >= ?"), append(args, strings.TrimSpace(q.Range.From))
	}
	if q.Range.To != "" {
		if _, err := ParseMonth(q.Range.To); err != nil {
			return nil, err
		}
		where, args = append(where, "z.month <= ?"), append(args, strings.TrimSpace(q.Range.To))
	}
	if q.Contradicted {
		where = append(where, "z.contradicted_by IS NOT NULL")
	}
	rows, err := s.db.Query(ctx, `SELECT z.id, z.unit, z.month, z.filed_by, z.filed_at, z.contradicted_by, a.username
		FROM force_zero_reports z JOIN accounts a ON a.id = z.filed_by WHERE `+strings.Join(where, " AND ")+` ORDER BY z.month DESC, z.unit_key LIMIT 2000`, args...)
	if err != nil {
		return nil, fmt.Errorf("force: zero reports: %w", err)
	}
	defer rows.Close()
	var out []ZeroReport
	for rows.Next() {
		var z ZeroReport
		var filed int64
		var contradicted sql.NullString
		if err := rows.Scan(&z.ID, &z.Unit, &z.Month, &z.FiledBy, &filed, &contradicted, &z.FiledByUsername); err != nil {
			return nil, err
		}
		z.FiledAt, z.ContradictedBy = store.FromMicros(filed), contradicted.String
		out = append(out, z)
	}
	return out, rows.Err()
}

// MissingZero is a unit and the ended months for which it has neither
// reported a use of force nor filed a zero report.
type MissingZero struct {
	Unit   string
	Months []string
}

// DefaultMissingMonths is how many ended months MissingZeroReports looks
// back by default.
const DefaultMissingMonths = 6

// MissingZeroReports lists, for each unit, the months in r (by default
// the last DefaultMissingMonths months that have ended) in which it
// reported no incident and filed no zero report. Only months that have
// ended count. A unit is expected to report from the first whole month
// after its first member's account was made; a unit is the set of enabled
// officers and commanders whose unit compares equal. A commander sees
// their own unit only; oversight and admins every unit.
func (s *Service) MissingZeroReports(ctx context.Context, viewer auth.Account, r MonthRange) ([]MissingZero, error) {
	only := ""
	switch {
	case viewer.Role.Is(CanReadAll...):
	case viewer.Role == auth.Commander:
		if only = UnitKey(viewer.Unit); only == "" {
			return nil, nil
		}
	default:
		return nil, forbidden("force.forbidden_zero_read")
	}
	now := s.now().UTC()
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if r.From == "" && r.To == "" {
		r = lastMonths(thisMonth.AddDate(0, -1, 0), DefaultMissingMonths)
	}
	months, err := r.months()
	if err != nil {
		return nil, err
	}
	// Units, their most common spelling, and since when they report.
	type unit struct {
		spellings map[string]int
		name      string
		since     string // first month expected
	}
	units := map[string]*unit{}
	rows, err := s.db.Query(ctx, "SELECT unit, created_at FROM accounts WHERE disabled = 0 AND role IN (?, ?) AND unit <> '' ORDER BY created_at, id",
		string(auth.Officer), string(auth.Commander))
	if err != nil {
		return nil, fmt.Errorf("force: missing zero reports: %w", err)
	}
	for rows.Next() {
		var name string
		var created int64
		if err := rows.Scan(&name, &created); err != nil {
			rows.Close()
			return nil, err
		}
		key := UnitKey(name)
		if only != "" && key != only {
			continue
		}
		u, ok := units[key]
		if !ok {
			c := store.FromMicros(created)
			first := time.Date(c.Year(), c.Month(), 1, 0, 0, 0, 0, time.UTC)
			if !first.Equal(c) {
				first = first.AddDate(0, 1, 0)
			}
			u = &unit{spellings: map[string]int{}, since: MonthOf(first)}
			units[key] = u
		}
		name = strings.TrimSpace(name)
		u.spellings[name]++
		if n := u.spellings[name]; u.name == "" || n > u.spellings[u.name] || (n == u.spellings[u.name] && name < u.name) {
			u.name = name
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("force: missing zero reports: %w", err)
	}
	// What each unit did report, in the range.
	covered := map[string]bool{} // unit key + " " + month
	for _, q := range []string{
		"SELECT DISTINCT unit_key, month FROM force_incidents WHERE month >= ? AND month <= ?",
		"SELECT unit_key, month FROM force_zero_reports WHERE month >= ? AND month <= ?",
	} {
		rows, err := s.db.Query(ctx, q, months[0], months[len(months)-1])
		if err != nil {
			return nil, fmt.Errorf("force: missing zero reports: %w", err)
		}
		for rows.Next() {
			var key, month string
			if err := rows.Scan(&key, &month); err != nil {
				rows.Close()
				return nil, err
			}
			covered[key+" "+month] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("force: missing zero reports: %w", err)
		}
	}
	current := MonthOf(thisMonth)
	var out []MissingZero
	for key, u := range units {
		m := MissingZero{Unit: u.name}
		for _, month := range months {
			if month >= current || month < u.since || covered[key+" "+month] {
				continue
			}
			m.Months = append(m.Months, month)
		}
		if len(m.Months) > 0 {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return UnitKey(out[i].Unit) < UnitKey(out[j].Unit) })
	return out, nil
}
