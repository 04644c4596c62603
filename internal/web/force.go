package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vigil-project/vigil/internal/assembly"
	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/force"
	"github.com/vigil-project/vigil/internal/i18n"
)

// forceRoutes registers the use-of-force routes: reports, the training
// register, zero reports, oversight's queue, referrals and statistics.
func (s *Server) forceRoutes() {
	readers := roles(force.CanRead...)
	reporters := roles(force.CanReport...)
	registrars := roles(force.CanRecordCertificates...)
	overseers := roles(force.CanOversee...)
	zeroReaders := roles(auth.Commander, auth.Oversight, auth.Admin)

	// Reports.
	s.page("GET /force/reports", readers, s.forceH(s.forceReportsPage))
	s.page("GET /force/reports/new", reporters, s.forceH(s.forceReportForm))
	s.page("POST /force/reports", reporters, s.forceH(s.forceFileReport))
	s.page("GET /force/reports/{id}", readers, s.forceH(s.forceReportPage))
	s.page("POST /force/reports/{id}/addenda", reporters, s.forceH(s.forceAddAddendum))
	// Oversight.
	s.page("GET /oversight/force", roles(force.CanReadAll...), s.forceH(s.forceQueuePage))
	s.page("POST /force/reports/{id}/review", overseers, s.forceH(s.forceReviewFlag))
	s.page("POST /force/reports/{id}/referrals", overseers, s.forceH(s.forceRefer))
	s.page("POST /force/referrals/{id}/status", overseers, s.forceH(s.forceUpdateReferral))
	s.page("GET /force/statistics", public, s.forceH(s.forceStatsPage))
	// The training register.
	s.page("GET /force/certificates", readers, s.forceH(s.forceCertificatesPage))
	s.page("POST /force/certificates", registrars, s.forceH(s.forceRecordCertificate))
	s.page("POST /force/certificates/{id}/revoke", registrars, s.forceH(s.forceRevokeCertificate))
	// Zero reports.
	s.page("GET /force/zero-reports", zeroReaders, s.forceH(s.forceZeroPage))
	s.page("POST /force/zero-reports", roles(force.CanFileZero...), s.forceH(s.forceFileZero))

	// The JSON API.
	s.apiRoute("GET /api/force/reports", readers, s.forceH(s.apiForceReports))
	s.apiRoute("POST /api/force/reports", reporters, s.forceH(s.apiForceReport))
	s.apiRoute("GET /api/force/reports/{id}", readers, s.forceH(s.apiForceIncident))
	s.apiRoute("POST /api/force/reports/{id}/addenda", reporters, s.forceH(s.apiForceAddendum))
	s.apiRoute("POST /api/force/reports/{id}/review", overseers, s.forceH(s.apiForceReview))
	s.apiRoute("POST /api/force/reports/{id}/referrals", overseers, s.forceH(s.apiForceRefer))
	s.apiRoute("GET /api/force/queue", roles(force.CanReadAll...), s.forceH(s.apiForceQueue))
	s.apiRoute("GET /api/force/referrals", roles(force.CanReadAll...), s.forceH(s.apiForceReferrals))
	s.apiRoute("POST /api/force/referrals/{id}/status", overseers, s.forceH(s.apiForceUpdateReferral))
	s.apiRoute("GET /api/force/certificates", readers, s.forceH(s.apiForceCertificates))
	s.apiRoute("POST /api/force/certificates", registrars, s.forceH(s.apiForceRecordCertificate))
	s.apiRoute("POST /api/force/certificates/{id}/revoke", registrars, s.forceH(s.apiForceRevokeCertificate))
	s.apiRoute("GET /api/force/training", roles(auth.Commander, auth.Oversight, auth.Admin), s.forceH(s.apiForceTraining))
	s.apiRoute("GET /api/force/zero-reports", zeroReaders, s.forceH(s.apiForceZeroReports))
	s.apiRoute("POST /api/force/zero-reports", roles(force.CanFileZero...), s.forceH(s.apiForceFileZero))
	s.apiRoute("GET /api/force/zero-reports/missing", zeroReaders, s.forceH(s.apiForceMissingZero))
	s.apiRoute("GET /api/force/statistics", public, s.forceH(s.apiForceStats))
}

// forceErr gives the force service's refusals their HTTP status: a
// refusal by role or unit is 403 and a clash with a record's state 409,
// each with the service's own message; other errors go on as they are.
func forceErr(err error) error {
	var ie *i18n.Error
	if err == nil || !errors.As(err, &ie) {
		return err
	}
	switch {
	case errors.Is(err, force.ErrForbidden):
		return &Error{Status: http.StatusForbidden, Key: ie.Key, Args: ie.Args}
	case errors.Is(err, force.ErrConflict):
		return &Error{Status: http.StatusConflict, Key: ie.Key, Args: ie.Args}
	}
	return err
}

// forceH wraps a use-of-force handler so that the one place that shows
// errors sees them with their status.
func (s *Server) forceH(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error { return forceErr(h(w, r)) }
}

// forceProblem describes err for a form shown again: its status and
// message. ok is false when the error is the server's, not the input's.
func (s *Server) forceProblem(err error, lang string) (status int, detail string, ok bool) {
	p := s.describe(forceErr(err), lang)
	return p.Status, p.Detail, p.Status < 500
}

// forceDone are the confirmations a redirect may ask for with ?done=.
var forceDone = map[string]string{
	"filed":    "force.done.filed",
	"addendum": "force.done.addendum",
	"reviewed": "force.done.reviewed",
	"referred": "force.done.referred",
	"referral": "force.done.referral",
	"recorded": "force.done.recorded",
	"revoked":  "force.done.revoked",
	"zero":     "force.done.zero",
}

// forceDoneKey returns the catalog key of the confirmation r asks for, or
// "" for none.
func forceDoneKey(r *http.Request) string { return forceDone[r.URL.Query().Get("done")] }

// weaponOption is a weapon type for a form, with its label's catalog key.
type weaponOption struct{ Value, Label string }

func forceWeapons() []weaponOption {
	out := make([]weaponOption, len(assembly.Weapons))
	for i, w := range assembly.Weapons {
		out[i] = weaponOption{Value: w, Label: "force.weapon." + w}
	}
	return out
}

// formInt reads a whole number from a form field; empty is def.
func formInt(f url.Values, field string, def int) (int, error) {
	v := strings.TrimSpace(f.Get(field))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, httpError(http.StatusBadRequest, "force.form.bad_number", "field", field)
	}
	return n, nil
}

// redirectDone sends the browser to path, asking it to confirm done.
func redirectDone(w http.ResponseWriter, r *http.Request, path, done, anchor string) {
	u := path + "?done=" + url.QueryEscape(done)
	if anchor != "" {
		u += "#" + anchor
	}
	http.Redirect(w, r, u, http.StatusSeeOther)
}
