// Package store gives Vigil's capabilities one way to reach their database,
// whichever it is: SQLite (the embedded default, pure Go) or PostgreSQL.
//
// SQL is written once, with '?' placeholders, and rebound for PostgreSQL.
// Writes go through Tx, which runs a function in one transaction so that a
// state change and the event that records it commit together (the ledger's
// outbox). The schema is an ordered list of migrations; its version is the
// number applied.
package store
