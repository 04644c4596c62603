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
	{Name: "assembly: technologies, assessments, requests, authorizations, deployments, notices", SQL: `
CREATE TABLE technologies (
	id TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	product TEXT NOT NULL,
	supplier TEXT NOT NULL,
	version TEXT NOT NULL DEFAULT '',
	properties TEXT NOT NULL,
	weapon TEXT NOT NULL DEFAULT '',
	accuracy TEXT NOT NULL DEFAULT '',
	demographic_errors TEXT NOT NULL DEFAULT '',
	documents TEXT NOT NULL DEFAULT '[]',
	registered INTEGER NOT NULL DEFAULT 0,
	created_by TEXT NOT NULL REFERENCES accounts (id),
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE TABLE assessments (
	id TEXT PRIMARY KEY,
	technology_id TEXT NOT NULL REFERENCES technologies (id),
	assessed_on BIGINT NOT NULL,
	expires_on BIGINT NOT NULL,
	assessor TEXT NOT NULL,
	summary TEXT NOT NULL,
	created_by TEXT NOT NULL REFERENCES accounts (id),
	created_at BIGINT NOT NULL
);
CREATE INDEX assessments_technology ON assessments (technology_id, expires_on);
CREATE TABLE requests (
	id TEXT PRIMARY KEY,
	assembly_id TEXT REFERENCES assemblies (id),
	technology_id TEXT NOT NULL REFERENCES technologies (id),
	body TEXT NOT NULL,
	area TEXT NOT NULL DEFAULT '',
	outcome TEXT NOT NULL,
	decision TEXT NOT NULL,
	status TEXT NOT NULL,
	notice_delay_days INTEGER NOT NULL DEFAULT 0,
	notice_delay_reason TEXT NOT NULL DEFAULT '',
	requested_by TEXT NOT NULL REFERENCES accounts (id),
	requester_unit TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX requests_status ON requests (status, created_at);
CREATE INDEX requests_requester ON requests (requested_by, created_at);
CREATE TABLE authorizations (
	id TEXT PRIMARY KEY,
	request_id TEXT NOT NULL UNIQUE REFERENCES requests (id),
	approved INTEGER NOT NULL,
	reasons TEXT NOT NULL,
	starts_at BIGINT,
	ends_at BIGINT,
	retention_days INTEGER,
	decided_by TEXT NOT NULL REFERENCES accounts (id),
	authority TEXT NOT NULL DEFAULT '',
	decided_at BIGINT NOT NULL
);
CREATE TABLE deployments (
	id TEXT PRIMARY KEY,
	request_id TEXT NOT NULL UNIQUE REFERENCES requests (id),
	assembly_id TEXT REFERENCES assemblies (id),
	technology_id TEXT NOT NULL REFERENCES technologies (id),
	starts_at BIGINT NOT NULL,
	ends_at BIGINT NOT NULL,
	retention_days INTEGER NOT NULL,
	status TEXT NOT NULL,
	review_by BIGINT,
	ended_at BIGINT,
	end_reason TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL
);
CREATE INDEX deployments_active_end ON deployments (ends_at) WHERE status = 'active';
CREATE INDEX deployments_review ON deployments (review_by) WHERE review_by IS NOT NULL AND status = 'active';
CREATE TABLE notices (
	id TEXT PRIMARY KEY,
	deployment_id TEXT NOT NULL UNIQUE REFERENCES deployments (id),
	assembly_id TEXT,
	technology_kind TEXT NOT NULL,
	purpose TEXT NOT NULL,
	starts_at BIGINT NOT NULL,
	ends_at BIGINT NOT NULL,
	area TEXT NOT NULL DEFAULT '',
	authority TEXT NOT NULL,
	retention_days INTEGER NOT NULL,
	contact TEXT NOT NULL,
	publish_at BIGINT NOT NULL,
	delay_reason TEXT NOT NULL DEFAULT '',
	published_at BIGINT,
	created_at BIGINT NOT NULL
);
CREATE INDEX notices_unpublished ON notices (publish_at) WHERE published_at IS NULL;
CREATE INDEX notices_published ON notices (published_at)`},
	{Name: "force: training certificates, use-of-force incidents, addenda, zero reports, referrals", SQL: `
CREATE TABLE force_certificates (
	id TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	weapon TEXT NOT NULL,
	issued_on BIGINT NOT NULL,
	expires_on BIGINT NOT NULL,
	issuer TEXT NOT NULL,
	reference TEXT NOT NULL DEFAULT '',
	recorded_by TEXT NOT NULL REFERENCES accounts (id),
	recorded_at BIGINT NOT NULL,
	revoked_at BIGINT,
	revoked_by TEXT REFERENCES accounts (id),
	revoke_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX force_certificates_holder ON force_certificates (account_id, weapon, expires_on);
CREATE TABLE force_incidents (
	id TEXT PRIMARY KEY,
	officer_id TEXT NOT NULL REFERENCES accounts (id),
	unit TEXT NOT NULL DEFAULT '',
	unit_key TEXT NOT NULL DEFAULT '',
	weapon TEXT NOT NULL,
	occurred_at BIGINT NOT NULL,
	month TEXT NOT NULL,
	point TEXT NOT NULL DEFAULT '',
	place TEXT NOT NULL DEFAULT '',
	assembly_id TEXT REFERENCES assemblies (id),
	circumstances TEXT NOT NULL,
	warning_given INTEGER NOT NULL,
	warning TEXT NOT NULL DEFAULT '',
	injuries INTEGER NOT NULL,
	injury_description TEXT NOT NULL DEFAULT '',
	medical TEXT NOT NULL,
	medical_note TEXT NOT NULL DEFAULT '',
	body_cameras TEXT NOT NULL,
	uses INTEGER NOT NULL,
	trained INTEGER NOT NULL,
	certificate_id TEXT REFERENCES force_certificates (id),
	flag TEXT NOT NULL DEFAULT '',
	flag_note TEXT NOT NULL DEFAULT '',
	flag_closed_by TEXT REFERENCES accounts (id),
	flag_closed_at BIGINT,
	contradicts_zero_report INTEGER NOT NULL DEFAULT 0,
	created_at BIGINT NOT NULL
);
CREATE INDEX force_incidents_officer ON force_incidents (officer_id, occurred_at);
CREATE INDEX force_incidents_unit_month ON force_incidents (unit_key, month);
CREATE INDEX force_incidents_month ON force_incidents (month, weapon);
CREATE INDEX force_incidents_open ON force_incidents (created_at) WHERE flag = 'open';
CREATE TABLE force_addenda (
	id TEXT PRIMARY KEY,
	incident_id TEXT NOT NULL REFERENCES force_incidents (id),
	author_id TEXT NOT NULL REFERENCES accounts (id),
	author_role TEXT NOT NULL,
	text TEXT NOT NULL,
	body_cameras TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX force_addenda_incident ON force_addenda (incident_id, created_at);
CREATE TABLE force_zero_reports (
	id TEXT PRIMARY KEY,
	unit TEXT NOT NULL,
	unit_key TEXT NOT NULL,
	month TEXT NOT NULL,
	filed_by TEXT NOT NULL REFERENCES accounts (id),
	filed_at BIGINT NOT NULL,
	contradicted_by TEXT REFERENCES force_incidents (id),
	UNIQUE (unit_key, month)
);
CREATE INDEX force_zero_reports_month ON force_zero_reports (month);
CREATE TABLE force_referrals (
	id TEXT PRIMARY KEY,
	incident_id TEXT NOT NULL REFERENCES force_incidents (id),
	body_kind TEXT NOT NULL,
	body TEXT NOT NULL,
	reference TEXT NOT NULL DEFAULT '',
	reasons TEXT NOT NULL,
	status TEXT NOT NULL,
	referred_by TEXT NOT NULL REFERENCES accounts (id),
	referred_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE INDEX force_referrals_incident ON force_referrals (incident_id);
CREATE INDEX force_referrals_status ON force_referrals (status, referred_at);
CREATE TABLE force_referral_updates (
	id {{serial}},
	referral_id TEXT NOT NULL REFERENCES force_referrals (id),
	from_status TEXT NOT NULL,
	to_status TEXT NOT NULL,
	note TEXT NOT NULL,
	updated_by TEXT NOT NULL REFERENCES accounts (id),
	updated_at BIGINT NOT NULL
);
CREATE INDEX force_referral_updates_referral ON force_referral_updates (referral_id, id)`},
	{Name: "disrupt: disruption orders, their status changes, STOP imports", SQL: `
CREATE TABLE disrupt_imports (
	id TEXT PRIMARY KEY,
	file_sha256 TEXT NOT NULL,
	rows_read INTEGER NOT NULL,
	imported INTEGER NOT NULL,
	duplicates INTEGER NOT NULL,
	imported_by TEXT NOT NULL REFERENCES accounts (id),
	imported_at BIGINT NOT NULL
);
CREATE TABLE disrupt_orders (
	id TEXT PRIMARY KEY,
	dedup_key TEXT NOT NULL UNIQUE,
	country TEXT NOT NULL,
	starts_on BIGINT NOT NULL,
	record TEXT NOT NULL,
	source TEXT NOT NULL,
	import_id TEXT REFERENCES disrupt_imports (id),
	import_line INTEGER NOT NULL DEFAULT 0,
	recorded_by TEXT NOT NULL REFERENCES accounts (id),
	recorded_at BIGINT NOT NULL
);
CREATE INDEX disrupt_orders_start ON disrupt_orders (starts_on, id);
CREATE TABLE disrupt_updates (
	id {{serial}},
	order_id TEXT NOT NULL REFERENCES disrupt_orders (id),
	kind TEXT NOT NULL,
	answer TEXT NOT NULL DEFAULT '',
	effective_on BIGINT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	recorded_by TEXT NOT NULL REFERENCES accounts (id),
	recorded_at BIGINT NOT NULL
);
CREATE INDEX disrupt_updates_order ON disrupt_updates (order_id, id)`},
	{Name: "vault: items, submissions, cases, holds, accesses", SQL: `
CREATE TABLE vault_submissions (
	id TEXT PRIMARY KEY,
	pin_hash TEXT NOT NULL,
	created_by TEXT REFERENCES accounts (id),
	created_at BIGINT NOT NULL
);
CREATE TABLE vault_items (
	id TEXT PRIMARY KEY,
	class TEXT NOT NULL,
	media_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 {{bytes}},
	salt {{bytes}},
	commitment TEXT NOT NULL,
	blob_key TEXT NOT NULL,
	wrapped_key {{bytes}},
	metadata {{bytes}},
	proofmode {{bytes}},
	deployment_id TEXT,
	submission_id TEXT REFERENCES vault_submissions (id),
	parent_id TEXT REFERENCES vault_items (id),
	parent_commitment TEXT,
	segment TEXT NOT NULL DEFAULT '',
	upload_id TEXT UNIQUE,
	uploaded_by TEXT NOT NULL REFERENCES accounts (id),
	uploader_role TEXT NOT NULL,
	captured_at BIGINT NOT NULL,
	retain_until BIGINT NOT NULL,
	due_at BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	destroyed_at BIGINT,
	receipt TEXT
);
CREATE INDEX vault_items_due ON vault_items (due_at) WHERE destroyed_at IS NULL;
CREATE INDEX vault_items_unswept ON vault_items (id) WHERE destroyed_at IS NOT NULL AND blob_key <> '';
CREATE INDEX vault_items_submission ON vault_items (submission_id);
CREATE INDEX vault_items_parent ON vault_items (parent_id);
CREATE TABLE vault_cases (
	id TEXT PRIMARY KEY,
	kind TEXT NOT NULL,
	reference TEXT NOT NULL,
	opened_by TEXT NOT NULL REFERENCES accounts (id),
	opened_at BIGINT NOT NULL,
	closed_at BIGINT
);
CREATE TABLE vault_case_members (
	case_id TEXT NOT NULL REFERENCES vault_cases (id),
	account_id TEXT NOT NULL REFERENCES accounts (id),
	added_by TEXT NOT NULL REFERENCES accounts (id),
	added_at BIGINT NOT NULL,
	PRIMARY KEY (case_id, account_id)
);
CREATE TABLE vault_holds (
	id TEXT PRIMARY KEY,
	case_id TEXT NOT NULL REFERENCES vault_cases (id),
	item_id TEXT NOT NULL REFERENCES vault_items (id),
	until_at BIGINT NOT NULL,
	reason TEXT NOT NULL,
	placed_by TEXT NOT NULL REFERENCES accounts (id),
	placed_at BIGINT NOT NULL,
	released_at BIGINT,
	released_by TEXT REFERENCES accounts (id)
);
CREATE INDEX vault_holds_item ON vault_holds (item_id) WHERE released_at IS NULL;
CREATE INDEX vault_holds_case ON vault_holds (case_id);
CREATE TABLE vault_accesses (
	id {{serial}},
	item_id TEXT NOT NULL REFERENCES vault_items (id),
	account_id TEXT REFERENCES accounts (id),
	role TEXT NOT NULL,
	action TEXT NOT NULL,
	purpose TEXT NOT NULL,
	basis_kind TEXT NOT NULL,
	basis_id TEXT NOT NULL,
	at BIGINT NOT NULL
);
CREATE INDEX vault_accesses_item ON vault_accesses (item_id, id);
CREATE TABLE vault_shares (
	id TEXT PRIMARY KEY,
	case_id TEXT NOT NULL REFERENCES vault_cases (id),
	recipient TEXT NOT NULL,
	legal_basis TEXT NOT NULL,
	purpose TEXT NOT NULL,
	age_recipient TEXT NOT NULL,
	token_hash {{bytes}} NOT NULL UNIQUE,
	expires_at BIGINT NOT NULL,
	created_by TEXT NOT NULL REFERENCES accounts (id),
	created_at BIGINT NOT NULL,
	revoked_at BIGINT,
	revoked_by TEXT REFERENCES accounts (id)
);
CREATE TABLE vault_share_items (
	share_id TEXT NOT NULL REFERENCES vault_shares (id),
	item_id TEXT NOT NULL REFERENCES vault_items (id),
	PRIMARY KEY (share_id, item_id)
);
CREATE INDEX vault_shares_case ON vault_shares (case_id)`},
	{Name: "resumable uploads", SQL: `
CREATE TABLE tus_uploads (
	id TEXT PRIMARY KEY,
	owner TEXT NOT NULL REFERENCES accounts (id),
	length BIGINT NOT NULL,
	received BIGINT NOT NULL,
	chunks INTEGER NOT NULL,
	metadata {{bytes}} NOT NULL,
	wrapped_key {{bytes}} NOT NULL,
	expires_at BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	completed_at BIGINT,
	result TEXT
);
CREATE INDEX tus_uploads_expiry ON tus_uploads (expires_at) WHERE completed_at IS NULL;
CREATE TABLE tus_chunks (
	upload_id TEXT NOT NULL REFERENCES tus_uploads (id) ON DELETE CASCADE,
	seq INTEGER NOT NULL,
	start BIGINT NOT NULL,
	size BIGINT NOT NULL,
	PRIMARY KEY (upload_id, seq)
)`},
	{Name: "witness: the latest checkpoint cosigned for each log", SQL: `
CREATE TABLE witness_logs (
	origin TEXT PRIMARY KEY,
	size BIGINT NOT NULL,
	root {{bytes}} NOT NULL,
	checkpoint {{bytes}} NOT NULL,
	updated_at BIGINT NOT NULL
)`},
	{Name: "vault: oversight's register of reads, by reader and by time", SQL: `
CREATE INDEX vault_accesses_account ON vault_accesses (account_id, id);
CREATE INDEX vault_accesses_at ON vault_accesses (at, id)`},
}
