package store

import "time"

var now = time.Now

// migrations is the schema, in order. Append only: never edit or reorder a
// migration that has shipped. Each names the package that owns its tables.
var migrations = []Migration{
	{Name: "ledger: events outbox", SQL: `
CREATE TABLE events (
	id {{serial}},
	type TEXT NOT NULL,
	occurred_at BIGINT NOT NULL,
	actor_account TEXT,
	actor_role TEXT NOT NULL,
	subject TEXT NOT NULL DEFAULT '',
	entry {{bytes}} NOT NULL,
	content_hash {{bytes}} NOT NULL,
	openings TEXT NOT NULL,
	log_index BIGINT UNIQUE,
	logged_at BIGINT
);
CREATE INDEX events_pending ON events (id) WHERE log_index IS NULL;
CREATE INDEX events_subject ON events (subject, id)`},
	{Name: "auth: accounts, sessions, tokens", SQL: `
CREATE TABLE accounts (
	id TEXT PRIMARY KEY,
	username TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL DEFAULT '',
	role TEXT NOT NULL,
	unit TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	must_change_password INTEGER NOT NULL DEFAULT 0,
	disabled INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE TABLE sessions (
	token_hash {{bytes}} PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	csrf TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE TABLE api_tokens (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	name TEXT NOT NULL,
	token_hash {{bytes}} NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	last_used_at BIGINT,
	revoked_at BIGINT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id)`},
	{Name: "assembly: assemblies", SQL: `
CREATE TABLE assemblies (
	id TEXT PRIMARY KEY,
	title TEXT NOT NULL,
	kind TEXT NOT NULL,
	starts_at BIGINT NOT NULL,
	ends_at BIGINT NOT NULL,
	area TEXT NOT NULL DEFAULT '',
	expected_size INTEGER NOT NULL DEFAULT 0,
	organiser_contact TEXT NOT NULL DEFAULT '',
	created_by TEXT NOT NULL REFERENCES accounts (id),
	created_at BIGINT NOT NULL
);
CREATE INDEX assemblies_starts ON assemblies (starts_at)`},
	{Name: "ledger: the log a database's events belong to", SQL: `
CREATE TABLE ledger_binding (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	origin TEXT NOT NULL,
	verifier_key TEXT NOT NULL,
	bound_at BIGINT NOT NULL
)`},
}
