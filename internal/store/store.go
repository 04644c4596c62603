package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Kind names a database engine.
type Kind string

// The engines Vigil runs on.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Errors that callers check with errors.Is.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness rule refused the write.
	ErrConflict = errors.New("already exists")
)

// DB is a database handle. SQLite gets one writing connection (SQLite
// serialises writers anyway; one connection avoids busy errors) and a pool
// of read-only ones; PostgreSQL gets one pool for both.
type DB struct {
	kind   Kind
	w      *sql.DB
	r      *sql.DB
	dsn    string
	rebind sync.Map // query text -> rebound text (PostgreSQL)
	group  *groupCommitter
}

// Open opens the database that dsn names: a postgres:// or postgresql://
// URL for PostgreSQL, anything else as the path of a SQLite file (created if
// missing). It checks the connection but does not migrate.
func Open(ctx context.Context, dsn string) (*DB, error) {
	if dsn == "" {
		return nil, errors.New("store: no database given")
	}
	var db *DB
	var err error
	if IsPostgres(dsn) {
		db, err = openPostgres(dsn)
	} else {
		db, err = openSQLite(dsn)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: cannot reach the %s database: %w", db.kind, err)
	}
	return db, nil
}

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func openSQLite(path string) (*DB, error) {
	// A relative path would become the authority of the file: URI.
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	// synchronous(FULL): an acknowledged write survives a power cut, not
	// only a crash of the process.
	common := "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	u := url.URL{Scheme: "file", Path: path}
	w, err := sql.Open("sqlite", u.String()+"?"+common+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	// The writer creates the file and turns on WAL before readers connect.
	if _, err := w.Exec("SELECT 1"); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", u.String()+"?"+common+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	r.SetMaxOpenConns(8)
	db := &DB{kind: SQLite, w: w, r: r, dsn: path}
	db.group = newGroupCommitter(db)
	return db, nil
}

func openPostgres(dsn string) (*DB, error) {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	p.SetMaxOpenConns(16)
	p.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{kind: Postgres, w: p, r: p, dsn: dsn}, nil
}

// DSN is what the database was opened with. It may hold a password: never
// print it.
func (db *DB) DSN() string { return db.dsn }

// Kind says which engine this is.
func (db *DB) Kind() Kind { return db.kind }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return err
	}
	return db.r.PingContext(ctx)
}

// Close closes every connection.
func (db *DB) Close() error {
	if db.group != nil {
		db.group.close()
	}
	err := db.w.Close()
	if db.r != db.w {
		err = errors.Join(err, db.r.Close())
	}
	return err
}

// q rewrites '?' placeholders as $1, $2, ... for PostgreSQL.
func (db *DB) q(query string) string {
	if db.kind != Postgres {
		return query
	}
	if v, ok := db.rebind.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n := 0
	for _, c := range query {
		if c == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	out := b.String()
	db.rebind.Store(query, out)
	return out
}

// Querier runs queries: a *DB (reads outside a transaction) or a *Tx.
type Querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	Kind() Kind
}

// QueryRow runs a read query that returns at most one row.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return db.r.QueryRowContext(ctx, db.q(query), args...)
}

// Query runs a read query.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return db.r.QueryContext(ctx, db.q(query), args...)
}

// Exec runs one statement outside any transaction, on the writing
// connection. Most writes belong in Tx, with their event; Exec is for the
// few statements that cannot run in a transaction.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := db.w.ExecContext(ctx, db.q(query), args...)
	return res, classify(err)
}

// ErrLocked means another process holds a lock TryLock asked for.
var ErrLocked = errors.New("locked by another process")

// TryLock takes a lock named by key that lasts until unlock is called or
// the process dies, across every process using this database. On
// PostgreSQL it is a session advisory lock on a connection of its own; on
// SQLite, whose database is one local file, it succeeds at once (callers
// also lock their local directories). It returns ErrLocked if another
// process holds it.
func (db *DB) TryLock(ctx context.Context, key int64) (unlock func(), err error) {
	if db.kind != Postgres {
		return func() {}, nil
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("store: lock: %w", err)
	}
	var ok bool
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil {
		conn.Close()
		return nil, fmt.Errorf("store: lock: %w", err)
	}
	if !ok {
		conn.Close()
		return nil, ErrLocked
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", key)
		conn.Close()
	}, nil
}

// Tx is one write transaction.
type Tx struct {
	db          *DB
	tx          *sql.Tx
	afterCommit []func()
	// grouped: the transaction is shared with other callers' (SQLite group
	// commit), so one caller's cancelled context must not interrupt it.
	grouped bool
	// stmts caches SQLite's prepared statements for the transaction, so
	// that a statement run many times (a sweep destroying hundreds of
	// items) is parsed once. They close when the transaction ends.
	stmts map[string]*sql.Stmt
}

// stmt returns the transaction's prepared statement for query, on SQLite;
// nil elsewhere, or if preparing fails (the caller then runs the query
// plainly and gets its error).
func (t *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	if t.db.kind != SQLite {
		return nil
	}
	if st, ok := t.stmts[query]; ok {
		return st
	}
	st, err := t.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = st
	return st
}

func (t *Tx) ctx(ctx context.Context) context.Context {
	if t.grouped {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// Kind says which engine the transaction runs on.
func (t *Tx) Kind() Kind { return t.db.kind }

// Exec runs a statement in the transaction.
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	ctx, query = t.ctx(ctx), t.db.q(query)
	if st := t.stmt(ctx, query); st != nil {
		res, err := st.ExecContext(ctx, args...)
		return res, classify(err)
	}
	res, err := t.tx.ExecContext(ctx, query, args...)
	return res, classify(err)
}

// QueryRow runs a query in the transaction that returns at most one row.
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	ctx, query = t.ctx(ctx), t.db.q(query)
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// Query runs a query in the transaction.
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx(ctx), t.db.q(query), args...)
}

// AfterCommit registers f to run once the transaction has committed. It is
// not run when the transaction rolls back.
func (t *Tx) AfterCommit(f func()) { t.afterCommit = append(t.afterCommit, f) }

// Tx runs f in one write transaction, committing when f returns nil and
// rolling back otherwise. f's error is returned as it is, so that callers
// can still tell what it was; a panic in f is an error too. Tx returns
// only once the outcome is durable: nil means committed.
//
// On SQLite, concurrent callers share one transaction (group commit): each
// f runs in a savepoint of its own, in turn, so each sees the database as
// if the others had run before it, and a failing f undoes only its own
// work; then one commit, and one fsync, makes all of them durable. f must
// not call Tx itself.
func (db *DB) Tx(ctx context.Context, f func(*Tx) error) error {
	if db.group != nil {
		return db.group.do(ctx, f)
	}
	stx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{db: db, tx: stx}
	if err := protect(f, tx); err != nil {
		_ = stx.Rollback()
		return err
	}
	if err := stx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", classify(err))
	}
	for _, g := range tx.afterCommit {
		g()
	}
	return nil
}

// classify maps engine errors onto the package's sentinel errors, keeping
// the original in the chain.
func classify(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("%w: %w", ErrConflict, err)
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return fmt.Errorf("%w: %w", ErrConflict, err)
	}
	return err
}

// Scan reads a QueryRow result, mapping "no rows" onto ErrNotFound.
func Scan(row *sql.Row, dest ...any) error {
	return classify(row.Scan(dest...))
}

// Micros turns a time into the integer microseconds Vigil stores.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// FromMicros turns stored microseconds back into a UTC time.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
