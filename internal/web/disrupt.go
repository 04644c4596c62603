package web

import (
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/vigil-project/vigil/internal/disrupt"
	"github.com/vigil-project/vigil/internal/i18n"
)

// disruptRoutes registers the disruption-order routes. The register is
// public: anyone may read it and download it, as STOP CSV or as JSON.
// Only the operator's staff (disrupt.CanRecord) record orders, status
// changes and imports.
func (s *Server) disruptRoutes() {
	staff := roles(disrupt.CanRecord...)
	s.page("GET /disruptions", public, s.disruptionsPage)
	s.page("GET /disruptions.csv", public, s.disruptionsCSV)
	s.page("GET /disruptions/new", staff, s.disruptionForm)
	s.page("POST /disruptions", staff, s.recordDisruption)
	s.page("GET /disruptions/import", staff, s.disruptionImportForm)
	s.page("POST /disruptions/import", staff, s.importDisruptions)
	s.page("GET /disruptions/{id}", public, s.disruptionPage)
	s.page("POST /disruptions/{id}/updates", staff, s.updateDisruption)

	s.apiRoute("GET /api/disruptions", public, s.apiDisruptions)
	s.apiRoute("GET /api/disruptions/{id}", public, s.apiDisruption)
	s.apiRoute("POST /api/disruptions", staff, s.apiRecordDisruption)
	s.apiRoute("POST /api/disruptions/{id}/updates", staff, s.apiUpdateDisruption)
	s.apiRoute("POST /api/disruptions/import", staff, s.apiImportDisruptions)
}

// disruptError turns what the register refuses into what people are told;
// anything else goes to describe as it is.
func disruptError(err error) error {
	var dup *disrupt.DuplicateError
	var missing *disrupt.MissingColumnsError
	switch {
	case errors.Is(err, disrupt.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Key: "disrupt.forbidden", Err: err}
	case errors.As(err, &dup) && dup.Existing == "":
		return &Error{Status: http.StatusConflict, Key: "disrupt.duplicate_now", Err: err}
	case errors.As(err, &dup):
		return &Error{Status: http.StatusConflict, Key: "disrupt.duplicate", Args: []any{"id", dup.Existing}, Err: err}
	case errors.As(err, &missing):
		return &Error{Status: http.StatusBadRequest, Key: "disrupt.import.missing_columns", Args: []any{"columns", strings.Join(missing.Columns, ", ")}}
	case errors.Is(err, disrupt.ErrFormat):
		detail := strings.TrimPrefix(err.Error(), disrupt.ErrFormat.Error()+": ")
		return &Error{Status: http.StatusBadRequest, Key: "disrupt.import.not_stop", Args: []any{"detail", detail}}
	case errors.Is(err, disrupt.ErrTooLarge):
		return &Error{Status: http.StatusRequestEntityTooLarge, Key: "disrupt.import.too_large", Args: []any{"mib", disrupt.MaxSTOPBytes >> 20, "rows", disrupt.MaxSTOPRows}, Err: err}
	}
	return err
}

// invalidOrder reports whether err is Validate's: a list of field problems
// rather than one message from the catalog.
func invalidOrder(err error) bool {
	var ie *i18n.Error
	return errors.Is(err, disrupt.ErrInvalid) && !errors.As(err, &ie) && disrupt.FieldErrors(err) != nil
}

// problemView is one problem with what was typed or uploaded. Label is
// the field, in the reader's language; Msg is the register's own words
// (English: the order's rules and the STOP reader do not use the catalog).
type problemView struct {
	Field string `json:"field,omitempty"`
	Label string `json:"-"`
	Line  int    `json:"line,omitempty"`
	Col   string `json:"column,omitempty"`
	Msg   string `json:"message"`
}

// orderFieldKeys name the catalog's label for each Order field (and the
// fields of a status change) that a problem can be about.
var orderFieldKeys = map[string]string{
	"IssuingAuthority":       "disrupt.field.issuing_authority",
	"OrderedBy":              "disrupt.field.ordered_by",
	"LegalBasis":             "disrupt.field.legal_basis",
	"Justification":          "disrupt.field.justification",
	"GovernmentAcknowledged": "disrupt.field.government_acknowledged",
	"Country":                "disrupt.field.country",
	"WorldRegion":            "disrupt.field.world_region",
	"GeoScope":               "disrupt.field.geo_scope",
	"Regions":                "disrupt.field.regions",
	"Types":                  "disrupt.field.types",
	"Extent":                 "disrupt.field.extent",
	"Networks":               "disrupt.field.networks",
	"Services":               "disrupt.field.services",
	"Telcos":                 "disrupt.field.telcos",
	"Start":                  "disrupt.field.start",
	"End":                    "disrupt.field.end",
	"StartDateType":          "disrupt.field.start_date_type",
	"Status":                 "disrupt.field.status",
	"Duration":               "disrupt.field.duration",
	"ActualCause":            "disrupt.field.actual_cause",
	"ActualCauseDetails":     "disrupt.field.actual_cause_details",
	"Election":               "disrupt.field.election",
	"Violence":               "disrupt.field.violence",
	"HumanRightsAbuse":       "disrupt.field.human_rights_abuse",
	"UsersTargeted":          "disrupt.field.users_targeted",
	"UsersTargetDetail":      "disrupt.field.users_target_detail",
	"Event":                  "disrupt.field.event",
	"InfoSource":             "disrupt.field.info_source",
	"SourceLinks":            "disrupt.field.source_links",
	"AccessNowLinks":         "disrupt.field.access_now_links",
	"Challenged":             "disrupt.field.challenged",
	"Implemented":            "disrupt.field.implemented",
	"CustomersTold":          "disrupt.field.customers_told",
}

// fieldProblems lists Validate's problems for people.
func (s *Server) fieldProblems(lang string, err error) []problemView {
	var out []problemView
	for _, fe := range disrupt.FieldErrors(err) {
		p := problemView{Field: fe.Field, Label: fe.Field, Msg: fe.Msg}
		if key, ok := orderFieldKeys[fe.Field]; ok {
			p.Label = s.deps.Messages.T(lang, key)
		}
		out = append(out, p)
	}
	return out
}

// citationView is a passage an order is flagged under, in the reader's
// language.
type citationView struct {
	Standard   string
	Paragraphs string
	About      string
}

// citationKey names the catalog's text for a passage: "53(b)-(c)" is
// "disrupt.cite.p53_b_c".
func citationKey(paragraphs string) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(paragraphs) {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			gap = true
			continue
		}
		if gap && b.Len() > 0 {
			b.WriteByte('_')
		}
		gap = false
		b.WriteRune(r)
	}
	return "disrupt.cite.p" + b.String()
}

func (s *Server) flags(lang string, o *disrupt.Order) []citationView {
	var out []citationView
	for _, c := range o.Flags() {
		out = append(out, citationView{Standard: c.Standard, Paragraphs: c.Paragraphs, About: s.deps.Messages.T(lang, citationKey(c.Paragraphs))})
	}
	return out
}

// disruptionView is an order as pages show it: what staff typed as they
// typed it, enumerated values and answers in the reader's language.
type disruptionView struct {
	ID                                     string
	Order                                  disrupt.Order
	Start                                  string
	End                                    string // empty if not known
	Lifted                                 string // empty if not lifted
	Status                                 string
	Types, Extent, Networks, Services      []string
	Challenged, Implemented, CustomersTold string
	GovernmentAcknowledged                 string
	Election, Violence, HumanRightsAbuse   string
	Source                                 string
	ImportID                               string
	RecordedAt                             time.Time
	History                                []historyView
}

// historyView is one status change. Note is set only for those who may
// see it (disrupt.CanSeePrivate).
type historyView struct {
	ID         int64
	On         string
	Change     string
	Answer     string
	Note       string
	RecordedAt time.Time
}

func dayText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(disrupt.DateLayout)
}

func answerKey(a disrupt.Answer) string { return "disrupt.answer." + a.Token() }

// enumKeys translates enumerated values: prefix names their catalog keys,
// such as "disrupt.type." for shutdown types.
func enumKeys[T ~string](s *Server, lang, prefix string, list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = s.deps.Messages.T(lang, prefix+disrupt.Token(string(v)))
	}
	return out
}

func (s *Server) disruptionView(lang string, r *disrupt.Recorded, private bool) disruptionView {
	t := func(key string) string { return s.deps.Messages.T(lang, key) }
	o := r.Order
	v := disruptionView{
		ID: r.ID, Order: o, Start: dayText(o.Start), End: dayText(o.End), Lifted: dayText(r.Lifted),
		Types:                  enumKeys(s, lang, "disrupt.type.", o.Types),
		Extent:                 enumKeys(s, lang, "disrupt.extent.", o.Extent),
		Networks:               enumKeys(s, lang, "disrupt.network.", o.Networks),
		Challenged:             t(answerKey(o.Challenged)),
		Implemented:            t(answerKey(o.Implemented)),
		CustomersTold:          t(answerKey(o.CustomersTold)),
		GovernmentAcknowledged: t(answerKey(o.GovernmentAcknowledged)),
		Election:               t(answerKey(o.Election)),
		Violence:               t(answerKey(o.Violence)),
		HumanRightsAbuse:       t(answerKey(o.HumanRightsAbuse)),
		Source:                 t("disrupt.source." + string(r.Source)),
		ImportID:               r.ImportID,
		RecordedAt:             r.RecordedAt,
	}
	if o.Status != "" {
		v.Status = t("disrupt.status." + disrupt.Token(string(o.Status)))
	}
	for _, svc := range o.Services {
		if disrupt.IsNamedService(svc) {
			svc = t("disrupt.service." + disrupt.Token(svc))
		}
		v.Services = append(v.Services, svc)
	}
	for _, u := range r.History {
		h := historyView{ID: u.ID, On: dayText(u.On), Change: t("disrupt.change." + string(u.Change)), RecordedAt: u.RecordedAt}
		if u.Change.TakesAnswer() {
			h.Answer = t(answerKey(u.Answer))
		}
		if private {
			h.Note = u.Note
		}
		v.History = append(v.History, h)
	}
	return v
}

// normalizeText makes what a form sends fit the register's rules on text:
// browsers end lines in a textarea with CR LF, which the rules refuse.
func normalizeText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"))
}
