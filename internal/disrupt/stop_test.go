package disrupt

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The sample is written by hand in STOP's column layout; its countries and
// events are invented.
const samplePath = "testdata/stop_sample.csv"

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// sampleOrders are the orders of testdata/stop_sample.csv.
var sampleOrders = []Order{
	{
		IssuingAuthority:       "Ministry of Communications",
		OrderedBy:              "Executive government",
		LegalBasis:             "Telecommunications Act 1998, section 54",
		Justification:          "National security",
		GovernmentAcknowledged: Yes,
		Country:                "Freedonia (Republic of)",
		WorldRegion:            "MENA",
		GeoScope:               GeoScopeRegions,
		Regions:                []string{"Nationwide"},
		Types:                  []ShutdownType{TypeShutdown, TypeThrottle},
		Extent:                 []Extent{ExtentFullNetwork, ExtentServiceBased},
		Networks:               []Network{NetworkBroadband, NetworkMobile},
		Services:               []string{ServiceWhatsApp, ServiceInstagram, "Signal"},
		Telcos:                 "FreedoTel, Mobilink",
		Start:                  day(2022, 9, 21),
		End:                    day(2022, 10, 7),
		StartDateType:          "Actual",
		Status:                 StatusEnded,
		Duration:               "17",
		ActualCause:            "Protests",
		ActualCauseDetails:     "Protests after the disputed election results",
		Election:               No,
		Violence:               Yes,
		HumanRightsAbuse:       Yes,
		Event:                  "Nationwide disruption, with platform blocking\nand throttling of mobile data.",
		InfoSource:             "CSO KIO partners",
		SourceLinks:            []string{"https://example.org/ooni/fd-2022", "https://example.org/radar/fd-2022"},
		AccessNowLinks:         []string{"https://example.org/accessnow/freedonia-2022"},
	},
	{
		IssuingAuthority:       "District Magistrate of Strelsau",
		OrderedBy:              "Local government",
		LegalBasis:             "Code of Criminal Procedure section 144",
		Justification:          "Preventing cheating in exams",
		GovernmentAcknowledged: Yes,
		Country:                "Ruritania",
		WorldRegion:            "Asia Pacific",
		GeoScope:               GeoScopeOneCity,
		Regions:                []string{"Strelsau"},
		Types:                  []ShutdownType{TypeShutdown},
		Extent:                 []Extent{ExtentFullNetwork},
		Networks:               []Network{NetworkMobile},
		Services:               []string{ServiceSMS, ServicePhoneCalls},
		Telcos:                 "RuriCell",
		Start:                  day(2023, 1, 5),
		End:                    day(2023, 1, 5),
		StartDateType:          "Actual",
		Status:                 StatusEnded,
		Duration:               "6",
		ActualCause:            "Exam cheating",
		Election:               No,
		Violence:               No,
		HumanRightsAbuse:       No,
		Event:                  "Mobile internet suspended for the six hours of the state examinations.",
		InfoSource:             "News media article",
		SourceLinks:            []string{"https://example.org/news/strelsau-exams"},
	},
	{
		OrderedBy:          "Executive government",
		Country:            "Freedonia (Republic of)",
		WorldRegion:        "MENA",
		GeoScope:           GeoScopeCitiesRegion,
		Regions:            []string{"Eastville", "Westport"},
		Types:              []ShutdownType{TypeShutdown},
		Extent:             []Extent{ExtentFullNetwork},
		Networks:           []Network{NetworkBroadband, NetworkMobile},
		Start:              day(2024, 6, 1),
		StartDateType:      "Actual",
		Status:             StatusOngoing,
		Duration:           "Curfew Style",
		ActualCause:        "Conflict",
		ActualCauseDetails: "Fighting between the army and an armed group",
		Election:           No,
		Violence:           Yes,
		Event:              "Curfew-style shutdowns every night from 6 p.m. to 6 a.m.",
		InfoSource:         "Other",
	},
	{
		IssuingAuthority:       "Ruritanian Telecommunications Authority",
		OrderedBy:              "Executive government",
		Justification:          "Stopping the spread of false news",
		GovernmentAcknowledged: No,
		Country:                "Ruritania",
		WorldRegion:            "Europe",
		GeoScope:               GeoScopeRegions,
		Regions:                []string{"Nationwide"},
		Types:                  []ShutdownType{TypeShutdown},
		Extent:                 []Extent{ExtentServiceBased},
		Services:               []string{ServiceFacebook, ServiceTwitter, ServiceTelegram, "TikTok"},
		Telcos:                 "All operators",
		Start:                  day(2024, 11, 3),
		End:                    day(2024, 11, 10),
		StartDateType:          "Actual",
		Status:                 StatusEnded,
		Duration:               "8",
		ActualCause:            "Elections",
		ActualCauseDetails:     "Blocking during the vote count",
		Election:               Yes,
		Violence:               No,
		UsersTargeted:          "Opposition supporters",
		UsersTargetDetail:      "Accounts of opposition candidates were reported suspended as well.",
		Event:                  "Social media blocked from election day until the results were announced.",
		InfoSource:             "News media article",
		SourceLinks:            []string{"https://example.org/news/ruritania-vote", "https://example.org/ooni/ruritania-vote"},
		AccessNowLinks:         []string{"https://example.org/accessnow/ruritania-2024"},
	},
}

func readSample(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadSTOPSample(t *testing.T) {
	orders, rowErrs, err := ReadSTOP(bytes.NewReader(readSample(t)))
	if err != nil {
		t.Fatal(err)
	}
	if bad := BadRows(rowErrs); len(bad) > 0 {
		t.Fatalf("bad rows in the sample: %v", bad)
	}
	// count_year is a column of the combined sheet that Vigil ignores.
	want := []RowError{{Line: 1, Column: "count_year", Msg: IgnoredColumn}}
	if diff := cmp.Diff(want, rowErrs); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sampleOrders, orders); diff != "" {
		t.Errorf("orders (-want +got):\n%s", diff)
	}
}

// TestGolden checks that WriteSTOP writes the sample in STOP's layout:
// the same cells as the hand-written file, less the ignored column.
// Run with -update to rewrite testdata/stop_sample.golden.csv.
func TestGolden(t *testing.T) {
	orders, _, err := ReadSTOP(bytes.NewReader(readSample(t)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteSTOP(&buf, orders); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "stop_sample.golden.csv")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), buf.String()); diff != "" {
		t.Errorf("WriteSTOP output differs from %s (-want +got):\n%s", golden, diff)
	}

	// Cell by cell, the golden file is the sample without count_year.
	sample := records(t, readSample(t))
	written := records(t, buf.Bytes())
	if got, wantHeader := written[0], Columns(); !slices.Equal(got, wantHeader) {
		t.Errorf("header = %v, want %v", got, wantHeader)
	}
	if len(written) != len(sample)-1 { // the sample ends with an empty row
		t.Fatalf("wrote %d records, the sample has %d and one empty row", len(written), len(sample))
	}
	for i := range written {
		want := slices.Clone(sample[i][:len(sample[i])-1])
		if i > 0 {
			// A service column says Yes or nothing: Order.Services lists
			// the services blocked, so an explicit No is not kept.
			for j, name := range written[0] {
				if strings.HasSuffix(name, "_affected") && name != "other_affected" && want[j] == "No" {
					want[j] = ""
				}
			}
		}
		if got := written[i]; !slices.Equal(got, want) {
			t.Errorf("record %d:\n got %q\nwant %q", i, got, want)
		}
	}
}

func records(t *testing.T, b []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// fullOrder sets every field STOP carries.
func fullOrder() Order {
	return Order{
		IssuingAuthority:       "Minister of the Interior",
		OrderedBy:              "Executive government",
		LegalBasis:             "Emergency Decree No. 7, article 3;\nTelecom Law, s. 12",
		Justification:          "Public order",
		GovernmentAcknowledged: No,
		Country:                "Cameroon; Central African Republic",
		WorldRegion:            "Africa",
		GeoScope:               GeoScopeRegions,
		Regions:                []string{"North-West", "South-West", "Bamenda"},
		Types:                  []ShutdownType{TypeShutdown, TypeThrottle, TypeUnknown},
		Extent:                 []Extent{ExtentFullNetwork, ExtentServiceBased},
		Networks:               []Network{NetworkBroadband, NetworkMobile},
		Services:               []string{ServiceFacebook, ServiceTwitter, ServiceWhatsApp, ServiceInstagram, ServiceTelegram, ServiceSMS, ServicePhoneCalls, "Signal", "YouTube"},
		Telcos:                 `Orange, MTN, "Nexttel"`,
		Start:                  day(2017, 1, 17),
		End:                    day(2017, 4, 20),
		StartDateType:          "Actual",
		Status:                 StatusEnded,
		Duration:               "93",
		ActualCause:            "Protests",
		ActualCauseDetails:     `Strikes by lawyers and teachers; "ghost towns"`,
		Election:               No,
		Violence:               Yes,
		HumanRightsAbuse:       Yes,
		UsersTargeted:          "Anglophone regions",
		UsersTargetDetail:      "Residents of the two regions",
		Event:                  "Internet cut in two regions for 93 days.\n\nRestored after an international campaign.",
		InfoSource:             "News media article",
		SourceLinks:            []string{"https://example.org/a?x=1,2", "http://example.net/b"},
		AccessNowLinks:         []string{"https://example.org/an"},
	}
}

func TestRoundTrip(t *testing.T) {
	injection := fullOrder()
	injection.Event = `=HYPERLINK("https://evil.example","click")`
	injection.Duration = "-44270"
	injection.Telcos = "@SUM(A1:A9)"
	injection.ActualCause = "+1"
	injection.IssuingAuthority = "'=already quoted"
	injection.OrderedBy = "''"
	injection.Justification = "'plain apostrophe"
	injection.Regions = []string{"=A1", "-B2"}
	injection.Services = []string{"@evil"}

	for name, orders := range map[string][]Order{
		"none":      nil,
		"minimal":   {{Country: "Ruritania", Start: day(2024, 2, 29)}},
		"full":      {fullOrder()},
		"injection": {injection},
		"sample":    sampleOrders,
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteSTOP(&buf, orders); err != nil {
				t.Fatal(err)
			}
			got, rowErrs, err := ReadSTOP(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(rowErrs) > 0 {
				t.Fatalf("row errors: %v", rowErrs)
			}
			if diff := cmp.Diff(orders, got); diff != "" {
				t.Errorf("write then read (-wrote +read):\n%s", diff)
			}
		})
	}
}

func TestWriteSTOPLeavesVigilOnlyFields(t *testing.T) {
	o := Order{Country: "Ruritania", Start: day(2024, 1, 1), Challenged: Yes, Implemented: No, CustomersTold: Yes}
	var buf bytes.Buffer
	if err := WriteSTOP(&buf, []Order{o}); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadSTOP(&buf)
	if err != nil {
		t.Fatal(err)
	}
	want := Order{Country: "Ruritania", Start: day(2024, 1, 1)}
	if diff := cmp.Diff([]Order{want}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWriteSTOPRefusesInvalid(t *testing.T) {
	var buf bytes.Buffer
	err := WriteSTOP(&buf, []Order{fullOrder(), {Start: day(2024, 1, 1)}})
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	if !strings.Contains(err.Error(), "order 2: Country: the country is missing") {
		t.Errorf("err = %q, want it to name order 2 and the missing country", err)
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes; want nothing written", buf.Len())
	}
}

func TestCSVInjection(t *testing.T) {
	o := Order{
		Country:          "Ruritania",
		Start:            day(2024, 1, 1),
		Event:            `=cmd|' /C calc'!A0`,
		Duration:         "-2+3",
		Telcos:           "+44 20 7946 0000",
		IssuingAuthority: "@SUM(1+1)",
		Justification:    "'+quoted",
		OrderedBy:        "Safe = text",
	}
	var buf bytes.Buffer
	if err := WriteSTOP(&buf, []Order{o}); err != nil {
		t.Fatal(err)
	}
	recs := records(t, buf.Bytes())
	cell := func(name string) string { return recs[1][slices.Index(recs[0], name)] }
	for col, want := range map[string]string{
		"event":             `'=cmd|' /C calc'!A0`,
		"duration":          "'-2+3",
		"telcos_involved":   "'+44 20 7946 0000",
		"decision_maker":    "'@SUM(1+1)",
		"gov_justification": "''+quoted",
		"ordered_by":        "Safe = text",
	} {
		if got := cell(col); got != want {
			t.Errorf("%s cell = %q, want %q", col, got, want)
		}
	}
	for _, rec := range recs {
		for _, c := range rec {
			if c != "" && trigger(c[0]) {
				t.Errorf("cell %q starts with a formula character", c)
			}
		}
	}

	for _, s := range []string{"", "'", "''", "'''", "=", "'=", "''=", "-1", "'-1", "a", "'a", "@", "\t", "'\t", "a=b"} {
		if got := unguard(guard(s)); got != s {
			t.Errorf("unguard(guard(%q)) = %q", s, got)
		}
	}
}

const header = "start_date,end_date,country,shutdown_type"

func TestReadSTOPFileErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    string
		is    error
		words string
	}{
		{"empty", "", ErrFormat, "empty"},
		{"missing columns", "start_date,country,event\n1/1/2024,Ruritania,x\n", ErrFormat, "end_date, shutdown_type"},
		{"twice", header + ",Country\n", ErrFormat, "country appears twice"},
		{"broken header", "start_date,\"country\n", ErrFormat, "not valid CSV"},
		{"too many columns", strings.Repeat("x,", maxColumns) + "x\n", ErrFormat, "columns"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orders, rowErrs, err := ReadSTOP(strings.NewReader(tc.in))
			if !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.words) {
				t.Errorf("err = %q, want it to say %q", err, tc.words)
			}
			if orders != nil || rowErrs != nil {
				t.Errorf("got orders %v and row errors %v with a file error", orders, rowErrs)
			}
		})
	}

	_, _, err := ReadSTOP(strings.NewReader("start_date,event\n"))
	var missing *MissingColumnsError
	if !errors.As(err, &missing) {
		t.Fatalf("err = %v, want a *MissingColumnsError", err)
	}
	if want := []string{"end_date", "country", "shutdown_type"}; !slices.Equal(missing.Columns, want) {
		t.Errorf("missing columns = %v, want %v", missing.Columns, want)
	}
}

func TestReadSTOPHeaderMatching(t *testing.T) {
	in := "\ufeff Start_Date ,END_DATE,Country,Shutdown_Type,Notes,\n" +
		"3/1/2024,3/2/2024,Ruritania,shutdown,ignored,\n"
	orders, rowErrs, err := ReadSTOP(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Order{{Country: "Ruritania", Start: day(2024, 3, 1), End: day(2024, 3, 2), Types: []ShutdownType{TypeShutdown}}}
	if diff := cmp.Diff(want, orders); diff != "" {
		t.Errorf("orders (-want +got):\n%s", diff)
	}
	wantNotes := []RowError{
		{Line: 1, Column: "Notes", Msg: IgnoredColumn},
		{Line: 1, Column: "(unnamed column 6)", Msg: IgnoredColumn},
	}
	if diff := cmp.Diff(wantNotes, rowErrs); diff != "" {
		t.Errorf("notices (-want +got):\n%s", diff)
	}
	if bad := BadRows(rowErrs); bad != nil {
		t.Errorf("BadRows = %v, want none", bad)
	}
}

func TestReadSTOPRowErrors(t *testing.T) {
	in := header + ",gov_ack,event,info_source_link\n" +
		"1/2/2024,1/3/2024,Ruritania,Shutdown,Yes,fine,https://example.org\n" + // line 2: good
		"13/40/2024,,Ruritania,Shutdown,,,\n" + // line 3: bad date
		"1/9/2024,1/2/2024,Ruritania,Shutdown,,,\n" + // line 4: end before start
		"1/2/2024,,,Blackout,Maybe,,ftp://x\n" + // line 5: four problems
		"1/2/2024,,Ruritania\n" + // line 6: short row
		"1/2/2024,,Ruritania,Shutdown,,\"multi\nline\",\n" + // lines 7-8: good
		"1/2/2024,,Ruritania,Shut\"down,,,\n" + // line 9: bare quote
		"1/2/2024,,Ruritania,Shutdown,,\"" + strings.Repeat("x", MaxLongText+1) + "\",\n" // line 10: too long

	orders, rowErrs, err := ReadSTOP(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []RowError{
		{Line: 3, Column: "start_date", Msg: `"13/40/2024" is not a date; write month/day/year, for example 9/21/2022`},
		{Line: 4, Column: "end_date", Msg: "the end (1/2/2024) is before the start (1/9/2024)"},
		{Line: 5, Column: "shutdown_type", Msg: `"Blackout" is not a shutdown type STOP uses; use Shutdown, Throttle, Unknown`},
		{Line: 5, Column: "gov_ack", Msg: `"Maybe" is not an answer; write Yes, No, or leave the cell empty`},
		{Line: 5, Column: "country", Msg: "the country is missing"},
		{Line: 5, Column: "info_source_link", Msg: `"ftp://x" is not an http or https address`},
		{Line: 6, Msg: "the row has 3 cells; the header has 7"},
		{Line: 9, Msg: `the row is not valid CSV: bare " in non-quoted-field`},
		{Line: 10, Column: "event", Msg: fmt.Sprintf("the text is longer than %d characters", MaxLongText)},
	}
	if diff := cmp.Diff(want, rowErrs); diff != "" {
		t.Errorf("row errors (-want +got):\n%s", diff)
	}
	if len(orders) != 2 || orders[0].Event != "fine" || orders[1].Event != "multi\nline" {
		t.Errorf("orders = %+v, want the two good rows", orders)
	}
	for _, o := range orders {
		if err := o.Validate(); err != nil {
			t.Errorf("returned an invalid order: %v", err)
		}
	}
	if got := rowErrs[0].Error(); got != `line 3, column start_date: "13/40/2024" is not a date; write month/day/year, for example 9/21/2022` {
		t.Errorf("RowError.Error() = %q", got)
	}
}

func TestReadSTOPManyRowErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(header + "\n")
	for range MaxRowErrors + 10 {
		b.WriteString("x,,Ruritania,Shutdown\n")
	}
	_, rowErrs, err := ReadSTOP(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rowErrs) != MaxRowErrors+1 {
		t.Fatalf("got %d row errors, want %d", len(rowErrs), MaxRowErrors+1)
	}
	last := rowErrs[len(rowErrs)-1]
	if want := (RowError{Line: MaxRowErrors + 2, Msg: "10 more problems from this line on were not listed"}); last != want {
		t.Errorf("last row error = %+v, want %+v", last, want)
	}
}

// TestReadSTOPLongLists checks that a list cell stops at MaxItems distinct
// items: a hostile cell of half a million items costs no more than reading it.
func TestReadSTOPLongLists(t *testing.T) {
	items := func(n int, format string) string {
		var parts []string
		for i := range n {
			parts = append(parts, fmt.Sprintf(format, i))
		}
		return strings.Join(parts, ",")
	}
	head := header + ",area_name,info_source_link,other_affected\n1/1/2024,,Ruritania,Shutdown,"
	for _, tc := range []struct {
		name, row, column string
	}{
		{"regions", `"` + items(500_000, "r%d") + `",,`, "area_name"},
		{"links", `,"` + strings.ReplaceAll(items(500_000, "https://e.org/%d"), ",", ";") + `",`, "info_source_link"},
		{"services", `,,"` + items(500_000, "s%d") + `"`, "other_affected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, rowErrs, err := ReadSTOP(strings.NewReader(head + tc.row + "\n"))
			if err != nil {
				t.Fatal(err)
			}
			want := []RowError{{Line: 2, Column: tc.column, Msg: "the cell lists more than 100 items"}}
			if diff := cmp.Diff(want, rowErrs); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// MaxItems distinct items, repeated, are fine.
	orders, rowErrs, err := ReadSTOP(strings.NewReader(head + `"` + items(MaxItems, "r%d") + "," + items(MaxItems, "R%d") + `",,` + "\n"))
	if err != nil || len(rowErrs) > 0 || len(orders) != 1 || len(orders[0].Regions) != MaxItems {
		t.Errorf("MaxItems regions: %d orders, row errors %v, err %v", len(orders), rowErrs, err)
	}
}

// repeat yields b over and over, for ever.
type repeat struct {
	b   []byte
	off int
}

func endless(s string) io.Reader { return &repeat{b: []byte(s)} }

func (r *repeat) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.b[r.off:])
		n += c
		r.off = (r.off + c) % len(r.b)
	}
	return n, nil
}

func TestReadSTOPTooLarge(t *testing.T) {
	row := "1/2/2024,1/3/2024,Ruritania,Shutdown\n"
	for _, tc := range []struct {
		name  string
		in    io.Reader
		words string
	}{
		{"bytes", io.MultiReader(strings.NewReader(header+",event\n1/2/2024,,Ruritania,Shutdown,\""), endless("x")), "16 MiB"},
		{"one endless header", endless("x"), "16 MiB"},
		{"rows", io.MultiReader(strings.NewReader(header+"\n"), io.LimitReader(endless(row), int64(len(row)*(MaxSTOPRows+1)))), "more than 20000 rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orders, _, err := ReadSTOP(tc.in)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if !strings.Contains(err.Error(), tc.words) {
				t.Errorf("err = %q, want it to say %q", err, tc.words)
			}
			if orders != nil {
				t.Errorf("got %d orders with ErrTooLarge", len(orders))
			}
		})
	}

	// At the limits, all is read.
	orders, rowErrs, err := ReadSTOP(io.MultiReader(strings.NewReader(header+"\n"), io.LimitReader(endless(row), int64(len(row)*MaxSTOPRows))))
	if err != nil || len(rowErrs) > 0 || len(orders) != MaxSTOPRows {
		t.Errorf("at MaxSTOPRows: %d orders, row errors %v, err %v", len(orders), rowErrs, err)
	}
	exact := header + "\n" + row
	exact += strings.Repeat(" ", MaxSTOPBytes-len(exact))
	if orders, _, err := ReadSTOP(strings.NewReader(exact)); err != nil || len(orders) != 1 {
		t.Errorf("at MaxSTOPBytes: %d orders, err %v", len(orders), err)
	}
}

func TestValidate(t *testing.T) {
	ok := fullOrder()
	if err := ok.Validate(); err != nil {
		t.Fatalf("full order: %v", err)
	}
	for _, tc := range []struct {
		name   string
		change func(*Order)
		field  string
		msg    string
	}{
		{"no country", func(o *Order) { o.Country = "" }, "Country", "the country is missing"},
		{"no start", func(o *Order) { o.Start = time.Time{} }, "Start", "the start date is missing"},
		{"end before start", func(o *Order) { o.End = o.Start.AddDate(0, 0, -1) }, "End", "the end (1/16/2017) is before the start (1/17/2017)"},
		{"year", func(o *Order) { o.Start = day(217, 1, 1) }, "Start", "the year 217 is not between 1980 and 2100"},
		{"spaces", func(o *Order) { o.Country = " Ruritania" }, "Country", "the text has spaces at its start or end"},
		{"long", func(o *Order) { o.Telcos = strings.Repeat("é", MaxShortText+1) }, "Telcos", "the text is longer than 500 characters"},
		{"control", func(o *Order) { o.Event = "a\x00b" }, "Event", "the text holds control characters other than line breaks and tabs"},
		{"utf8", func(o *Order) { o.Duration = "\xff" }, "Duration", "the text is not valid UTF-8"},
		{"region comma", func(o *Order) { o.Regions = []string{"Eastville, Westport"} }, "Regions", `"Eastville, Westport" may not contain any of ",", which separate items`},
		{"region twice", func(o *Order) { o.Regions = []string{"Tigray", "tigray"} }, "Regions", `"tigray" is listed twice`},
		{"region newline", func(o *Order) { o.Regions = []string{"a\nb"} }, "Regions", "the text holds line breaks or other control characters"},
		{"empty item", func(o *Order) { o.Regions = []string{""} }, "Regions", "the list has an empty item"},
		{"many items", func(o *Order) {
			o.Regions = nil
			for i := range MaxItems + 1 {
				o.Regions = append(o.Regions, fmt.Sprint(i))
			}
		}, "Regions", "the list has 101 items; at most 100 are allowed"},
		{"type", func(o *Order) { o.Types = []ShutdownType{"Blackout"} }, "Types", `"Blackout" is not allowed; use Shutdown, Throttle, Unknown`},
		{"type case", func(o *Order) { o.Types = []ShutdownType{"shutdown"} }, "Types", `"shutdown" is not allowed; use Shutdown, Throttle, Unknown`},
		{"network twice", func(o *Order) { o.Networks = []Network{NetworkMobile, NetworkMobile} }, "Networks", `"Mobile" is listed twice`},
		{"extent", func(o *Order) { o.Extent = []Extent{"Partial"} }, "Extent", `"Partial" is not allowed; use Full network, Service-based`},
		{"status", func(o *Order) { o.Status = "Over" }, "Status", `"Over" is not a status; use one of Ended, Ongoing, Unknown`},
		{"service spelling", func(o *Order) { o.Services = []string{"whatsapp"} }, "Services", `write "whatsapp" as "WhatsApp"`},
		{"service separator", func(o *Order) { o.Services = []string{"Signal; Viber"} }, "Services", `"Signal; Viber" may not contain any of ",;", which separate items`},
		{"link", func(o *Order) { o.SourceLinks = []string{"example.org/x"} }, "SourceLinks", `"example.org/x" is not an http or https address`},
		{"link space", func(o *Order) { o.AccessNowLinks = []string{"https://example.org/a b"} }, "AccessNowLinks", `"https://example.org/a b" is not an http or https address`},
		{"link twice", func(o *Order) { o.SourceLinks = []string{"https://a.example", "https://a.example"} }, "SourceLinks", `"https://a.example" is listed twice`},
		{"long link", func(o *Order) { o.SourceLinks = []string{"https://example.org/" + strings.Repeat("a", MaxURLBytes)} }, "SourceLinks", "an address is longer than 2048 bytes"},
		{"answer", func(o *Order) { o.Challenged = 7 }, "Challenged", "the answer must be Yes, No or Unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := fullOrder()
			tc.change(&o)
			err := o.Validate()
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a *FieldError", err)
			}
			if fe.Field != tc.field || fe.Msg != tc.msg {
				t.Errorf("first problem = %s: %s\nwant          %s: %s", fe.Field, fe.Msg, tc.field, tc.msg)
			}
		})
	}

	// Every problem is reported, not only the first.
	err := (&Order{Duration: " x", Status: "x"}).Validate()
	if got := len(fieldErrors(err)); got != 4 {
		t.Errorf("got %d problems, want 4 (country, start, status, duration): %v", got, err)
	}
}

func TestFlags(t *testing.T) {
	for _, o := range append(slices.Clone(sampleOrders), Order{}) {
		flags := o.Flags()
		var paras []string
		for _, f := range flags {
			if f.Standard != "UN OHCHR A/HRC/44/24" || f.About == "" {
				t.Errorf("flag %+v", f)
			}
			paras = append(paras, f.Paragraphs)
		}
		if want := []string{"21-23", "53(b)-(c)", "54(d)"}; !slices.Equal(paras, want) {
			t.Errorf("flagged under %v, want %v", paras, want)
		}
	}
}

func FuzzReadSTOP(f *testing.F) {
	f.Add(readSample(f))
	var full bytes.Buffer
	if err := WriteSTOP(&full, []Order{fullOrder()}); err != nil {
		f.Fatal(err)
	}
	f.Add(full.Bytes())
	f.Add([]byte(header + "\n1/2/2024,,Ruritania,\"Shutdown, throttle\"\n"))
	f.Add([]byte(header + ",other_affected,event\n2024-02-29,,\"'=x\",,\"facebook; Signal,signal\",'-1\n"))
	f.Add([]byte("Start_Date,END_DATE,country,shutdown_type,x\n\"1/2/2024\",1/1/2024,a,\"b\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		orders, rowErrs, err := ReadSTOP(bytes.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("unexpected kind of error: %v", err)
			}
			return
		}
		for i := range orders {
			if err := orders[i].Validate(); err != nil {
				t.Fatalf("order %d is invalid: %v", i, err)
			}
		}
		for _, e := range rowErrs {
			if e.Line < 1 || e.Msg == "" {
				t.Fatalf("row error without a line or message: %+v", e)
			}
		}
		// What was read writes, and reads back the same.
		var buf bytes.Buffer
		if err := WriteSTOP(&buf, orders); err != nil {
			t.Fatalf("WriteSTOP: %v", err)
		}
		again, rowErrs, err := ReadSTOP(&buf)
		if err != nil || len(rowErrs) > 0 {
			t.Fatalf("reading back: %v %v", err, rowErrs)
		}
		if diff := cmp.Diff(orders, again); diff != "" {
			t.Fatalf("read, written and read again (-first +second):\n%s", diff)
		}
	})
}
