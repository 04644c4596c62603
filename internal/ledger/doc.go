// Package ledger records every state change in Vigil as an event and
// commits it to a public, append-only Merkle log (C2SP tlog-tiles, built on
// Tessera's POSIX driver), with signed checkpoints anyone can verify.
//
// The path of an event:
//
//  1. A capability calls Outbox.Record inside the database transaction that
//     makes the change, so the event commits with the change or not at all.
//  2. The Writer, the only one that appends to the log, reads committed
//     events in order, appends them to the log in batches and records each
//     event's log index. After a crash at any point it compares the log with
//     the database and finishes the job, so every committed event lands in
//     the log exactly once, in commit order.
//  3. Anyone verifies the log with Verify (vigil verify), and oversight
//     checks the database against it with Reconcile.
//
// With a witness policy (LogConfig.WitnessPolicy), Tessera's own witness
// client sends each new checkpoint, with a consistency proof, to the
// witnesses the policy names, and publishes it with their cosignatures
// once the policy's quorum has cosigned. Until then the published
// checkpoint stays where it was (unless WitnessFailOpen): see
// internal/witness for the witnesses' side.
//
// A log entry holds an event's type, time, actor role, public facts and
// salted hash commitments of its private fields: never a name, a contact, an
// address, a face, a phone identifier or free text from a person. The
// commitments let an authorised party who holds the private value and its
// salt prove what the event was about without the log revealing it.
package ledger
