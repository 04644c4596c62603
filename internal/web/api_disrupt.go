package web

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/vigil-project/vigil/internal/disrupt"
)

// disruptionJSON is an order as the API shows it. Notes on status changes
// are shown only to disrupt.CanSeePrivate.
type disruptionJSON struct {
	ID    string        `json:"id"`
	Order disrupt.Order `json:"order"`
	// AsRecorded is the order as first recorded; only on GET of one order.
	AsRecorded *disrupt.Order `json:"as_recorded,omitempty"`
	Lifted     string         `json:"lifted,omitempty"`
	Flag       flagJSON       `json:"flag"`
	History    []updateJSON   `json:"history"`
	Source     disrupt.Source `json:"source"`
	ImportID   string         `json:"import,omitempty"`
	RecordedAt time.Time      `json:"recorded_at"`
	Event      int64          `json:"event,omitempty"`
}

// flagJSON is what every order is flagged as, and under which passages.
type flagJSON struct {
	ContraryToStandards bool           `json:"contrary_to_standards"`
	Label               string         `json:"label"`
	Citations           []citationJSON `json:"citations"`
}

type citationJSON struct {
	Standard   string `json:"standard"`
	Paragraphs string `json:"paragraphs"`
	About      string `json:"about"`
}

type updateJSON struct {
	ID         int64          `json:"id"`
	Change     disrupt.Change `json:"change"`
	Answer     string         `json:"answer,omitempty"`
	On         string         `json:"on"`
	Note       string         `json:"note,omitempty"`
	RecordedAt time.Time      `json:"recorded_at"`
	Event      int64          `json:"event,omitempty"`
}

func (s *Server) flagJSON(lang string, o *disrupt.Order) flagJSON {
	f := flagJSON{ContraryToStandards: true, Label: s.deps.Messages.T(lang, "disrupt.flag"), Citations: []citationJSON{}}
	for _, c := range s.flags(lang, o) {
		f.Citations = append(f.Citations, citationJSON{Standard: c.Standard, Paragraphs: c.Paragraphs, About: c.About})
	}
	return f
}

func toUpdateJSON(u disrupt.Update, private bool) updateJSON {
	out := updateJSON{ID: u.ID, Change: u.Change, On: dayText(u.On), RecordedAt: u.RecordedAt}
	if u.Change.TakesAnswer() {
		out.Answer = u.Answer.Token()
	}
	if private {
		out.Note = u.Note
	}
	return out
}

func (s *Server) toDisruptionJSON(lang string, r *disrupt.Recorded, private bool) disruptionJSON {
	out := disruptionJSON{
		ID: r.ID, Order: r.Order, Lifted: dayText(r.Lifted), Flag: s.flagJSON(lang, &r.Order),
		History: []updateJSON{}, Source: r.Source, ImportID: r.ImportID, RecordedAt: r.RecordedAt,
	}
	for _, u := range r.History {
		out.History = append(out.History, toUpdateJSON(u, private))
	}
	return out
}

// callerPrivate reports whether the API caller may see notes.
func callerPrivate(c *apiCaller) bool {
	return c.account != nil && c.account.Role.Is(disrupt.CanSeePrivate...)
}

// apiDisruptions lists the register, latest start first, a page at a time.
func (s *Server) apiDisruptions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	offset, limit := 0, 100
	for _, p := range []struct {
		name string
		to   *int
		max  int
	}{{"offset", &offset, 1 << 30}, {"limit", &limit, disrupt.MaxPage}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > p.max || p.name == "limit" && n == 0 {
				return httpError(http.StatusBadRequest, "disrupt.bad_paging", "max", disrupt.MaxPage)
			}
			*p.to = n
		}
	}
	c := callerFrom(r.Context())
	total, err := s.deps.Disruptions.Count(r.Context())
	if err != nil {
		return err
	}
	list, err := s.deps.Disruptions.List(r.Context(), offset, limit)
	if err != nil {
		return err
	}
	out := make([]disruptionJSON, len(list))
	for i := range list {
		out[i] = s.toDisruptionJSON(c.lang, &list[i], callerPrivate(c))
	}
	return writeJSON(w, http.StatusOK, map[string]any{"total": total, "offset": offset, "limit": limit, "orders": out})
}

func (s *Server) apiDisruption(w http.ResponseWriter, r *http.Request) error {
	rec, err := s.deps.Disruptions.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	c := callerFrom(r.Context())
	out := s.toDisruptionJSON(c.lang, &rec, callerPrivate(c))
	out.AsRecorded = &rec.AsRecorded
	return writeJSON(w, http.StatusOK, out)
}

// apiRecordDisruption records an order given as JSON (the Order's JSON
// form). A refused order is a problem document that lists every problem.
func (s *Server) apiRecordDisruption(w http.ResponseWriter, r *http.Request) error {
	var in disrupt.Order
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c := callerFrom(r.Context())
	rec, event, err := s.deps.Disruptions.Record(r.Context(), *c.account, in)
	if invalidOrder(err) {
		return s.apiProblems(w, r, httpError(http.StatusBadRequest, "disrupt.invalid"), map[string]any{"problems": s.fieldProblems(c.lang, err)})
	}
	var dup *disrupt.DuplicateError
	if errors.As(err, &dup) && dup.Existing != "" {
		return s.apiProblems(w, r, disruptError(err), map[string]any{"existing": dup.Existing})
	}
	if err != nil {
		return disruptError(err)
	}
	out := s.toDisruptionJSON(c.lang, &rec, callerPrivate(c))
	out.Event = event
	w.Header().Set("Location", "/api/disruptions/"+rec.ID)
	return writeJSON(w, http.StatusCreated, out)
}

// statusChangeJSON is the body of POST /api/disruptions/{id}/updates.
type statusChangeJSON struct {
	Change disrupt.Change `json:"change"`
	Answer disrupt.Answer `json:"answer"`
	On     string         `json:"on"`
	Note   string         `json:"note"`
}

func (s *Server) apiUpdateDisruption(w http.ResponseWriter, r *http.Request) error {
	var in statusChangeJSON
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	c := disrupt.StatusChange{Change: in.Change, Answer: in.Answer, Note: in.Note}
	if in.On != "" {
		t, err := time.Parse(disrupt.DateLayout, in.On)
		if err != nil {
			return httpError(http.StatusBadRequest, "disrupt.form.bad_date")
		}
		c.On = t
	}
	caller := callerFrom(r.Context())
	u, event, err := s.deps.Disruptions.Update(r.Context(), *caller.account, r.PathValue("id"), c)
	if err != nil {
		return disruptError(err)
	}
	out := toUpdateJSON(u, true)
	out.Event = event
	return writeJSON(w, http.StatusCreated, out)
}

// importResultJSON is what an import did.
type importResultJSON struct {
	ID         string         `json:"import,omitempty"`
	Rows       int            `json:"rows"`
	Imported   []importedJSON `json:"imported"`
	Duplicates []dupJSON      `json:"duplicates"`
	Notices    []problemView  `json:"notices"`
	Event      int64          `json:"event,omitempty"`
}

type importedJSON struct {
	Line int    `json:"line"`
	ID   string `json:"id"`
}

type dupJSON struct {
	Line       int    `json:"line"`
	Existing   string `json:"existing,omitempty"`
	SameAsLine int    `json:"same_as_line,omitempty"`
}

// apiImportDisruptions imports a STOP file sent as the body, with the
// content type text/csv: the exchange format itself, not JSON. Like JSON,
// text/csv is not a content type a cross-site form can send, and the API
// takes no cookies.
func (s *Server) apiImportDisruptions(w http.ResponseWriter, r *http.Request) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "text/csv" {
		return httpError(http.StatusUnsupportedMediaType, "disrupt.import.csv_only")
	}
	body := http.MaxBytesReader(w, r.Body, disrupt.MaxSTOPBytes+1)
	c := callerFrom(r.Context())
	res, err := s.deps.Disruptions.Import(r.Context(), *c.account, body)
	notices := rowProblems(res.Notices)
	var ie *disrupt.ImportError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ie):
		return s.apiProblems(w, r, httpError(http.StatusBadRequest, "disrupt.import.rejected"), map[string]any{"problems": rowProblems(ie.Problems), "notices": notices})
	case errors.As(err, &mbe):
		return disruptError(disrupt.ErrTooLarge)
	case err != nil:
		return disruptError(err)
	}
	out := importResultJSON{ID: res.ID, Rows: res.Rows, Imported: []importedJSON{}, Duplicates: []dupJSON{}, Notices: notices, Event: res.Event}
	for _, row := range res.Imported {
		out.Imported = append(out.Imported, importedJSON{Line: row.Line, ID: row.ID})
	}
	for _, d := range res.Duplicates {
		out.Duplicates = append(out.Duplicates, dupJSON{Line: d.Line, Existing: d.Existing, SameAsLine: d.SameAsLine})
	}
	return writeJSON(w, http.StatusOK, out)
}

// apiProblems writes the problem document for err with members of its
// own (RFC 9457 allows them), such as the list of every problem.
func (s *Server) apiProblems(w http.ResponseWriter, r *http.Request, err error, extra map[string]any) error {
	p := s.describe(err, callerFrom(r.Context()).lang)
	doc := map[string]any{"type": "about:blank", "title": p.Title, "status": p.Status, "detail": p.Detail, "instance": r.URL.Path}
	for k, v := range extra {
		doc[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	return json.NewEncoder(w).Encode(doc)
}
