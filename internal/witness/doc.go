// Package witness is a transparency-log witness, and the check of the
// cosignatures witnesses put on a log's checkpoints.
//
// A witness is run by someone other than the log's operator: an oversight
// body, a national human-rights institution, a network of monitors, a
// court's registry. It keeps, for each log it witnesses, the latest
// checkpoint it cosigned. When the log publishes a new checkpoint it asks
// the witness to cosign it, with a consistency proof from that latest
// checkpoint; the witness cosigns only if the log's key signed it and the
// log grew from what the witness saw before, without rewriting anything.
// A log therefore cannot show one history to a court and another to the
// public (a split view), or roll itself back, without the witness refusing
// and logging the evidence: the log's own signature on a checkpoint that
// cannot be true if the one the witness cosigned before is.
//
// The server (Server) speaks the C2SP tlog-witness protocol
// (https://c2sp.org/tlog-witness): POST /add-checkpoint, answered with
// Ed25519 cosignature/v1 note signatures (https://c2sp.org/tlog-cosignature,
// signature type 0x04). Vigil's log sends checkpoints to it through
// Tessera's own witness client (see ledger.LogConfig.WitnessPolicy); so can
// any other tlog that speaks the protocol. It remembers the latest
// cosigned size and root of each log in the database (States), checking
// and advancing them atomically, so that concurrent requests can never roll
// a log back. `vigil witness serve` runs it.
//
// Policy is the other side: what a verifier, such as a court checking an
// evidence bundle with `vigil verify --witness`, requires of a checkpoint's
// cosignatures, and which witness's cosignature is missing or bad when the
// requirement is not met.
package witness
