// Package vault keeps evidence: body-camera and drone footage, monitors'
// recordings of abuses, victims' screenshots. Each item is encrypted on
// the way in with a key of its own (Tink's streaming AEAD), that key
// wrapped by a key-encryption key (a local key file by default, any
// tink.AEAD such as a KMS client otherwise), so nothing unencrypted ever
// touches disk.
//
// Every ingest, read, export, share, hold, release, derivation and
// destruction is a ledger event, with the actor's role and the stated
// purpose: a custody record anyone can check and nobody can rewrite. Every
// read needs a purpose and a basis: a deployment in force under which the
// item was captured, or a case that holds it. Whoever submitted an item
// sees every access to it, by their case number and PIN if they have no
// account.
//
// Items live as long as their class says (A/HRC/44/24 para. 36: "the
// immediate deletion of all data, except for the specific segments that
// may be necessary for the conduct of criminal investigations"). When the
// schedule ends and no hold covers an item, the sweep destroys its key and
// its blob and records a signed deletion receipt on the ledger: a copy of
// the blob taken earlier can no longer be decrypted.
package vault
