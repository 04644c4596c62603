package disrupt

// The STOP format
//
// Access Now publishes the STOP dataset (#KeepItOn Shutdown Tracker
// Optimization Project, https://www.accessnow.org/guide/shutdown-tracker-optimization-project/)
// as a Google Sheet (https://www.accessnow.org/keepiton-data-spreadsheet,
// sheet 1DvPAuHNLp5BXGb0nnZDGNoiIwEeu2ogdXEIDvT4Hyfk), one sheet per year
// and a "Combined (2016-2025)" sheet, exported as CSV. No codebook from
// Access Now was found. The columns below are the closest documented list:
// the header of the test fixture in RoyalLionSun/Iran-Censorship-Monitor,
// tests/accessnow.test.mjs (commit 021da86e22697a2814b09a6c46dc1f2ad6c7d23f),
// written for its reader of that sheet, lib/accessnow.mjs (commit
// fc984f70b2c4caba7c485e24344cdf5b6b6b2080); only it gives the order. The
// names and values agree with other readers of the sheet, which match
// columns by name: Muhanad-husn/The-global-cost-of-internet-shutdowns
// (src/internet_shutdowns/clean.py, data/processed/SNAPSHOTS.md,
// IMPLEMENTATION_PLAN.md), anoni-net/docs (tools/gen_shutdowns_snapshot.py)
// and bebhuvan/this-indian-life (scripts/ingest-offswitch.py).
//
//	start_date_type      how the start date is known, e.g. "Actual"
//	start_date           M/D/YYYY, e.g. 9/21/2022
//	country              UN name, e.g. "Iran (Islamic Republic of)"; several joined by "; "
//	geo_scope            e.g. "It affected locations in more than one state, province, or region"
//	area_name            places, comma-separated, e.g. "Western Oromia, Wellega, Kellem", "Nationwide"
//	shutdown_type        "Shutdown", "Throttle", "Shutdown, Throttle" or "Unknown"
//	affected_network     "Broadband", "Mobile", "Broadband, Mobile"
//	shutdown_extent      "Full network", "Service-based", "Full network, Service-based"
//	ordered_by           kind of authority, e.g. "Executive government"
//	decision_maker       who decided
//	actual_cause         e.g. "Protests", "Elections", "Exam cheating", "Information control", "Conflict"
//	actual_cause_details free text
//	info_source          e.g. "News media article", "CSO KIO partners", "Other"
//	info_source_link     URLs joined by "; "
//	shutdown_status      "Ended", "Ongoing", "Unknown"
//	end_date             M/D/YYYY, empty while ongoing
//	duration             as written; numbers, or words such as "Curfew Style"
//	gov_justification    the government's stated reason
//	gov_ack              Yes / No / empty
//	facebook_affected    Yes / No / empty; so too twitter_affected, whatsapp_affected,
//	                     instagram_affected, telegram_affected
//	other_affected       other services by name, e.g. "Signal"
//	sms_affected         Yes / No / empty; so too phonecall_affected
//	telcos_involved      operators involved
//	election             Yes / No / empty; so too violence, hr_abuse_reported
//	users_targeted       who was targeted; users_target_detail says more
//	event                description
//	an_link              Access Now's page(s)
//	region               world region, e.g. "MENA"
//
// The combined sheet has 47 columns; the list above has 36. Two more are
// documented by name: legal_method (read from the sheet by
// scripts/ingest-offswitch.py) and
// count_year (the year a row is counted in, SNAPSHOTS.md). Vigil reads and
// writes legal_method, after the 36, since its place in the sheet is not
// documented; count_year describes the dataset, not an order, and is
// ignored like any other column not listed. The separator in other_affected
// is not documented (the one example holds one service); Vigil writes ", "
// as in the dataset's other lists and reads "," or ";". The unit of
// duration is not documented either, so it is kept as written.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Limits on an import.
const (
	// MaxSTOPBytes is the largest file ReadSTOP reads. The whole STOP
	// dataset, some two thousand rows, is a few megabytes.
	MaxSTOPBytes = 16 << 20
	// MaxSTOPRows is the most data rows ReadSTOP reads.
	MaxSTOPRows = 20_000
	// MaxRowErrors is the most problems ReadSTOP lists; past it, one more
	// RowError says how many were left out.
	MaxRowErrors = 1000
	// maxColumns bounds the header; the combined sheet has 47 columns.
	maxColumns = 500
)

// ErrFormat means the input is not a STOP file Vigil can read: no header,
// required columns missing, a column named twice.
var ErrFormat = errors.New("not a STOP file")

// ErrTooLarge means the input is over MaxSTOPBytes or MaxSTOPRows.
var ErrTooLarge = errors.New("STOP file too large")

// MissingColumnsError names the required columns a header lacks.
type MissingColumnsError struct {
	Columns []string
}

func (e *MissingColumnsError) Error() string {
	return "the header lacks the required column(s) " + strings.Join(e.Columns, ", ")
}

// Unwrap returns ErrFormat.
func (e *MissingColumnsError) Unwrap() error { return ErrFormat }

// RowError is one problem with the input: a bad row (Line is the line it
// starts on, Column the column at fault if one is) or, when Msg is
// IgnoredColumn, a column ReadSTOP does not know and skipped (Line is the
// header's line).
type RowError struct {
	Line   int
	Column string
	Msg    string
}

func (e RowError) Error() string {
	if e.Column == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Msg)
}

// IgnoredColumn is the Msg of a RowError that reports a column not in the
// STOP format: a notice, not a bad row.
const IgnoredColumn = "not a STOP column Vigil reads; its values were ignored"

// BadRows returns the RowErrors that report bad rows, leaving out notices
// of ignored columns.
func BadRows(errs []RowError) []RowError {
	var bad []RowError
	for _, e := range errs {
		if e.Msg != IgnoredColumn {
			bad = append(bad, e)
		}
	}
	return bad
}

// Columns returns the columns WriteSTOP writes, in order.
func Columns() []string {
	out := make([]string, len(columns))
	for i, c := range columns {
		out[i] = c.name
	}
	return out
}

// RequiredColumns returns the columns ReadSTOP requires in a header.
func RequiredColumns() []string { return slices.Clone(required) }

var required = []string{"start_date", "end_date", "country", "shutdown_type"}

// ReadSTOP reads a STOP-format CSV file: a header row, then one order per
// row. Columns are matched by name, ignoring case and surrounding spaces,
// in any order; a column ReadSTOP does not know is skipped and reported
// with a RowError whose Msg is IgnoredColumn. Rows whose cells are all
// empty are skipped.
//
// A bad row (a cell that cannot be read, or an order that fails Validate)
// is skipped and reported with one RowError per problem, naming its line
// and column, so that every problem in a file can be shown at once. The
// orders returned are those of the good rows, each valid. The caller
// decides what to do with a partly bad file; an import into Vigil should
// take nothing unless BadRows is empty.
//
// The error is non-nil only if the file cannot be read at all, and then
// nothing else is returned. It wraps ErrFormat if there is no header, the
// header is not valid CSV or names a column twice, or a required column
// is missing (a *MissingColumnsError); ErrTooLarge if the file is over
// MaxSTOPBytes or MaxSTOPRows; or else it is the reader's own error.
// Broken CSV quoting in a data row is a RowError, not an error.
//
// Cells that start with a single quote followed by =, +, -, @, a tab, a
// carriage return or another single quote lose that quote: it is the guard
// WriteSTOP adds against formula injection.
func ReadSTOP(r io.Reader) ([]Order, []RowError, error) {
	orders, _, problems, err := readSTOP(r)
	return orders, problems, err
}

// readSTOP is ReadSTOP that also returns the line each order starts on.
func readSTOP(r io.Reader) ([]Order, []int, []RowError, error) {
	cr := &capReader{r: r, left: MaxSTOPBytes}
	csvr := csv.NewReader(cr)
	csvr.FieldsPerRecord = -1

	fail := func(err error) ([]Order, []int, []RowError, error) {
		if cr.over {
			return nil, nil, nil, fmt.Errorf("%w: it is over %d MiB", ErrTooLarge, MaxSTOPBytes>>20)
		}
		return nil, nil, nil, err
	}

	header, err := csvr.Read()
	if err == io.EOF {
		return nil, nil, nil, fmt.Errorf("%w: the file is empty; it needs a header row naming the columns", ErrFormat)
	}
	if err != nil {
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			return fail(fmt.Errorf("%w: the header row (line %d) is not valid CSV: %v", ErrFormat, perr.StartLine, perr.Err))
		}
		return fail(err)
	}
	headerLine, _ := csvr.FieldPos(0)
	if len(header) > maxColumns {
		return nil, nil, nil, fmt.Errorf("%w: the header has %d columns; at most %d are allowed", ErrFormat, len(header), maxColumns)
	}

	var notes []RowError
	at := make([]*column, len(header)) // at[i] is the column in cell i, nil if ignored
	seen := map[string]bool{}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		name := strings.ToLower(strings.TrimSpace(h))
		c := byName[name]
		if c == nil {
			label := strings.TrimSpace(h)
			if label == "" {
				label = fmt.Sprintf("(unnamed column %d)", i+1)
			}
			notes = append(notes, RowError{Line: headerLine, Column: clip(label, 100), Msg: IgnoredColumn})
			continue
		}
		if seen[name] {
			return nil, nil, nil, fmt.Errorf("%w: the column %s appears twice in the header", ErrFormat, name)
		}
		seen[name] = true
		at[i] = c
	}
	var missing []string
	for _, name := range required {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return nil, nil, nil, &MissingColumnsError{Columns: missing}
	}

	var (
		orders   []Order
		lines    []int
		problems = rowErrors{list: notes}
		rows     int
	)
	for {
		rec, err := csvr.Read()
		if err == io.EOF {
			break
		}
		if rows++; rows > MaxSTOPRows {
			return nil, nil, nil, fmt.Errorf("%w: it has more than %d rows", ErrTooLarge, MaxSTOPRows)
		}
		if err != nil {
			var perr *csv.ParseError
			if cr.over || !errors.As(err, &perr) {
				return fail(err)
			}
			problems.add(RowError{Line: perr.StartLine, Msg: "the row is not valid CSV: " + perr.Err.Error()})
			continue
		}
		line, _ := csvr.FieldPos(0)
		if !slices.ContainsFunc(rec, func(s string) bool { return strings.TrimSpace(s) != "" }) {
			continue
		}
		if len(rec) != len(header) {
			problems.add(RowError{Line: line, Msg: fmt.Sprintf("the row has %d cells; the header has %d", len(rec), len(header))})
			continue
		}
		var (
			o   Order
			bad = map[string]bool{} // columns with a problem
		)
		for i, cell := range rec {
			c := at[i]
			if c == nil {
				continue
			}
			if err := c.set(&o, unguard(strings.TrimSpace(cell))); err != nil {
				problems.add(RowError{Line: line, Column: c.name, Msg: err.Error()})
				bad[c.name] = true
			}
		}
		o.Services = canonicalServices(o.Services)
		if err := o.Validate(); err != nil {
			for _, e := range fieldErrors(err) {
				col := fieldColumn[e.Field]
				if !bad[col] {
					problems.add(RowError{Line: line, Column: col, Msg: e.Msg})
				}
			}
			continue
		}
		if len(bad) > 0 {
			continue
		}
		orders = append(orders, o)
		lines = append(lines, line)
	}
	return orders, lines, problems.done(), nil
}

// WriteSTOP writes orders as a STOP-format CSV file: a header row with
// Columns, then one row per order. It writes nothing if an order fails
// Validate, and returns every order's problems joined, each naming the
// order's place (from 1) in orders.
//
// Fields without a STOP column (Challenged, Implemented, CustomersTold) are
// not written. Dates are written M/D/YYYY in UTC. A service is written Yes
// in its own column if it has one, or by name in other_affected; a column
// for a service not listed is left empty, not No.
//
// A cell that a spreadsheet could take for a formula, one starting with
// =, +, -, @, a tab or a carriage return, is written with a single quote
// before it (OWASP's advice on CSV injection), as is a cell that starts
// with a quote followed by one of those or another quote, so that ReadSTOP
// gives back exactly what was written.
func WriteSTOP(w io.Writer, orders []Order) error {
	var errs []error
	for i := range orders {
		if err := orders[i].Validate(); err != nil {
			errs = append(errs, fmt.Errorf("order %d: %w", i+1, err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(Columns()); err != nil {
		return err
	}
	rec := make([]string, len(columns))
	for i := range orders {
		for j, c := range columns {
			rec[j] = guard(c.get(&orders[i]))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// column is one STOP column and how it maps onto an Order.
type column struct {
	name string
	// field is the Order field whose validation errors belong to this
	// column; empty if none.
	field string
	get   func(*Order) string
	set   func(*Order, string) error
}

var columns = []*column{
	text("start_date_type", "StartDateType", func(o *Order) *string { return &o.StartDateType }),
	date("start_date", "Start", func(o *Order) *time.Time { return &o.Start }),
	text("country", "Country", func(o *Order) *string { return &o.Country }),
	text("geo_scope", "GeoScope", func(o *Order) *string { return &o.GeoScope }),
	list("area_name", "Regions", ", ", ",\n", func(o *Order) *[]string { return &o.Regions }),
	enum("shutdown_type", "Types", "shutdown type", shutdownTypes, func(o *Order) *[]ShutdownType { return &o.Types }),
	enum("affected_network", "Networks", "network", networks, func(o *Order) *[]Network { return &o.Networks }),
	enum("shutdown_extent", "Extent", "extent", extents, func(o *Order) *[]Extent { return &o.Extent }),
	text("ordered_by", "OrderedBy", func(o *Order) *string { return &o.OrderedBy }),
	text("decision_maker", "IssuingAuthority", func(o *Order) *string { return &o.IssuingAuthority }),
	text("actual_cause", "ActualCause", func(o *Order) *string { return &o.ActualCause }),
	text("actual_cause_details", "ActualCauseDetails", func(o *Order) *string { return &o.ActualCauseDetails }),
	text("info_source", "InfoSource", func(o *Order) *string { return &o.InfoSource }),
	links("info_source_link", "SourceLinks", func(o *Order) *[]string { return &o.SourceLinks }),
	status("shutdown_status", "Status"),
	date("end_date", "End", func(o *Order) *time.Time { return &o.End }),
	text("duration", "Duration", func(o *Order) *string { return &o.Duration }),
	text("gov_justification", "Justification", func(o *Order) *string { return &o.Justification }),
	answer("gov_ack", "GovernmentAcknowledged", func(o *Order) *Answer { return &o.GovernmentAcknowledged }),
	service("facebook_affected", ServiceFacebook),
	service("twitter_affected", ServiceTwitter),
	service("whatsapp_affected", ServiceWhatsApp),
	service("instagram_affected", ServiceInstagram),
	service("telegram_affected", ServiceTelegram),
	otherServices("other_affected", "Services"),
	service("sms_affected", ServiceSMS),
	service("phonecall_affected", ServicePhoneCalls),
	text("telcos_involved", "Telcos", func(o *Order) *string { return &o.Telcos }),
	answer("election", "Election", func(o *Order) *Answer { return &o.Election }),
	answer("violence", "Violence", func(o *Order) *Answer { return &o.Violence }),
	answer("hr_abuse_reported", "HumanRightsAbuse", func(o *Order) *Answer { return &o.HumanRightsAbuse }),
	text("users_targeted", "UsersTargeted", func(o *Order) *string { return &o.UsersTargeted }),
	text("users_target_detail", "UsersTargetDetail", func(o *Order) *string { return &o.UsersTargetDetail }),
	text("event", "Event", func(o *Order) *string { return &o.Event }),
	links("an_link", "AccessNowLinks", func(o *Order) *[]string { return &o.AccessNowLinks }),
	text("region", "WorldRegion", func(o *Order) *string { return &o.WorldRegion }),
	// Documented by name but not by place; see the top of this file.
	text("legal_method", "LegalBasis", func(o *Order) *string { return &o.LegalBasis }),
}

var (
	byName      = map[string]*column{}
	fieldColumn = map[string]string{} // Order field -> column name
)

func init() {
	for _, c := range columns {
		byName[c.name] = c
		if c.field != "" {
			fieldColumn[c.field] = c.name
		}
	}
}

func text(name, field string, f func(*Order) *string) *column {
	return &column{
		name: name, field: field,
		get: func(o *Order) string { return *f(o) },
		set: func(o *Order, s string) error { *f(o) = s; return nil },
	}
}

const dateLayout = "1/2/2006"

func formatDate(t time.Time) string { return t.UTC().Format(dateLayout) }

func date(name, field string, f func(*Order) *time.Time) *column {
	return &column{
		name: name, field: field,
		get: func(o *Order) string {
			if t := *f(o); !t.IsZero() {
				return formatDate(t)
			}
			return ""
		},
		set: func(o *Order, s string) error {
			if s == "" {
				return nil
			}
			for _, layout := range []string{dateLayout, time.DateOnly} {
				if t, err := time.Parse(layout, s); err == nil {
					*f(o) = t
					return nil
				}
			}
			return fmt.Errorf("%.40q is not a date; write month/day/year, for example 9/21/2022", s)
		},
	}
}

func answer(name, field string, f func(*Order) *Answer) *column {
	return &column{
		name: name, field: field,
		get: func(o *Order) string { return f(o).String() },
		set: func(o *Order, s string) error {
			a, err := parseAnswer(s)
			*f(o) = a
			return err
		},
	}
}

func parseAnswer(s string) (Answer, error) {
	switch strings.ToLower(s) {
	case "", "unknown":
		return Unknown, nil
	case "yes", "true":
		return Yes, nil
	case "no", "false":
		return No, nil
	}
	return Unknown, fmt.Errorf("%.40q is not an answer; write Yes, No, or leave the cell empty", s)
}

// split cuts a cell into trimmed, non-empty items where sep says, dropping
// repeats (ignoring case if fold). It stops at MaxItems distinct items, so
// that a hostile cell costs little.
func split(s string, sep func(rune) bool, fold bool) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for item := range strings.FieldsFuncSeq(s, sep) {
		item = strings.TrimSpace(item)
		key := item
		if fold {
			key = strings.ToLower(item)
		}
		if item == "" || seen[key] {
			continue
		}
		if len(out) == MaxItems {
			return nil, fmt.Errorf("the cell lists more than %d items", MaxItems)
		}
		seen[key] = true
		out = append(out, item)
	}
	return out, nil
}

// anyOf returns a sep for split that cuts at any rune of seps.
func anyOf(seps string) func(rune) bool {
	return func(r rune) bool { return strings.ContainsRune(seps, r) }
}

func list(name, field, join, seps string, f func(*Order) *[]string) *column {
	return &column{
		name: name, field: field,
		get: func(o *Order) string { return strings.Join(*f(o), join) },
		set: func(o *Order, s string) (err error) {
			*f(o), err = split(s, anyOf(seps), true)
			return err
		},
	}
}

// links are addresses joined by "; "; ReadSTOP also splits at white space,
// which an address cannot hold.
func links(name, field string, f func(*Order) *[]string) *column {
	c := list(name, field, "; ", "", f)
	c.set = func(o *Order, s string) (err error) {
		*f(o), err = split(s, func(r rune) bool { return unicode.IsSpace(r) || r == ';' }, false)
		return err
	}
	return c
}

// enum is a comma-separated list of known values, written in the order of
// all and read in any order and case.
func enum[T ~string](name, field, what string, all []T, f func(*Order) *[]T) *column {
	return &column{
		name: name, field: field,
		get: func(o *Order) string {
			var parts []string
			for _, v := range all {
				if slices.Contains(*f(o), v) {
					parts = append(parts, string(v))
				}
			}
			return strings.Join(parts, ", ")
		},
		set: func(o *Order, s string) error {
			items, err := split(s, anyOf(","), false)
			if err != nil {
				return err
			}
			var got []T
			for _, item := range items {
				i := slices.IndexFunc(all, func(v T) bool { return strings.EqualFold(string(v), item) })
				if i < 0 {
					return fmt.Errorf("%.40q is not a %s STOP uses; use %s", item, what, strings.Join(names(all), ", "))
				}
				got = append(got, all[i])
			}
			var out []T
			for _, v := range all {
				if slices.Contains(got, v) {
					out = append(out, v)
				}
			}
			*f(o) = out
			return nil
		},
	}
}

func status(name, field string) *column {
	return &column{
		name: name, field: field,
		get: func(o *Order) string { return string(o.Status) },
		set: func(o *Order, s string) error {
			if s == "" {
				return nil
			}
			i := slices.IndexFunc(statuses, func(v Status) bool { return strings.EqualFold(string(v), s) })
			if i < 0 {
				return fmt.Errorf("%.40q is not a status STOP uses; use %s", s, strings.Join(names(statuses), ", "))
			}
			o.Status = statuses[i]
			return nil
		},
	}
}

// service is the Yes/No column of one named service.
func service(name, svc string) *column {
	return &column{
		name: name,
		get: func(o *Order) string {
			if slices.Contains(o.Services, svc) {
				return Yes.String()
			}
			return ""
		},
		set: func(o *Order, s string) error {
			a, err := parseAnswer(s)
			if a == Yes {
				o.Services = append(o.Services, svc)
			}
			return err
		},
	}
}

// otherServices is the column of services without a column of their own.
func otherServices(name, field string) *column {
	return &column{
		name: name, field: field,
		get: func(o *Order) string {
			var others []string
			for _, s := range o.Services {
				if !slices.Contains(namedServices, s) {
					others = append(others, s)
				}
			}
			return strings.Join(others, ", ")
		},
		set: func(o *Order, s string) error {
			others, err := split(s, anyOf(",;\n"), true)
			o.Services = append(o.Services, others...)
			return err
		},
	}
}

// canonicalServices puts the named services first, in the order of their
// columns and spelt as their constants, then the others in the order
// given, each once (ignoring case, as Validate does).
func canonicalServices(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range namedServices {
		if slices.ContainsFunc(in, func(s string) bool { return strings.EqualFold(s, n) }) {
			out = append(out, n)
			seen[strings.ToLower(n)] = true
		}
	}
	for _, s := range in {
		if k := strings.ToLower(s); !seen[k] && !slices.ContainsFunc(namedServices, func(n string) bool { return strings.EqualFold(s, n) }) {
			out = append(out, s)
			seen[k] = true
		}
	}
	return out
}

// fieldErrors flattens the errors Validate joins.
func fieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		out = append(out, &FieldError{Msg: err.Error()})
	}
	walk(err)
	return out
}

// triggers start cells a spreadsheet may run as formulas.
func trigger(b byte) bool {
	return b == '=' || b == '+' || b == '-' || b == '@' || b == '\t' || b == '\r'
}

// guard prefixes a single quote to a cell a spreadsheet could take for a
// formula, and to one that already starts with a quote and a character
// unguard would strip, so that unguard(guard(s)) == s.
func guard(s string) string {
	if s != "" && (trigger(s[0]) || len(s) > 1 && s[0] == '\'' && (trigger(s[1]) || s[1] == '\'')) {
		return "'" + s
	}
	return s
}

func unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && (trigger(s[1]) || s[1] == '\'') {
		return s[1:]
	}
	return s
}

// rowErrors collects RowErrors up to MaxRowErrors.
type rowErrors struct {
	list    []RowError
	dropped int
	first   int // line of the first one dropped
}

func (r *rowErrors) add(e RowError) {
	if len(r.list) < MaxRowErrors {
		r.list = append(r.list, e)
		return
	}
	if r.dropped == 0 {
		r.first = e.Line
	}
	r.dropped++
}

func (r *rowErrors) done() []RowError {
	if r.dropped > 0 {
		r.list = append(r.list, RowError{Line: r.first, Msg: fmt.Sprintf("%d more problems from this line on were not listed", r.dropped)})
	}
	return r.list
}

// capReader reads at most left bytes and notes if there are more.
type capReader struct {
	r    io.Reader
	left int64
	over bool
}

var errOver = errors.New("input over the size limit")

func (c *capReader) Read(p []byte) (int, error) {
	if c.over {
		return 0, errOver
	}
	if c.left <= 0 {
		var b [1]byte
		n, err := io.ReadFull(c.r, b[:])
		if n > 0 {
			c.over = true
			return 0, errOver
		}
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// clip makes s fit to show: valid UTF-8, no control characters, at most n
// runes.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
