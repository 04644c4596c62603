package force

import "github.com/vigil-project/vigil/internal/ledger"

// The events force records. Public facts are identifiers, weapon types,
// enumerated values, counts, the trained flag and months. The holder or
// reporting officer, the unit, times of use, places and every piece of
// free text are private: the log holds only commitments to them. The
// acting account is committed to by the ledger itself.
var (
	evCertificateRecorded = ledger.Kind{Name: "force.certificate_recorded",
		Facts:   []string{"certificate", "weapon", "issued_on", "expires_on"},
		Private: []string{"holder", "unit", "issuer", "reference"}}
	evCertificateRevoked = ledger.Kind{Name: "force.certificate_revoked",
		Facts:   []string{"certificate", "weapon"},
		Private: []string{"holder", "reason"}}
	evIncidentReported = ledger.Kind{Name: "force.incident_reported",
		Facts: []string{"incident", "weapon", "month", "assembly", "uses", "injuries", "trained", "warning_given", "medical",
			"body_cameras", "contradicts_zero_report"},
		Private: []string{"unit", "occurred_at", "place", "point", "circumstances", "warning", "injury_description",
			"medical_note", "body_camera_refs", "certificate"}}
	evAddendumAdded = ledger.Kind{Name: "force.addendum_added",
		Facts:   []string{"incident", "addendum", "body_cameras"},
		Private: []string{"text", "body_camera_refs"}}
	evFlagReviewed = ledger.Kind{Name: "force.flag_reviewed",
		Facts:   []string{"incident"},
		Private: []string{"note"}}
	evZeroReportFiled = ledger.Kind{Name: "force.zero_report_filed",
		Facts:   []string{"zero_report", "month"},
		Private: []string{"unit"}}
	evReferred = ledger.Kind{Name: "force.referred",
		Facts:   []string{"referral", "incident", "body_kind", "status"},
		Private: []string{"body", "reference", "reasons"}}
	evReferralUpdated = ledger.Kind{Name: "force.referral_updated",
		Facts:   []string{"referral", "incident", "from", "to"},
		Private: []string{"note"}}
)

// Subjects, for the history of a record.
func incidentSubject(id string) string    { return "force_incident:" + id }
func certificateSubject(id string) string { return "force_certificate:" + id }
func zeroSubject(id string) string        { return "force_zero_report:" + id }

// IncidentSubject is the ledger subject of an incident's events, for its
// history.
func IncidentSubject(id string) string { return incidentSubject(id) }

// CertificateSubject is the ledger subject of a certificate's events.
func CertificateSubject(id string) string { return certificateSubject(id) }
