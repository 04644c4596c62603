// Package force keeps the accountability record of less-lethal force
// (A/HRC/44/24 paras. 41-47 and 53(k)-(n)):
//
//   - the training register: each officer's certificate for each weapon
//     type, with its dates, issuer and revocation (certificates.go);
//   - use-of-force reports: an officer reports every use of a less-lethal
//     weapon, and Vigil checks the officer's training for that weapon at
//     that moment; an untrained use is flagged to oversight
//     (incidents.go), and a report is never edited, only added to
//     (addenda.go);
//   - monthly zero reports: a unit that used no force in a month says so,
//     so that silence is never mistaken for a clean record
//     (zero_reports.go);
//   - oversight: the queue of flagged uses and its review (review.go),
//     referral of an incident to an investigation with its status
//     (referral.go), and statistics with small-cell suppression
//     (stats.go).
//
// Every change records an event in the same transaction (events.go). The
// public log carries identifiers, weapon types, counts, the trained flag,
// assembly identifiers and months; never an officer's name or account,
// never a unit's name, never free text: those are private fields, of
// which the log holds only commitments.
//
// Units are compared as auth compares them for the separation of duties:
// without regard to case or spacing. The package reads the accounts table
// (owned by auth) to find a unit's members; it never writes it.
//
// Months are calendar months in UTC, written YYYY-MM.
package force
