package proofmode

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"time"
)

// Field names of a proof (ProofModeV1Constants.java), and their 2016-era
// CSV names.
const (
	fieldHash            = "File Hash SHA256"
	fieldPath            = "File Path"
	fieldGenerated       = "Proof Generated"
	legacyFieldHash      = "SHA256"
	legacyFieldGenerated = "CurrentDateTime0GMT"
)

// proofFields is all that is read from a proof. The rest (location,
// network, device identifiers) is never decoded.
type proofFields struct {
	hash      string // lower-case hex as written, or "" if absent
	pathBase  string // the last element of "File Path", to find the media
	generated string
}

// parseProofJSON reads a .proof.json: a flat object of strings. ProofMode
// appends to the file, so it may hold several objects in a row; they must
// all declare the same hash, and the first one's other fields are used.
func parseProofJSON(data []byte) (proofFields, string) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var first proofFields
	for i := 0; ; i++ {
		var obj struct {
			Hash      json.RawMessage `json:"File Hash SHA256"`
			Path      json.RawMessage `json:"File Path"`
			Generated json.RawMessage `json:"Proof Generated"`
		}
		err := dec.Decode(&obj)
		if err == io.EOF && i > 0 {
			return first, ""
		}
		if err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				return proofFields{}, "is not a JSON object"
			}
			return proofFields{}, "is not valid JSON"
		}
		p := proofFields{
			hash:      jsonString(obj.Hash),
			pathBase:  lastElement(jsonString(obj.Path)),
			generated: jsonString(obj.Generated),
		}
		if i == 0 {
			first = p
		} else if !strings.EqualFold(p.hash, first.hash) {
			return proofFields{}, "holds several proofs that declare different hashes"
		}
	}
}

func jsonString(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return strings.TrimSpace(s)
}

// parseProofCSV reads a .proof.csv. ProofMode writes a row of field names
// and a row of values, each ending in a comma, and strips commas from
// the values (MediaWatcher.writeMapToCSV); later proofs of the same file
// append rows of values. A file of "name,value" rows is read too.
func parseProofCSV(data []byte) (proofFields, string) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.TrimLeadingSpace = true
	records, err := r.ReadAll()
	if err != nil || len(records) == 0 {
		return proofFields{}, "is not valid CSV"
	}
	var rows []map[string]string
	if header := records[0]; len(header) > 2 {
		for _, values := range records[1:] {
			row := map[string]string{}
			for i, name := range header {
				if i < len(values) {
					row[strings.TrimSpace(name)] = strings.TrimSpace(values[i])
				}
			}
			rows = append(rows, row)
		}
	} else {
		row := map[string]string{}
		for _, rec := range records {
			if len(rec) >= 2 {
				row[strings.TrimSpace(rec[0])] = strings.TrimSpace(rec[1])
			}
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return proofFields{}, "has no values"
	}
	field := func(row map[string]string, names ...string) string {
		for _, n := range names {
			for k, v := range row {
				if strings.EqualFold(k, n) && v != "" {
					return v
				}
			}
		}
		return ""
	}
	first := proofFields{
		hash:      field(rows[0], fieldHash, legacyFieldHash),
		pathBase:  lastElement(field(rows[0], fieldPath)),
		generated: field(rows[0], fieldGenerated, legacyFieldGenerated),
	}
	for _, row := range rows[1:] {
		if !strings.EqualFold(field(row, fieldHash, legacyFieldHash), first.hash) {
			return proofFields{}, "holds several proofs that declare different hashes"
		}
	}
	return first, ""
}

// lastElement returns what follows the last slash of a path or URI.
func lastElement(p string) string {
	p = strings.TrimRight(p, "/")
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		p = p[i+1:]
	}
	return p
}

// generatedLayouts are the date formats ProofMode has used for "Proof
// Generated": ISO_DATE_TIME_FORMAT ("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'") and
// the "yyyy-MM-dd'T'HH:mm:ssZ" noted beside it. Earlier, locale-dependent
// dates are not parsed.
var generatedLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.000Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07:00",
}

// parseGenerated returns the time a proof was generated, in UTC, or the
// zero time if it cannot be read.
func parseGenerated(s string) time.Time {
	for _, layout := range generatedLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// isSHA256 reports whether s is a SHA-256 in hex.
func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}
