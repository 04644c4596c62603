package disrupt

import (
	"encoding/json"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/vigil-project/vigil/internal/ledger"
)

// The events the register records.
//
// An order's public facts are about States and operators, not persons:
// its ID, the countries, the kinds and extent of the disruption, the
// networks, the services STOP names (Facebook, SMS, ...), how many other
// services and regions, the days it started and ended, its status and the
// operator's answers. They are written as tokens, since the log takes no
// free text: "full_network", "phone_calls", a country as
// "iran-islamic-republic-of".
//
// Everything staff typed as text is private and reaches the log only as a
// salted commitment: the issuing authority and the kind of authority, the
// legal basis and the justification given (public-interest facts, but
// typed by people who may put more in them than they should), the names of
// regions and other services, the country as written, and the whole order
// as first recorded (its JSON). The register shows them on Vigil's pages;
// a commitment lets anyone who is shown one check it against the log.
var (
	evOrderRecorded = ledger.Kind{
		Name: "disruption.order_recorded",
		Facts: []string{"order", "source", "import", "country", "types", "extent", "networks", "services",
			"other_services", "regions", "start", "end", "status", "challenged", "implemented", "customers_told"},
		Private: []string{"country_name", "issuing_authority", "ordered_by", "legal_basis", "justification",
			"region_names", "other_service_names", "record"},
	}
	evOrderUpdated = ledger.Kind{
		Name:    "disruption.order_updated",
		Facts:   []string{"order", "update", "change", "answer", "on"},
		Private: []string{"note"},
	}
	evOrdersImported = ledger.Kind{
		Name:    "disruption.orders_imported",
		Facts:   []string{"import", "rows", "imported", "duplicates"},
		Private: []string{"file_sha256"},
	}
)

// recordedEvent is the event for a newly recorded order.
func recordedEvent(actor ledger.Actor, r *Recorded) (ledger.Event, error) {
	o := &r.AsRecorded
	record, err := json.Marshal(o)
	if err != nil {
		return ledger.Event{}, err
	}
	facts := map[string]any{
		"order":          r.ID,
		"source":         string(r.Source),
		"start":          o.Start.UTC().Format(DateLayout),
		"challenged":     o.Challenged.Token(),
		"implemented":    o.Implemented.Token(),
		"customers_told": o.CustomersTold.Token(),
		"regions":        len(o.Regions),
	}
	if r.ImportID != "" {
		facts["import"] = r.ImportID
	}
	if c := countryTokens(o.Country); len(c) > 0 {
		facts["country"] = c
	}
	if len(o.Types) > 0 {
		facts["types"] = tokens(names(o.Types))
	}
	if len(o.Extent) > 0 {
		facts["extent"] = tokens(names(o.Extent))
	}
	if len(o.Networks) > 0 {
		facts["networks"] = tokens(names(o.Networks))
	}
	var named, others []string
	for _, s := range o.Services {
		if slices.Contains(namedServices, s) {
			named = append(named, s)
		} else {
			others = append(others, s)
		}
	}
	if len(named) > 0 {
		facts["services"] = tokens(named)
	}
	facts["other_services"] = len(others)
	if !o.End.IsZero() {
		facts["end"] = o.End.UTC().Format(DateLayout)
	}
	if o.Status != "" {
		facts["status"] = Token(string(o.Status))
	}
	return ledger.Event{
		Kind: evOrderRecorded, Actor: actor, Subject: Subject(r.ID), Facts: facts,
		Private: map[string]string{
			"country_name":        o.Country,
			"issuing_authority":   o.IssuingAuthority,
			"ordered_by":          o.OrderedBy,
			"legal_basis":         o.LegalBasis,
			"justification":       o.Justification,
			"region_names":        strings.Join(o.Regions, "\n"),
			"other_service_names": strings.Join(others, "\n"),
			"record":              string(record),
		},
	}, nil
}

// Token writes an enumerated value (a ShutdownType, Extent, Network,
// Status or named service) as the log takes it, and as message catalogs
// name it: "Full network" as "full_network", "Service-based" as
// "service_based", "Phone calls" as "phone_calls".
func Token(s string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return unicode.ToLower(r)
	}, s)
}

func tokens(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = Token(s)
	}
	return out
}

// maxSlug bounds one country's token.
const maxSlug = 60

// countryTokens writes the countries STOP joins with ";" as tokens of
// ASCII letters and hyphens: "Côte d'Ivoire" as "cote-d-ivoire". Digits
// and other characters are dropped, so that no typing slip puts a number
// in the log; a name with no Latin letters has no token (its commitment is
// still there).
func countryTokens(country string) []string {
	var out []string
	for part := range strings.SplitSeq(country, ";") {
		if s := slug(part); s != "" && !slices.Contains(out, s) && len(out) < 64 {
			out = append(out, s)
		}
	}
	return out
}

func slug(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a combining accent: "é" is "e" and an accent
		case r < unicode.MaxASCII && unicode.IsLetter(r):
			if gap && b.Len() > 0 {
				b.WriteByte('-')
			}
			gap = false
			b.WriteRune(unicode.ToLower(r))
		default:
			gap = true
		}
	}
	out := b.String()
	if len(out) > maxSlug {
		out = strings.TrimRight(out[:maxSlug], "-")
	}
	return out
}
