package disrupt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }

// env is a register over a real database, with an account of each role
// that matters here.
type env struct {
	t   *testing.T
	db  *store.DB
	s   *Service
	acc map[auth.Role]auth.Account
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	outbox := ledger.NewOutbox()
	as := auth.New(db, outbox, auth.Config{Params: auth.Params{Memory: 1024, Time: 1, Threads: 1}})
	e := &env{t: t, db: db, s: NewService(db, outbox), acc: map[auth.Role]auth.Account{}}
	// Status changes are checked against today; the tests live in 2025.
	e.s.now = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	for _, r := range auth.Roles {
		a, _, err := as.Create(context.Background(), ledger.System, auth.NewAccount{Username: "user." + string(r), Role: r})
		if err != nil {
			t.Fatal(err)
		}
		e.acc[r] = a
	}
	return e
}

// events returns the log entries recorded so far, oldest first.
func (e *env) events() []ledger.Stored {
	e.t.Helper()
	list, err := ledger.List(context.Background(), e.db, ledger.Query{Limit: 500})
	if err != nil {
		e.t.Fatal(err)
	}
	slices.Reverse(list)
	var out []ledger.Stored
	for _, ev := range list {
		if strings.HasPrefix(ev.Type, "disruption.") {
			out = append(out, ev)
		}
	}
	return out
}

func entry(t *testing.T, ev ledger.Stored) ledger.Entry {
	t.Helper()
	en, err := ledger.ParseEntry(ev.Entry)
	if err != nil {
		t.Fatalf("entry %d: %v", ev.ID, err)
	}
	return en
}

func (e *env) count() int {
	e.t.Helper()
	n, err := e.s.Count(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// i18nKey returns the catalog key of an i18n error, or "".
func i18nKey(err error) string {
	var ie *i18n.Error
	if errors.As(err, &ie) {
		return ie.Key
	}
	return ""
}

func TestRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		mod := e.acc[auth.Moderator]

		in := fullOrder()
		in.Start = in.Start.Add(15 * time.Hour) // a time of day is dropped: STOP records days
		in.Services = []string{"YouTube", ServiceSMS, "Signal", ServiceFacebook}
		in.Networks = []Network{NetworkMobile, NetworkBroadband}
		in.Challenged, in.Implemented = Yes, Yes
		r, ev, err := e.s.Record(ctx, mod, in)
		if err != nil {
			t.Fatal(err)
		}
		want := fullOrder()
		want.Services = []string{ServiceFacebook, ServiceSMS, "YouTube", "Signal"}
		want.Challenged, want.Implemented = Yes, Yes
		got, err := e.s.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got.Order); diff != "" {
			t.Errorf("stored order (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, got.AsRecorded); diff != "" {
			t.Errorf("as recorded (-want +got):\n%s", diff)
		}
		if got.Source != Entered || got.RecordedBy != mod.ID || got.Key != want.Key() || len(got.History) != 0 || !got.Lifted.IsZero() {
			t.Errorf("record = %+v", got)
		}
		if f := got.Flags(); len(f) != 3 || f[0].Paragraphs != "21-23" {
			t.Errorf("flags = %v", f)
		}

		// The event carries the structured facts, and commitments only to text.
		evs := e.events()
		if len(evs) != 1 || evs[0].ID != ev || evs[0].Type != "disruption.order_recorded" || evs[0].Subject != "disruption:"+r.ID {
			t.Fatalf("events = %+v", evs)
		}
		en := entry(t, evs[0])
		wantFacts := map[string]any{
			"order": r.ID, "source": "entered", "country": []any{"cameroon", "central-african-republic"},
			"types": []any{"shutdown", "throttle", "unknown"}, "extent": []any{"full_network", "service_based"},
			"networks": []any{"broadband", "mobile"}, "services": []any{"facebook", "sms"},
			"other_services": json.Number("2"), "regions": json.Number("3"),
			"start": "2017-01-17", "end": "2017-04-20", "status": "ended",
			"challenged": "yes", "implemented": "yes", "customers_told": "unknown",
		}
		var facts map[string]any
		dec := json.NewDecoder(bytes.NewReader(evs[0].Entry))
		dec.UseNumber()
		var raw struct {
			Facts map[string]any `json:"facts"`
		}
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		facts = raw.Facts
		if diff := cmp.Diff(wantFacts, facts); diff != "" {
			t.Errorf("facts (-want +got):\n%s", diff)
		}
		for _, k := range []string{"issuing_authority", "legal_basis", "record", "region_names", "actor"} {
			if en.Commit[k] == "" {
				t.Errorf("no commitment to %s", k)
			}
		}

		// The same order again, written differently, is a duplicate.
		again := fullOrder()
		again.Country = "central african  republic;CAMEROON"
		again.Regions = []string{"bamenda", "South-West", "North-West"}
		again.End = time.Time{}
		again.Status = StatusOngoing
		again.Event = "Another description of the same order."
		again.Services = []string{ServiceFacebook, "signal", ServiceSMS, "youtube"}
		_, _, err = e.s.Record(ctx, e.acc[auth.Admin], again)
		var dup *DuplicateError
		if !errors.As(err, &dup) || dup.Existing != r.ID || !errors.Is(err, ErrDuplicate) {
			t.Fatalf("recording it again: %v, want a *DuplicateError naming %s", err, r.ID)
		}
		// A day later, or in another region, it is another order.
		other := fullOrder()
		other.Start = other.Start.AddDate(0, 0, 1)
		other.Services = in.Services
		if _, _, err := e.s.Record(ctx, e.acc[auth.Admin], other); err != nil {
			t.Fatalf("an order a day later: %v", err)
		}

		// Only the operator's staff record orders.
		for _, role := range auth.Roles {
			o := sampleOrders[1]
			o.Regions = []string{"Region of the " + string(role)}
			_, _, err := e.s.Record(ctx, e.acc[role], o)
			if role.Is(CanRecord...) {
				if err != nil {
					t.Errorf("%s recording: %v", role, err)
				}
				continue
			}
			if !errors.Is(err, ErrForbidden) {
				t.Errorf("%s recording: %v, want ErrForbidden", role, err)
			}
		}

		// An invalid order says what is wrong, field by field, and is not recorded.
		before := e.count()
		bad := fullOrder()
		bad.Country = ""
		bad.End = bad.Start.AddDate(0, 0, -1)
		_, _, err = e.s.Record(ctx, mod, bad)
		if !errors.Is(err, ErrInvalid) {
			t.Fatalf("invalid order: %v", err)
		}
		var fields []string
		for _, fe := range fieldErrors(err) {
			fields = append(fields, fe.Field)
		}
		if !slices.Equal(fields, []string{"Country", "End"}) {
			t.Errorf("problems with %v, want Country and End", fields)
		}
		if e.count() != before {
			t.Error("an invalid order was recorded")
		}

		if _, err := e.s.Get(ctx, "dso_nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get unknown: %v", err)
		}
		list, err := e.s.List(ctx, 0, 2)
		if err != nil || len(list) != 2 || list[1].Order.Start.After(list[0].Order.Start) {
			t.Fatalf("List = %d orders, %v", len(list), err)
		}
		if list[0].Order.Start.Year() != 2023 {
			t.Errorf("List starts with %v, want the latest start first", list[0].Order.Start)
		}
		rest, _ := e.s.List(ctx, 2, 50)
		if len(rest) != before-2 {
			t.Errorf("second page has %d orders, want %d", len(rest), before-2)
		}
	})
}

func TestHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		mod := e.acc[auth.Moderator]
		o := sampleOrders[2] // ongoing, no end
		r, _, err := e.s.Record(ctx, mod, o)
		if err != nil {
			t.Fatal(err)
		}
		start := o.Start
		steps := []StatusChange{
			{Change: ChangeImplemented, Answer: No, On: start.AddDate(0, 0, -1), Note: "Refused at first"},
			{Change: ChangeChallenged, Answer: Yes, On: start, Note: "Petition to the High Court, case HC/2024/17"},
			{Change: ChangeImplemented, Answer: Yes, On: start.AddDate(0, 0, 1), Note: "Complied under threat of licence loss"},
			{Change: ChangeCustomersTold, Answer: Yes, On: start.AddDate(0, 0, 1)},
			{Change: ChangeEnded, On: start.AddDate(0, 0, 9)},
			{Change: ChangeLifted, On: start.AddDate(0, 0, 12)},
		}
		var ids []int64
		for i, c := range steps {
			u, ev, err := e.s.Update(ctx, mod, r.ID, c)
			if err != nil {
				t.Fatalf("step %d (%s): %v", i, c.Change, err)
			}
			if u.ID == 0 || ev == 0 || u.OrderID != r.ID || u.RecordedBy != mod.ID {
				t.Errorf("step %d: update %+v, event %d", i, u, ev)
			}
			ids = append(ids, u.ID)
		}
		got, err := e.s.Get(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The order as recorded is untouched; its current state has every change.
		if diff := cmp.Diff(o, got.AsRecorded); diff != "" {
			t.Errorf("as recorded changed (-want +got):\n%s", diff)
		}
		now := o
		now.Implemented, now.Challenged, now.CustomersTold = Yes, Yes, Yes
		now.End, now.Status = start.AddDate(0, 0, 9), StatusEnded
		if diff := cmp.Diff(now, got.Order); diff != "" {
			t.Errorf("current (-want +got):\n%s", diff)
		}
		if !got.Lifted.Equal(start.AddDate(0, 0, 12)) {
			t.Errorf("lifted = %v", got.Lifted)
		}
		if len(got.History) != len(steps) {
			t.Fatalf("history has %d entries, want %d", len(got.History), len(steps))
		}
		for i, u := range got.History {
			if u.ID != ids[i] || u.StatusChange != steps[i] {
				t.Errorf("history[%d] = %+v, want %+v", i, u.StatusChange, steps[i])
			}
		}
		// Each change is an event, after the one that recorded the order.
		evs := e.events()
		if len(evs) != 1+len(steps) {
			t.Fatalf("%d events, want %d", len(evs), 1+len(steps))
		}
		for i, ev := range evs[1:] {
			en := entry(t, ev)
			if en.Type != "disruption.order_updated" || en.Facts["order"] != r.ID || en.Facts["change"] != string(steps[i].Change) ||
				en.Facts["on"] != steps[i].On.Format(DateLayout) || ev.Subject != "disruption:"+r.ID {
				t.Errorf("event %d = %s", i, ev.Entry)
			}
			if want := map[Answer]any{Yes: "yes", No: "no", Unknown: nil}[steps[i].Answer]; en.Facts["answer"] != want {
				t.Errorf("event %d answer = %v, want %v", i, en.Facts["answer"], want)
			}
			if en.Commit["note"] == "" {
				t.Errorf("event %d commits to no note", i)
			}
		}

		// The rules.
		fresh, _, err := e.s.Record(ctx, mod, sampleOrders[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			order string
			c     StatusChange
			key   string
		}{
			{"unknown change", fresh.ID, StatusChange{Change: "revoked", On: start}, "disrupt.update.change"},
			{"no answer", fresh.ID, StatusChange{Change: ChangeChallenged, On: start}, "disrupt.update.answer"},
			{"answer to an end", fresh.ID, StatusChange{Change: ChangeLifted, Answer: Yes, On: start}, "disrupt.update.no_answer"},
			{"no day", fresh.ID, StatusChange{Change: ChangeImplemented, Answer: Yes}, "disrupt.update.day_missing"},
			{"future", fresh.ID, StatusChange{Change: ChangeImplemented, Answer: Yes, On: time.Date(2025, 6, 3, 0, 0, 0, 0, time.UTC)}, "disrupt.update.day_range"},
			{"long ago", fresh.ID, StatusChange{Change: ChangeImplemented, Answer: Yes, On: time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC)}, "disrupt.update.day_range"},
			{"note", fresh.ID, StatusChange{Change: ChangeImplemented, Answer: Yes, On: start, Note: strings.Repeat("x", MaxNote+1)}, "disrupt.update.note"},
			{"control", fresh.ID, StatusChange{Change: ChangeImplemented, Answer: Yes, On: start, Note: "a\x00b"}, "disrupt.update.note"},
			// sampleOrders[0] ended on 2022-10-07, as imported.
			{"ended twice", fresh.ID, StatusChange{Change: ChangeEnded, On: time.Date(2022, 10, 9, 0, 0, 0, 0, time.UTC)}, "disrupt.update.already_ended"},
			{"lifted before start", fresh.ID, StatusChange{Change: ChangeLifted, On: time.Date(2022, 9, 20, 0, 0, 0, 0, time.UTC)}, "disrupt.update.before_start"},
			{"lifted twice", r.ID, StatusChange{Change: ChangeLifted, On: start.AddDate(0, 0, 13)}, "disrupt.update.already_lifted"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := e.s.Update(ctx, mod, tc.order, tc.c)
				if !errors.Is(err, ErrInvalid) || i18nKey(err) != tc.key {
					t.Errorf("err = %v, want ErrInvalid with %s", err, tc.key)
				}
			})
		}
		if _, _, err := e.s.Update(ctx, mod, "dso_nope", steps[0]); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown order: %v", err)
		}
		if _, _, err := e.s.Update(ctx, e.acc[auth.Officer], fresh.ID, steps[0]); !errors.Is(err, ErrForbidden) {
			t.Errorf("officer: %v", err)
		}
		if got := len(e.events()); got != len(evs)+1 {
			t.Errorf("refused changes left events: %d, want %d", got, len(evs)+1)
		}
		// Lifting an order not yet ended ends the disruption that day.
		if _, _, err := e.s.Update(ctx, mod, fresh.ID, StatusChange{Change: ChangeLifted, On: time.Date(2022, 10, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		if g, _ := e.s.Get(ctx, fresh.ID); !g.Order.End.Equal(sampleOrders[0].End) {
			t.Errorf("lifting an ended order moved its end to %v", g.Order.End)
		}
		open := sampleOrders[2]
		open.Regions = []string{"Northport"}
		o2, _, _ := e.s.Record(ctx, mod, open)
		if _, _, err := e.s.Update(ctx, mod, o2.ID, StatusChange{Change: ChangeLifted, On: open.Start.AddDate(0, 0, 2)}); err != nil {
			t.Fatal(err)
		}
		if g, _ := e.s.Get(ctx, o2.ID); !g.Order.End.Equal(open.Start.AddDate(0, 0, 2)) || g.Order.Status != StatusEnded {
			t.Errorf("lifted, not ended: end %v, status %s", g.Order.End, g.Order.Status)
		}
	})
}

func TestImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		mod := e.acc[auth.Moderator]
		sample := readSample(t)

		res, err := e.s.Import(ctx, mod, bytes.NewReader(sample))
		if err != nil {
			t.Fatal(err)
		}
		if res.ID == "" || res.Rows != 4 || len(res.Imported) != 4 || len(res.Duplicates) != 0 || res.Event == 0 {
			t.Fatalf("import = %+v", res)
		}
		// The first row's event spans two lines.
		var lines []int
		for _, row := range res.Imported {
			lines = append(lines, row.Line)
		}
		if !slices.Equal(lines, []int{2, 4, 5, 6}) {
			t.Errorf("lines = %v, want [2 4 5 6]", lines)
		}
		if want := []RowError{{Line: 1, Column: "count_year", Msg: IgnoredColumn}}; !slices.Equal(res.Notices, want) {
			t.Errorf("notices = %v", res.Notices)
		}
		for i, row := range res.Imported {
			r, err := e.s.Get(ctx, row.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(sampleOrders[i], r.Order); diff != "" {
				t.Errorf("order of line %d (-want +got):\n%s", row.Line, diff)
			}
			if r.Source != Imported || r.ImportID != res.ID || r.ImportLine != row.Line {
				t.Errorf("order of line %d: source %s, import %s line %d", row.Line, r.Source, r.ImportID, r.ImportLine)
			}
		}
		evs := e.events()
		if len(evs) != 5 || evs[4].ID != res.Event {
			t.Fatalf("%d events, want 4 orders and the import", len(evs))
		}
		for _, ev := range evs[:4] {
			if en := entry(t, ev); en.Facts["source"] != "imported" || en.Facts["import"] != res.ID {
				t.Errorf("imported order's event %s", ev.Entry)
			}
		}
		if en := entry(t, evs[4]); en.Type != "disruption.orders_imported" || fmt.Sprint(en.Facts["imported"]) != "4" || en.Commit["file_sha256"] == "" {
			t.Errorf("import event %s", evs[4].Entry)
		}

		// The same file again: every row is a duplicate, nothing changes.
		again, err := e.s.Import(ctx, mod, bytes.NewReader(sample))
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != "" || len(again.Imported) != 0 || len(again.Duplicates) != 4 || again.Event != 0 {
			t.Fatalf("import again = %+v", again)
		}
		for i, d := range again.Duplicates {
			if d.Line != lines[i] || d.Existing != res.Imported[i].ID {
				t.Errorf("duplicate %d = %+v, want line %d of %s", i, d, lines[i], res.Imported[i].ID)
			}
		}
		if len(e.events()) != 5 || e.count() != 4 {
			t.Error("importing duplicates changed something")
		}

		// A new row and a repeat of it in one file: one recorded, one skipped.
		var b bytes.Buffer
		fresh := sampleOrders[1]
		fresh.Regions = []string{"Zenda"}
		if err := WriteSTOP(&b, []Order{fresh, sampleOrders[0], fresh}); err != nil {
			t.Fatal(err)
		}
		mixed, err := e.s.Import(ctx, mod, &b)
		if err != nil {
			t.Fatal(err)
		}
		// sampleOrders[0] takes lines 3 and 4: its event has a line break.
		wantDup := []Duplicate{{Line: 3, Existing: res.Imported[0].ID}, {Line: 5, SameAsLine: 2}}
		if len(mixed.Imported) != 1 || mixed.Imported[0].Line != 2 || !slices.Equal(mixed.Duplicates, wantDup) {
			t.Errorf("mixed import = %+v, want line 2 imported and duplicates %v", mixed, wantDup)
		}

		// All or nothing: one bad row and nothing is imported; every problem is listed.
		n, nev := e.count(), len(e.events())
		var bb bytes.Buffer
		good := sampleOrders[3]
		good.Regions = []string{"Elsewhere"}
		WriteSTOP(&bb, []Order{good})
		bb.WriteString(row(map[string]string{"start_date": "13/40/2024", "country": "Ruritania", "shutdown_type": "Shutdown"}))
		bb.WriteString(row(map[string]string{"start_date": "1/2/2024", "shutdown_type": "Blackout"}))
		_, err = e.s.Import(ctx, mod, &bb)
		var ie *ImportError
		if !errors.As(err, &ie) || !errors.Is(err, ErrRejected) {
			t.Fatalf("bad rows: %v, want an *ImportError", err)
		}
		var where []string
		for _, p := range ie.Problems {
			where = append(where, fmt.Sprintf("%d:%s", p.Line, p.Column))
		}
		if want := []string{"3:start_date", "4:shutdown_type", "4:country"}; !slices.Equal(where, want) {
			t.Errorf("problems at %v, want %v (%v)", where, want, ie.Problems)
		}
		if e.count() != n || len(e.events()) != nev {
			t.Error("a rejected import recorded something")
		}

		// Not a STOP file at all; a role that may not.
		if _, err := e.s.Import(ctx, mod, strings.NewReader("name,age\nx,1\n")); !errors.Is(err, ErrFormat) {
			t.Errorf("not STOP: %v", err)
		}
		if _, err := e.s.Import(ctx, e.acc[auth.Monitor], bytes.NewReader(sample)); !errors.Is(err, ErrForbidden) {
			t.Errorf("monitor importing: %v", err)
		}
	})
}

// TestExport: what the register exports is STOP's layout, and reads back
// as the orders stand.
func TestExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		mod := e.acc[auth.Moderator]
		if _, err := e.s.Import(ctx, mod, bytes.NewReader(readSample(t))); err != nil {
			t.Fatal(err)
		}
		// The sample imported and exported is the golden file, byte for byte.
		var buf bytes.Buffer
		if err := e.s.Export(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		golden, err := os.ReadFile("testdata/stop_sample.golden.csv")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(golden), buf.String()); diff != "" {
			t.Errorf("export differs from the golden file (-want +got):\n%s", diff)
		}

		// Changes show in the export; a formula typed by staff is guarded.
		o := fullOrder()
		o.Event = `=HYPERLINK("https://evil.example","click")`
		o.End, o.Status = time.Time{}, StatusOngoing
		o.Challenged = Yes
		r, _, err := e.s.Record(ctx, mod, o)
		if err != nil {
			t.Fatal(err)
		}
		ended := o.Start.AddDate(0, 1, 0)
		if _, _, err := e.s.Update(ctx, mod, r.ID, StatusChange{Change: ChangeEnded, On: ended}); err != nil {
			t.Fatal(err)
		}
		buf.Reset()
		if err := e.s.Export(ctx, &buf); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), `'=HYPERLINK`) {
			t.Error("a formula is exported unguarded")
		}
		back, rowErrs, err := ReadSTOP(&buf)
		if err != nil || len(rowErrs) > 0 {
			t.Fatalf("reading the export: %v %v", err, rowErrs)
		}
		all, _ := e.s.All(ctx)
		if len(back) != len(all) || len(all) != 5 {
			t.Fatalf("exported %d orders, the register holds %d", len(back), len(all))
		}
		for i := range all {
			want := all[i].Order
			want.Challenged, want.Implemented, want.CustomersTold = Unknown, Unknown, Unknown // not STOP columns
			if diff := cmp.Diff(want, back[i]); diff != "" {
				t.Errorf("order %d (-register +export):\n%s", i, diff)
			}
		}
		if all[0].ID != r.ID || !back[0].End.Equal(ended) || back[0].Status != StatusEnded {
			t.Errorf("export starts with %+v, want the 2017 order, ended", back[0])
		}
	})
}

// TestNoTypedTextInLedger: what staff type as text reaches the log only as
// commitments, whichever way it comes in.
func TestNoTypedTextInLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		mod := e.acc[auth.Moderator]
		secrets := []string{"Colonel Amara Diallo", "Decree 2291/Z", "+44 7700 900123", "447700900123", "amara@example.org",
			"Flat 3, 12 Harbour Road", "Harbour Ward", "SecretChat", "Vice-Minister Okonkwo", "HC/2024/17 before Justice Mensah",
			"curfew of the Diallo family", "Counsel Priya Nair"}
		o := fullOrder()
		o.IssuingAuthority = "Colonel Amara Diallo"
		o.OrderedBy = "Vice-Minister Okonkwo"
		o.LegalBasis = "Decree 2291/Z, served by amara@example.org"
		o.Justification = "Call +44 7700 900123"
		o.Regions = []string{"Harbour Ward", "Flat 3. 12 Harbour Road"}
		o.Services = []string{ServiceWhatsApp, "SecretChat"}
		o.Event = "curfew of the Diallo family"
		o.Telcos = "447700900123"
		o.UsersTargetDetail = "Counsel Priya Nair"
		r, _, err := e.s.Record(ctx, mod, o)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.s.Update(ctx, mod, r.ID, StatusChange{Change: ChangeChallenged, Answer: Yes, On: o.Start, Note: "HC/2024/17 before Justice Mensah; Counsel Priya Nair, +44 7700 900123"}); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		imp := o
		imp.Start = imp.Start.AddDate(0, 0, 3)
		if err := WriteSTOP(&b, []Order{imp}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Import(ctx, mod, &b); err != nil {
			t.Fatal(err)
		}
		evs := e.events()
		if len(evs) != 4 {
			t.Fatalf("%d events, want 4", len(evs))
		}
		for _, ev := range evs {
			low := strings.ToLower(string(ev.Entry))
			for _, s := range secrets {
				for _, word := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == ',' || r == ';' }) {
					if len(word) >= 5 && strings.Contains(low, word) {
						t.Errorf("entry holds %q (of %q): %s", word, s, ev.Entry)
					}
				}
			}
			if strings.Contains(onlyDigits(string(ev.Entry)), "7700900123") {
				t.Errorf("entry holds the phone number: %s", ev.Entry)
			}
		}
	})
}

// row is a line of a STOP file in WriteSTOP's columns, with the cells given.
func row(cells map[string]string) string {
	var out []string
	for _, c := range Columns() {
		out = append(out, cells[c])
	}
	return strings.Join(out, ",") + "\n"
}

func onlyDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func TestKey(t *testing.T) {
	base := fullOrder()
	same := []func(*Order){
		func(o *Order) { o.Country = "central african republic ;  CAMEROON" },
		func(o *Order) { o.Regions = []string{"bamenda", "NORTH-WEST", "South-West"} },
		func(o *Order) { o.Start = o.Start.Add(20 * time.Hour) },
		func(o *Order) { o.End, o.Status, o.Duration = time.Time{}, StatusOngoing, "" },
		func(o *Order) { o.IssuingAuthority, o.LegalBasis, o.Event = "someone", "something", "" },
		func(o *Order) { o.SourceLinks, o.Challenged = nil, Yes },
		func(o *Order) { o.Services = slices.Clone(o.Services); slices.Reverse(o.Services) },
		func(o *Order) { o.Regions = []string{"Bamenda", "North-West", "South-West", "south-west"} },
	}
	for i, change := range same {
		o := fullOrder()
		change(&o)
		if o.Key() != base.Key() {
			t.Errorf("change %d made another key", i)
		}
	}
	other := []func(*Order){
		func(o *Order) { o.Country = "Cameroon" },
		func(o *Order) { o.Start = o.Start.AddDate(0, 0, 1) },
		func(o *Order) { o.Regions = o.Regions[:2] },
		func(o *Order) { o.Types = []ShutdownType{TypeShutdown} },
		func(o *Order) { o.Extent = []Extent{ExtentServiceBased} },
		func(o *Order) { o.Networks = []Network{NetworkMobile} },
		func(o *Order) { o.Services = o.Services[1:] },
	}
	for i, change := range other {
		o := fullOrder()
		change(&o)
		if o.Key() == base.Key() {
			t.Errorf("change %d kept the key", i)
		}
	}
	// Composed and decomposed accents are one region.
	a, b := fullOrder(), fullOrder()
	a.Regions, b.Regions = []string{"Bafoussam Région"}, []string{"Bafoussam Re\u0301gion"}
	if a.Key() != b.Key() {
		t.Error("NFC and NFD spellings made two keys")
	}
	if k := base.Key(); !strings.HasPrefix(k, "v1:") || len(k) != 67 {
		t.Errorf("key %q", k)
	}
}

func TestCountryTokens(t *testing.T) {
	for in, want := range map[string][]string{
		"Iran (Islamic Republic of)":         {"iran-islamic-republic-of"},
		"Côte d'Ivoire":                      {"cote-d-ivoire"},
		"Cameroon; Central African Republic": {"cameroon", "central-african-republic"},
		"Sector 7 +44 7700 900123":           {"sector"},
		"日本":                                 nil,
		"  ;; ":                              nil,
		strings.Repeat("ab ", 100):           {strings.TrimSuffix(strings.Repeat("ab-", 20), "-")},
	} {
		if got := countryTokens(in); !slices.Equal(got, want) {
			t.Errorf("countryTokens(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestConcurrentChanges: changes to one order at once are checked one
// after the other, so an order ends once. (On PostgreSQL the row lock that
// ensures it is hard to catch out: new connections are slow enough to
// serialise most attempts. The test checks the outcome, not the lock.)
func TestConcurrentChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db)
		mod := e.acc[auth.Moderator]
		r, _, err := e.s.Record(ctx, mod, sampleOrders[2])
		if err != nil {
			t.Fatal(err)
		}
		const n = 8
		errs := make(chan error, n)
		for i := range n {
			go func() {
				_, _, err := e.s.Update(ctx, mod, r.ID, StatusChange{Change: ChangeEnded, On: sampleOrders[2].Start.AddDate(0, 0, i+1)})
				errs <- err
			}()
		}
		ok := 0
		for range n {
			err := <-errs
			switch {
			case err == nil:
				ok++
			case i18nKey(err) != "disrupt.update.already_ended":
				t.Errorf("concurrent end: %v", err)
			}
		}
		got, _ := e.s.Get(ctx, r.ID)
		if ok != 1 || len(got.History) != 1 {
			t.Errorf("%d ends succeeded, history has %d entries; want 1 and 1", ok, len(got.History))
		}
	})
}
