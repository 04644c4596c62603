package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/disrupt"
)

// disruptionFormView is the form that records an order, as typed when it
// is shown again with problems.
type disruptionFormView struct {
	Form                               url.Values
	Error                              string
	Problems                           []problemView
	Duplicate                          string // the order this one repeats
	Types, Extents, Networks, Services []optionView
	Statuses, GeoScopes                []optionView
	Answers                            []answerField
}

// answerField is a yes/no/unknown question of the form.
type answerField struct {
	Name, Label string
	Options     []optionView
}

// The form's fields that hold lists.
const (
	formTypes    = "types"
	formExtent   = "extent"
	formNetworks = "networks"
	formServices = "services"
)

func (s *Server) newDisruptionForm(lang string, f url.Values) disruptionFormView {
	t := func(key string) string { return s.deps.Messages.T(lang, key) }
	checks := func(field, prefix string, values []string) []optionView {
		var out []optionView
		for i, v := range values {
			out = append(out, optionView{
				ID: fmt.Sprintf("%s-%d", field, i), Value: v, Label: t(prefix + disrupt.Token(v)),
				Checked: slices.Contains(f[field], v),
			})
		}
		return out
	}
	v := disruptionFormView{
		Form:     f,
		Types:    checks(formTypes, "disrupt.type.", enumValues(disrupt.ShutdownTypes())),
		Extents:  checks(formExtent, "disrupt.extent.", enumValues(disrupt.Extents())),
		Networks: checks(formNetworks, "disrupt.network.", enumValues(disrupt.Networks())),
		Services: checks(formServices, "disrupt.service.", disrupt.NamedServices()),
		Statuses: checks("status", "disrupt.status.", enumValues(disrupt.Statuses())),
	}
	for i, g := range disrupt.GeoScopes() {
		v.GeoScopes = append(v.GeoScopes, optionView{ID: fmt.Sprintf("geo_scope-%d", i), Value: g, Label: g, Checked: f.Get("geo_scope") == g})
	}
	for _, q := range []struct{ name, key string }{
		{"challenged", "disrupt.field.challenged"},
		{"implemented", "disrupt.field.implemented"},
		{"customers_told", "disrupt.field.customers_told"},
	} {
		a := answerField{Name: q.name, Label: t(q.key)}
		for _, ans := range []string{"yes", "no", "unknown"} {
			a.Options = append(a.Options, optionView{
				ID: q.name + "-" + ans, Value: ans, Label: t("disrupt.answer." + ans),
				Checked: f.Get(q.name) == ans || f.Get(q.name) == "" && ans == "unknown",
			})
		}
		v.Answers = append(v.Answers, a)
	}
	return v
}

func enumValues[T ~string](list []T) []string {
	out := make([]string, len(list))
	for i, v := range list {
		out[i] = string(v)
	}
	return out
}

func (s *Server) disruptionForm(w http.ResponseWriter, r *http.Request) error {
	lang := viewerFrom(r.Context()).lang
	s.render(w, r, http.StatusOK, "disrupt_new", "disrupt.new.title", s.newDisruptionForm(lang, url.Values{}))
	return nil
}

// splitList cuts a form's list field at commas, dropping empty items.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseDisruptionForm decodes the form. Days are YYYY-MM-DD, as a date
// input sends them; a day that does not parse is a problem of its field.
func (s *Server) parseDisruptionForm(lang string, f url.Values) (disrupt.Order, []problemView) {
	o := disrupt.Order{
		Country:          normalizeText(f.Get("country")),
		GeoScope:         normalizeText(f.Get("geo_scope")),
		Regions:          splitList(f.Get("regions")),
		Telcos:           normalizeText(f.Get("telcos")),
		IssuingAuthority: normalizeText(f.Get("issuing_authority")),
		OrderedBy:        normalizeText(f.Get("ordered_by")),
		LegalBasis:       normalizeText(f.Get("legal_basis")),
		Justification:    normalizeText(f.Get("justification")),
		Status:           disrupt.Status(f.Get("status")),
		ActualCause:      normalizeText(f.Get("actual_cause")),
		Event:            normalizeText(f.Get("event")),
		SourceLinks:      strings.Fields(f.Get("source_links")),
	}
	for _, v := range f[formTypes] {
		o.Types = append(o.Types, disrupt.ShutdownType(v))
	}
	for _, v := range f[formExtent] {
		o.Extent = append(o.Extent, disrupt.Extent(v))
	}
	for _, v := range f[formNetworks] {
		o.Networks = append(o.Networks, disrupt.Network(v))
	}
	o.Services = append(slices.Clone(f[formServices]), splitList(f.Get("other_services"))...)
	var problems []problemView
	for _, d := range []struct {
		name, field string
		to          *time.Time
	}{{"start", "Start", &o.Start}, {"end", "End", &o.End}} {
		v := strings.TrimSpace(f.Get(d.name))
		if v == "" {
			continue
		}
		t, err := time.Parse(disrupt.DateLayout, v)
		if err != nil {
			problems = append(problems, problemView{Field: d.field, Label: s.deps.Messages.T(lang, orderFieldKeys[d.field]), Msg: s.deps.Messages.T(lang, "disrupt.form.bad_date")})
			continue
		}
		*d.to = t
	}
	for _, a := range []struct {
		name, field string
		to          *disrupt.Answer
	}{{"challenged", "Challenged", &o.Challenged}, {"implemented", "Implemented", &o.Implemented}, {"customers_told", "CustomersTold", &o.CustomersTold}} {
		v, ok := disrupt.ParseAnswer(f.Get(a.name))
		if !ok {
			problems = append(problems, problemView{Field: a.field, Label: s.deps.Messages.T(lang, orderFieldKeys[a.field]), Msg: s.deps.Messages.T(lang, "disrupt.update.answer")})
		}
		*a.to = v
	}
	return o, problems
}

// recordDisruption records the order the form describes.
func (s *Server) recordDisruption(w http.ResponseWriter, r *http.Request) error {
	vw := viewerFrom(r.Context())
	o, problems := s.parseDisruptionForm(vw.lang, r.PostForm)
	view := s.newDisruptionForm(vw.lang, r.PostForm)
	if len(problems) > 0 {
		// Every problem at once: the order's own rules too, but for the
		// fields that could not even be read.
		for _, p := range s.fieldProblems(vw.lang, o.Validate()) {
			if !slices.ContainsFunc(problems, func(q problemView) bool { return q.Field == p.Field }) {
				problems = append(problems, p)
			}
		}
		view.Error, view.Problems = s.deps.Messages.T(vw.lang, "disrupt.invalid"), problems
		s.render(w, r, http.StatusBadRequest, "disrupt_new", "disrupt.new.title", view)
		return nil
	}
	rec, _, err := s.deps.Disruptions.Record(r.Context(), *vw.account, o)
	if err == nil {
		http.Redirect(w, r, "/disruptions/"+rec.ID+"?saved=recorded", http.StatusSeeOther)
		return nil
	}
	if invalidOrder(err) {
		view.Error, view.Problems = s.deps.Messages.T(vw.lang, "disrupt.invalid"), s.fieldProblems(vw.lang, err)
		s.render(w, r, http.StatusBadRequest, "disrupt_new", "disrupt.new.title", view)
		return nil
	}
	var dup *disrupt.DuplicateError
	if errors.As(err, &dup) {
		view.Duplicate = dup.Existing
	}
	err = disruptError(err)
	p, err := s.formProblem(r, err)
	if err != nil {
		return err
	}
	view.Error = p.Detail
	s.render(w, r, p.Status, "disrupt_new", "disrupt.new.title", view)
	return nil
}
