package disrupt

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Order is one disruption order: an order to block, slow or shut down a
// network or service. The comment on each field names the STOP column it
// is exchanged in (see ReadSTOP); fields marked "Vigil only" have no STOP
// column and are not exported.
//
// Zero values mean "not known": an empty string, an empty list, a zero
// End, Unknown for an Answer.
//
// Its JSON form, with the names the field tags give and the days as
// YYYY-MM-DD (see MarshalJSON), is how Vigil stores an order and how its
// API exchanges one.
type Order struct {
	// Who ordered it, and why.

	// IssuingAuthority is the body or official that issued the order
	// (decision_maker).
	IssuingAuthority string `json:"issuing_authority,omitempty"`
	// OrderedBy is the kind of authority, as STOP classes it, for example
	// "Executive government" (ordered_by).
	OrderedBy string `json:"ordered_by,omitempty"`
	// LegalBasis is the law or instrument the order invokes (legal_method).
	LegalBasis string `json:"legal_basis,omitempty"`
	// Justification is the reason the government gave (gov_justification).
	Justification string `json:"justification,omitempty"`
	// GovernmentAcknowledged says whether the government acknowledged the
	// disruption (gov_ack).
	GovernmentAcknowledged Answer `json:"government_acknowledged,omitzero"`

	// Where, and what.

	// Country is the country as STOP names it, in the United Nations'
	// form, for example "Iran (Islamic Republic of)"; STOP joins several
	// with "; " (country).
	Country string `json:"country"`
	// WorldRegion is STOP's world region, for example "MENA" (region).
	WorldRegion string `json:"world_region,omitempty"`
	// GeoScope is STOP's geographic scope, for example GeoScopeOneCity
	// (geo_scope).
	GeoScope string `json:"geo_scope,omitempty"`
	// Regions are the places affected, for example "Tigray" or
	// "Nationwide" (area_name).
	Regions []string `json:"regions,omitempty"`
	// Types is what was done: shut down, throttled, or both
	// (shutdown_type).
	Types []ShutdownType `json:"types,omitempty"`
	// Extent is whether the whole network or particular services were cut
	// (shutdown_extent).
	Extent []Extent `json:"extent,omitempty"`
	// Networks are the networks affected (affected_network).
	Networks []Network `json:"networks,omitempty"`
	// Services are the services blocked: the named services of STOP's
	// columns (ServiceFacebook, ...) and any other by name
	// (facebook_affected ... phonecall_affected, other_affected).
	Services []string `json:"services,omitempty"`
	// Telcos are the operators involved, as one text (telcos_involved).
	Telcos string `json:"telcos,omitempty"`

	// When.

	// Start is the day it started (start_date); End the day it ended,
	// zero if it has not or is not known (end_date). STOP records days,
	// not times: only the date, in UTC, is exported. In JSON they are
	// written YYYY-MM-DD (see MarshalJSON).
	Start time.Time `json:"-"`
	End   time.Time `json:"-"`
	// StartDateType says how Start is known, for example "Actual"
	// (start_date_type).
	StartDateType string `json:"start_date_type,omitempty"`
	// Status is whether it has ended (shutdown_status).
	Status Status `json:"status,omitempty"`
	// Duration is STOP's duration cell, kept as written: the dataset
	// mixes numbers with words such as "Curfew Style" (duration).
	Duration string `json:"duration,omitempty"`

	// Context.

	// ActualCause is what STOP found it was for, for example "Protests"
	// (actual_cause); ActualCauseDetails says more (actual_cause_details).
	ActualCause        string `json:"actual_cause,omitempty"`
	ActualCauseDetails string `json:"actual_cause_details,omitempty"`
	// Election, Violence and HumanRightsAbuse say whether it was linked to
	// an election, whether violence and human rights abuses were reported
	// (election, violence, hr_abuse_reported).
	Election         Answer `json:"election,omitzero"`
	Violence         Answer `json:"violence,omitzero"`
	HumanRightsAbuse Answer `json:"human_rights_abuse,omitzero"`
	// UsersTargeted and UsersTargetDetail describe who was targeted
	// (users_targeted, users_target_detail).
	UsersTargeted     string `json:"users_targeted,omitempty"`
	UsersTargetDetail string `json:"users_target_detail,omitempty"`
	// Event describes what happened (event).
	Event string `json:"event,omitempty"`
	// InfoSource is the kind of source, for example "News media article"
	// (info_source); SourceLinks are its addresses (info_source_link).
	InfoSource  string   `json:"info_source,omitempty"`
	SourceLinks []string `json:"source_links,omitempty"`
	// AccessNowLinks are Access Now's pages on it (an_link).
	AccessNowLinks []string `json:"access_now_links,omitempty"`

	// What the operator did. Vigil only.

	// Challenged says whether the operator challenged the order.
	Challenged Answer `json:"challenged"`
	// Implemented says whether the operator carried it out.
	Implemented Answer `json:"implemented"`
	// CustomersTold says whether the operator told its customers.
	CustomersTold Answer `json:"customers_told"`
}

// Answer is a yes-or-no fact that may not be known.
type Answer int8

// Answers. The zero value is Unknown.
const (
	Unknown Answer = iota
	Yes
	No
)

func (a Answer) String() string {
	switch a {
	case Yes:
		return "Yes"
	case No:
		return "No"
	case Unknown:
		return ""
	}
	return fmt.Sprintf("Answer(%d)", int8(a))
}

// ShutdownType is a value of STOP's shutdown_type column.
type ShutdownType string

// Shutdown types, in the order STOP writes them.
const (
	TypeShutdown ShutdownType = "Shutdown"
	TypeThrottle ShutdownType = "Throttle"
	TypeUnknown  ShutdownType = "Unknown"
)

// Extent is a value of STOP's shutdown_extent column.
type Extent string

// Extents, in the order STOP writes them.
const (
	ExtentFullNetwork  Extent = "Full network"
	ExtentServiceBased Extent = "Service-based"
)

// Network is a value of STOP's affected_network column.
type Network string

// Networks, in the order STOP writes them.
const (
	NetworkBroadband Network = "Broadband"
	NetworkMobile    Network = "Mobile"
)

// Status is a value of STOP's shutdown_status column.
type Status string

// Statuses. The empty Status means not recorded.
const (
	StatusEnded   Status = "Ended"
	StatusOngoing Status = "Ongoing"
	StatusUnknown Status = "Unknown"
)

// The services STOP has a column of its own for. Any other service is
// named as it is (STOP's other_affected).
const (
	ServiceFacebook   = "Facebook"
	ServiceTwitter    = "Twitter"
	ServiceWhatsApp   = "WhatsApp"
	ServiceInstagram  = "Instagram"
	ServiceTelegram   = "Telegram"
	ServiceSMS        = "SMS"
	ServicePhoneCalls = "Phone calls"
)

// Geographic scopes as STOP words them. STOP may use others; GeoScope is
// free text.
const (
	GeoScopeOneCity      = "It only affected one city, county, or village"
	GeoScopeCitiesRegion = "It affected more than one city in the same state, province, or region"
	GeoScopeRegions      = "It affected locations in more than one state, province, or region"
)

var (
	shutdownTypes = []ShutdownType{TypeShutdown, TypeThrottle, TypeUnknown}
	extents       = []Extent{ExtentFullNetwork, ExtentServiceBased}
	networks      = []Network{NetworkBroadband, NetworkMobile}
	statuses      = []Status{StatusEnded, StatusOngoing, StatusUnknown}
	namedServices = []string{ServiceFacebook, ServiceTwitter, ServiceWhatsApp, ServiceInstagram, ServiceTelegram, ServiceSMS, ServicePhoneCalls}
)

// Limits on what one order may hold.
const (
	MaxShortText = 500  // runes in a name, label or other short text
	MaxLongText  = 5000 // runes in a description or legal basis
	MaxItems     = 100  // items in one list
	MaxURLBytes  = 2048 // bytes in one address
)

// Dates outside these years are taken for typing mistakes.
const (
	minYear = 1980
	maxYear = 2100
)

// ErrInvalid means an order breaks a rule; the message says which and how.
var ErrInvalid = errors.New("invalid disruption order")

// FieldError is one broken rule. It wraps ErrInvalid.
type FieldError struct {
	// Field is the Order field, for example "End".
	Field string
	// Msg says what is wrong, for people.
	Msg string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Unwrap returns ErrInvalid.
func (e *FieldError) Unwrap() error { return ErrInvalid }

// FieldErrors returns the problems an error of Validate (or of Record)
// joins, in order; nil if err holds no *FieldError.
func FieldErrors(err error) []*FieldError {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return nil
	}
	return fieldErrors(err)
}

// Validate checks the order and returns every broken rule, each a
// *FieldError wrapping ErrInvalid, joined; nil if the order is valid.
//
// An order must name its country and start day; its end, if known, may not
// be before its start. Text must be valid UTF-8 without control characters
// (a line break is allowed in text, not in names and list items), without
// spaces at either end, and within MaxShortText or MaxLongText. Lists hold
// at most MaxItems distinct items, and enumerated values must be written as
// their constants are. Addresses must be http or https URLs.
func (o *Order) Validate() error {
	var v validator
	v.short("Country", o.Country)
	if o.Country == "" {
		v.add("Country", "the country is missing")
	}
	v.short("WorldRegion", o.WorldRegion)
	v.short("GeoScope", o.GeoScope)
	v.items("Regions", o.Regions, ",")
	v.enum("Types", len(o.Types), func(i int) (string, bool) {
		return string(o.Types[i]), known(shutdownTypes, o.Types[i])
	}, names(shutdownTypes))
	v.enum("Extent", len(o.Extent), func(i int) (string, bool) {
		return string(o.Extent[i]), known(extents, o.Extent[i])
	}, names(extents))
	v.enum("Networks", len(o.Networks), func(i int) (string, bool) {
		return string(o.Networks[i]), known(networks, o.Networks[i])
	}, names(networks))
	v.items("Services", o.Services, ",;")
	for _, s := range o.Services {
		for _, n := range namedServices {
			if s != n && strings.EqualFold(s, n) {
				v.add("Services", fmt.Sprintf("write %q as %q", s, n))
			}
		}
	}
	v.short("Telcos", o.Telcos)

	v.short("IssuingAuthority", o.IssuingAuthority)
	v.short("OrderedBy", o.OrderedBy)
	v.long("LegalBasis", o.LegalBasis)
	v.short("Justification", o.Justification)

	v.date("Start", o.Start)
	if o.Start.IsZero() {
		v.add("Start", "the start date is missing")
	}
	v.date("End", o.End)
	if !o.Start.IsZero() && !o.End.IsZero() && o.End.Before(o.Start) {
		v.add("End", fmt.Sprintf("the end (%s) is before the start (%s)", formatDate(o.End), formatDate(o.Start)))
	}
	v.short("StartDateType", o.StartDateType)
	if o.Status != "" && !known(statuses, o.Status) {
		v.add("Status", fmt.Sprintf("%q is not a status; use one of %s", o.Status, strings.Join(names(statuses), ", ")))
	}
	v.short("Duration", o.Duration)

	v.short("ActualCause", o.ActualCause)
	v.long("ActualCauseDetails", o.ActualCauseDetails)
	v.short("UsersTargeted", o.UsersTargeted)
	v.long("UsersTargetDetail", o.UsersTargetDetail)
	v.long("Event", o.Event)
	v.short("InfoSource", o.InfoSource)
	v.links("SourceLinks", o.SourceLinks)
	v.links("AccessNowLinks", o.AccessNowLinks)

	for _, a := range []struct {
		field string
		a     Answer
	}{
		{"GovernmentAcknowledged", o.GovernmentAcknowledged},
		{"Election", o.Election},
		{"Violence", o.Violence},
		{"HumanRightsAbuse", o.HumanRightsAbuse},
		{"Challenged", o.Challenged},
		{"Implemented", o.Implemented},
		{"CustomersTold", o.CustomersTold},
	} {
		if a.a != Unknown && a.a != Yes && a.a != No {
			v.add(a.field, "the answer must be Yes, No or Unknown")
		}
	}
	return errors.Join(v.errs...)
}

// Citation names a passage of a standard.
type Citation struct {
	// Standard is the document, for example "UN OHCHR A/HRC/44/24".
	Standard string
	// Paragraphs are the paragraphs cited, for example "21-23".
	Paragraphs string
	// About says what the passage deals with, for people.
	About string
}

// Flags returns the passages every disruption order is recorded as
// contrary to, each with what it says. They are the same for every order:
// Vigil does not weigh an order's reasons before flagging it (see the
// package documentation).
//
// The About texts follow A/HRC/44/24 closely: paragraph 21 reports the
// High Commissioner's view that blanket shutdowns contravene international
// law and the Human Rights Committee's that generic bans on sites and
// systems are incompatible with article 19(3) ICCPR; paragraph 22 the
// Special Rapporteurs' that shutdowns and the blocking of entire websites
// are extreme and disproportionate and that shutting down entire parts of
// communications systems can never be justified; paragraph 23 what
// companies that operate networks should do. Paragraph 53(b)-(c) is the
// recommendation to States, paragraph 54(d) the one to business
// enterprises.
func (o *Order) Flags() []Citation {
	const std = "UN OHCHR A/HRC/44/24"
	return []Citation{
		{std, "21-23", "Blanket Internet shutdowns contravene international law; shutdowns and the blocking of entire websites are an extreme and disproportionate measure, and shutting down entire parts of communications systems can never be justified. Providers that are asked to switch off communications should challenge the requests, keep their customers informed and report the requests and any disruption orders they implement."},
		{std, "53(b)-(c)", "States should avoid resorting to disruptions and shutdowns of Internet or telecommunications networks at all times, particularly during assemblies, and repeal or amend the laws and policies that permit them."},
		{std, "54(d)", "Business enterprises should challenge Internet shutdown requests from governments through available legal procedures and keep their customers informed of any such requests and of any disruption orders implemented."},
	}
}

type validator struct{ errs []error }

func (v *validator) add(field, msg string) {
	v.errs = append(v.errs, &FieldError{Field: field, Msg: msg})
}

// text checks what every text must be; multiline allows line breaks.
func (v *validator) text(field, s string, max int, multiline bool) {
	switch {
	case !utf8.ValidString(s):
		v.add(field, "the text is not valid UTF-8")
		return
	case strings.TrimSpace(s) != s:
		v.add(field, "the text has spaces at its start or end")
	case utf8.RuneCountInString(s) > max:
		v.add(field, fmt.Sprintf("the text is longer than %d characters", max))
	}
	if strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t'))
	}) {
		if multiline {
			v.add(field, "the text holds control characters other than line breaks and tabs")
		} else {
			v.add(field, "the text holds line breaks or other control characters")
		}
	}
}

func (v *validator) short(field, s string) { v.text(field, s, MaxShortText, true) }
func (v *validator) long(field, s string)  { v.text(field, s, MaxLongText, true) }

// items checks a list of names, none of which may hold a separator.
func (v *validator) items(field string, list []string, seps string) {
	if len(list) > MaxItems {
		v.add(field, fmt.Sprintf("the list has %d items; at most %d are allowed", len(list), MaxItems))
		return
	}
	seen := map[string]bool{}
	for _, s := range list {
		if s == "" {
			v.add(field, "the list has an empty item")
			continue
		}
		v.text(field, s, MaxShortText, false)
		if strings.ContainsAny(s, seps) {
			v.add(field, fmt.Sprintf("%q may not contain any of %q, which separate items", s, seps))
		}
		k := strings.ToLower(s)
		if seen[k] {
			v.add(field, fmt.Sprintf("%q is listed twice", s))
		}
		seen[k] = true
	}
}

// enum checks a list of enumerated values.
func (v *validator) enum(field string, n int, at func(int) (string, bool), allowed []string) {
	seen := map[string]bool{}
	for i := range n {
		s, ok := at(i)
		if !ok {
			v.add(field, fmt.Sprintf("%q is not allowed; use %s", s, strings.Join(allowed, ", ")))
		}
		if seen[s] {
			v.add(field, fmt.Sprintf("%q is listed twice", s))
		}
		seen[s] = true
	}
}

func (v *validator) links(field string, list []string) {
	if len(list) > MaxItems {
		v.add(field, fmt.Sprintf("the list has %d addresses; at most %d are allowed", len(list), MaxItems))
		return
	}
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s] {
			v.add(field, fmt.Sprintf("%.80q is listed twice", s))
		}
		seen[s] = true
		if len(s) > MaxURLBytes {
			v.add(field, fmt.Sprintf("an address is longer than %d bytes", MaxURLBytes))
			continue
		}
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			!utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r == ';' || unicode.IsSpace(r) || unicode.IsControl(r) }) {
			v.add(field, fmt.Sprintf("%.80q is not an http or https address", s))
		}
	}
}

func (v *validator) date(field string, t time.Time) {
	if t.IsZero() {
		return
	}
	if y := t.UTC().Year(); y < minYear || y > maxYear {
		v.add(field, fmt.Sprintf("the year %d is not between %d and %d", y, minYear, maxYear))
	}
}

func known[T comparable](all []T, x T) bool {
	for _, a := range all {
		if a == x {
			return true
		}
	}
	return false
}

func names[T ~string](all []T) []string {
	out := make([]string, len(all))
	for i, a := range all {
		out[i] = string(a)
	}
	return out
}
