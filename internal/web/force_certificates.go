package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/force"
)

// forceCertificatesView is the training register as the viewer may see
// it, with the form to record a certificate for those who keep it.
type forceCertificatesView struct {
	Certificates []force.Certificate
	Now          time.Time
	Weapons      []weaponOption
	Filter       url.Values
	// CanRecord: commanders (for their unit) and admins keep the register;
	// Members are whom they may record certificates for.
	CanRecord bool
	Members   []force.Member
	// Readiness is how the viewer's unit stands, weapon by weapon.
	Readiness     []force.Readiness
	ReadinessUnit string
	// CanFilterUnit: oversight and admins may pick a unit.
	CanFilterUnit bool
	Form          url.Values
	// Error is shown at the form named by ErrorAt: "record" or a
	// certificate's ID.
	Error, ErrorAt string
	Done           string
}

func (s *Server) forceCertificatesView(r *http.Request) (forceCertificatesView, error) {
	ctx := r.Context()
	a := *viewerFrom(ctx).account
	q := r.URL.Query()
	now := time.Now().UTC()
	v := forceCertificatesView{Now: now, Weapons: forceWeapons(), Filter: q, CanRecord: a.Role.Is(force.CanRecordCertificates...),
		CanFilterUnit: a.Role.Is(force.CanReadAll...), Form: url.Values{}}
	cq := force.CertificateQuery{Weapon: q.Get("weapon")}
	if v.CanFilterUnit {
		cq.Unit = strings.TrimSpace(q.Get("unit"))
	}
	if q.Get("current") == "1" {
		cq.CurrentAt = now
	}
	var err error
	if v.Certificates, err = s.deps.Force.Certificates(ctx, a, cq); err != nil {
		return v, err
	}
	if v.CanRecord {
		unit := ""
		if a.Role == auth.Commander {
			unit = a.Unit
		}
		if a.Role != auth.Commander || force.UnitKey(unit) != "" {
			members, err := s.deps.Force.Members(ctx, unit)
			if err != nil {
				return v, err
			}
			for _, m := range members {
				if m.AccountID != a.ID { // nobody records their own
					v.Members = append(v.Members, m)
				}
			}
		}
	}
	unit := a.Unit
	if v.CanFilterUnit && cq.Unit != "" {
		unit = cq.Unit
	}
	if a.Role == auth.Commander || (v.CanFilterUnit && cq.Unit != "") {
		if force.UnitKey(unit) != "" {
			if v.Readiness, err = s.deps.Force.UnitReadiness(ctx, unit, now); err != nil {
				return v, err
			}
			v.ReadinessUnit = unit
		}
	}
	return v, nil
}

func (s *Server) forceCertificatesPage(w http.ResponseWriter, r *http.Request) error {
	v, err := s.forceCertificatesView(r)
	if err != nil {
		return err
	}
	v.Done = forceDoneKey(r)
	s.render(w, r, http.StatusOK, "force_certificates", "force.certificates.title", v)
	return nil
}

// dateLayout is what an <input type="date"> sends.
const dateLayout = "2006-01-02"

func (s *Server) forceRecordCertificate(w http.ResponseWriter, r *http.Request) error {
	f := r.PostForm
	n := force.NewCertificate{AccountID: f.Get("account"), Weapon: f.Get("weapon"), Issuer: f.Get("issuer"), Reference: f.Get("reference")}
	var err error
	if n.IssuedOn, err = time.Parse(dateLayout, strings.TrimSpace(f.Get("issued_on"))); err != nil {
		err = httpError(http.StatusBadRequest, "force.form.bad_date", "field", "issued_on")
	} else if n.ExpiresOn, err = time.Parse(dateLayout, strings.TrimSpace(f.Get("expires_on"))); err != nil {
		err = httpError(http.StatusBadRequest, "force.form.bad_date", "field", "expires_on")
	} else {
		_, err = s.deps.Force.RecordCertificate(r.Context(), *viewerFrom(r.Context()).account, n)
	}
	if err == nil {
		redirectDone(w, r, "/force/certificates", "recorded", "")
		return nil
	}
	return s.forceCertificatesAgain(w, r, "record", err)
}

func (s *Server) forceRevokeCertificate(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.deps.Force.RevokeCertificate(r.Context(), *viewerFrom(r.Context()).account, id, r.PostForm.Get("reason")); err != nil {
		return s.forceCertificatesAgain(w, r, id, err)
	}
	redirectDone(w, r, "/force/certificates", "revoked", "")
	return nil
}

// forceCertificatesAgain shows the register again with a form's error.
func (s *Server) forceCertificatesAgain(w http.ResponseWriter, r *http.Request, at string, err error) error {
	status, detail, ok := s.forceProblem(err, viewerFrom(r.Context()).lang)
	if !ok || status == http.StatusNotFound {
		return err
	}
	v, verr := s.forceCertificatesView(r)
	if verr != nil {
		return verr
	}
	v.Error, v.ErrorAt, v.Form = detail, at, r.PostForm
	s.render(w, r, status, "force_certificates", "force.certificates.title", v)
	return nil
}
