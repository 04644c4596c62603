package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/vigil-project/vigil/internal/disrupt"
	"github.com/vigil-project/vigil/internal/ledger"
)

// disruptionPageView is one order's public page, and for staff the form
// that records a status change.
type disruptionPageView struct {
	D    disruptionView
	Flag []citationView
	// Events are the order's events on the log.
	Events []ledger.Stored
	// CanRecord shows the status form; ShowPrivate the notes.
	CanRecord, ShowPrivate bool
	Changes                []optionView
	// Form is the status form as typed, shown again with Error.
	Form   url.Values
	Error  string
	Notice string
	Today  string
}

// optionView is one choice of a form: a checkbox, a radio button or an
// option of a select.
type optionView struct {
	ID, Value, Label string
	Checked          bool
}

// savedNotices are what ?saved= may ask a page to say.
var savedNotices = map[string]string{
	"recorded": "disrupt.notice.recorded",
	"updated":  "disrupt.notice.updated",
}

func (s *Server) disruptionPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderDisruption(w, r, http.StatusOK, r.PathValue("id"), nil, "")
}

// renderDisruption shows an order; form and errMsg, if set, are a status
// change that was refused.
func (s *Server) renderDisruption(w http.ResponseWriter, r *http.Request, status int, orderID string, form url.Values, errMsg string) error {
	ctx := r.Context()
	rec, err := s.deps.Disruptions.Get(ctx, orderID)
	if err != nil {
		return err
	}
	evs, err := ledger.List(ctx, s.deps.DB, ledger.Query{Subject: disrupt.Subject(rec.ID)})
	if err != nil {
		return err
	}
	v := viewerFrom(ctx)
	private := v.account != nil && v.account.Role.Is(disrupt.CanSeePrivate...)
	view := disruptionPageView{
		D: s.disruptionView(v.lang, &rec, private), Flag: s.flags(v.lang, &rec.Order), Events: evs,
		CanRecord:   v.account != nil && v.account.Role.Is(disrupt.CanRecord...),
		ShowPrivate: private,
		Form:        form, Error: errMsg,
		Today: time.Now().UTC().Format(disrupt.DateLayout),
	}
	if key, ok := savedNotices[r.URL.Query().Get("saved")]; ok && form == nil {
		view.Notice = s.deps.Messages.T(v.lang, key)
	}
	if view.CanRecord {
		if view.Form == nil {
			view.Form = url.Values{"on": {view.Today}}
		}
		for _, c := range disrupt.Changes {
			view.Changes = append(view.Changes, optionView{
				Value: string(c), Label: s.deps.Messages.T(v.lang, "disrupt.change."+string(c)), Checked: view.Form.Get("change") == string(c),
			})
		}
	}
	s.render(w, r, status, "disrupt_order", "disrupt.order.title", view)
	return nil
}
