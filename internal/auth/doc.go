// Package auth holds Vigil's accounts and their roles, how people prove who
// they are (passwords hashed with argon2id, browser sessions, API tokens),
// the login rate limits, and the separation-of-duties rule that every
// decision goes through: the account that asked for something can never
// decide it.
//
// Every change to an account is an event on the ledger, recorded in the
// same transaction; the public log sees the role and commitments, never a
// username or a name.
package auth
