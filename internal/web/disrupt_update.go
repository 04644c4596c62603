package web

import (
	"net/http"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/disrupt"
)

// parseStatusForm reads the status-change form. The answer counts only for
// the changes that take one; the form shows it for all.
func parseStatusForm(f map[string][]string) (disrupt.StatusChange, error) {
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	c := disrupt.StatusChange{Change: disrupt.Change(get("change")), Note: normalizeText(get("note"))}
	if c.Change.TakesAnswer() {
		a, ok := disrupt.ParseAnswer(get("answer"))
		if !ok {
			return c, httpError(http.StatusBadRequest, "disrupt.update.answer")
		}
		c.Answer = a
	}
	if on := strings.TrimSpace(get("on")); on != "" {
		t, err := time.Parse(disrupt.DateLayout, on)
		if err != nil {
			return c, httpError(http.StatusBadRequest, "disrupt.form.bad_date")
		}
		c.On = t
	}
	return c, nil
}

// updateDisruption records a status change of an order: one more entry in
// its history.
func (s *Server) updateDisruption(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	orderID := r.PathValue("id")
	c, err := parseStatusForm(r.PostForm)
	if err == nil {
		if _, _, err = s.deps.Disruptions.Update(r.Context(), *vw.account, orderID, c); err == nil {
			http.Redirect(w, r, "/disruptions/"+orderID+"?saved=updated#history", http.StatusSeeOther)
			return nil
		}
	}
	err = disruptError(err)
	p, err := s.formProblem(r, err)
	if err != nil {
		return err
	}
	return s.renderDisruption(w, r, p.Status, orderID, r.PostForm, p.Detail)
}
