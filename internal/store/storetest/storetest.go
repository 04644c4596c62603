// Package storetest opens real databases for tests: a SQLite file in a
// temporary directory, and a fresh database in a throwaway PostgreSQL
// cluster started from the machine's own server binaries (or the server
// that VIGIL_TEST_POSTGRES names).
//
// A test that cannot get PostgreSQL skips with a message saying why, unless
// VIGIL_TEST_REQUIRE contains "postgres" or "all": then it fails, so that CI
// never counts a skip as a pass.
package storetest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-project/vigil/internal/store"
)

// Required reports whether VIGIL_TEST_REQUIRE asks that tests needing what
// fail rather than skip when it is missing.
func Required(what string) bool {
	for _, w := range strings.FieldsFunc(os.Getenv("VIGIL_TEST_REQUIRE"), func(r rune) bool { return r == ',' || r == ' ' }) {
		if w == what || w == "all" {
			return true
		}
	}
	return false
}

// SkipOrFail skips the test with msg, or fails it when VIGIL_TEST_REQUIRE
// asks for what.
func SkipOrFail(t testing.TB, what, msg string) {
	t.Helper()
	if Required(what) {
		t.Fatalf("%s (VIGIL_TEST_REQUIRE=%s forbids skipping)", msg, os.Getenv("VIGIL_TEST_REQUIRE"))
	}
	t.Skip(msg)
}

// SQLite opens a migrated SQLite database in a temporary directory.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return open(t, filepath.Join(t.TempDir(), "vigil.db"))
}

// Postgres opens a migrated, empty PostgreSQL database of its own.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	return open(t, PostgresDSN(t))
}

func open(t testing.TB, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// Each runs f once against SQLite and once against PostgreSQL, as subtests.
func Each(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { f(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, Postgres(t)) })
}

// Backends lists the engines Each runs on, for tests that open databases
// themselves (a CLI test passes a DSN to a subprocess, say).
func Backends() []store.Kind { return []store.Kind{store.SQLite, store.Postgres} }

// DSN returns a fresh database of the given kind as a DSN: a file path for
// SQLite, a URL for PostgreSQL. The database is not migrated.
func DSN(t testing.TB, kind store.Kind) string {
	t.Helper()
	if kind == store.Postgres {
		return PostgresDSN(t)
	}
	return filepath.Join(t.TempDir(), "vigil.db")
}

var (
	clusterOnce sync.Once
	cluster     *pgCluster
	clusterErr  error
	dbCounter   atomic.Int64
)

// PostgresDSN creates an empty database of its own on the test PostgreSQL
// server and returns its URL. It skips or fails the test when there is no
// server to be had.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	clusterOnce.Do(func() { cluster, clusterErr = startCluster() })
	if clusterErr != nil {
		SkipOrFail(t, "postgres", "no PostgreSQL for this test: "+clusterErr.Error())
	}
	name := fmt.Sprintf("vigil_test_%d_%d", os.Getpid(), dbCounter.Add(1))
	if err := cluster.exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("postgres: create database: %v", err)
	}
	t.Cleanup(func() { _ = cluster.exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return cluster.dsn(name)
}

// Main runs a package's tests and then stops the throwaway PostgreSQL
// cluster, if one was started. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(storetest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		cluster.stop()
	}
	return code
}

type pgCluster struct {
	base   string // a DSN with no database, from VIGIL_TEST_POSTGRES or our own server
	dir    string
	bin    string
	cred   *syscall.Credential
	owned  bool
	dbconn string
}

func (c *pgCluster) dsn(db string) string {
	u, _ := url.Parse(c.base)
	u.Path = "/" + db
	return u.String()
}

func (c *pgCluster) exec(ctx context.Context, stmt string) error {
	db, err := store.Open(ctx, c.dsn(c.dbconn))
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(ctx, stmt)
	return err
}

// startCluster finds a PostgreSQL server: VIGIL_TEST_POSTGRES if set,
// otherwise a new cluster in a temporary directory.
func startCluster() (*pgCluster, error) {
	if dsn := os.Getenv("VIGIL_TEST_POSTGRES"); dsn != "" {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("VIGIL_TEST_POSTGRES is not a URL: %w", err)
		}
		dbconn := strings.TrimPrefix(u.Path, "/")
		if dbconn == "" {
			dbconn = "postgres"
		}
		return &pgCluster{base: dsn, dbconn: dbconn}, nil
	}
	bin, err := findPostgresBin()
	if err != nil {
		return nil, err
	}
	c := &pgCluster{bin: bin, owned: true, dbconn: "postgres"}
	// initdb refuses to run as root: run the server as an ordinary account.
	if os.Geteuid() == 0 {
		cred, err := serverCredential()
		if err != nil {
			return nil, err
		}
		c.cred = cred
	}
	dir, err := os.MkdirTemp("", "vigil-pg-")
	if err != nil {
		return nil, err
	}
	c.dir = dir
	if c.cred != nil {
		if err := os.Chown(dir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb failed: %v: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -c unix_socket_directories=%s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, dir)
	if out, err := c.run("pg_ctl", "start", "-w", "-t", "60", "-D", data, "-l", filepath.Join(dir, "server.log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pg_ctl start failed: %v: %s %s", err, out, log)
	}
	c.base = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	// Wait until it accepts connections.
	deadline := time.Now().Add(30 * time.Second)
	for {
		db, err := store.Open(context.Background(), c.base)
		if err == nil {
			db.Close()
			break
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, fmt.Errorf("postgres did not accept connections: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return c, nil
}

func (c *pgCluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd.CombinedOutput()
}

func (c *pgCluster) stop() {
	if !c.owned {
		return
	}
	_, _ = c.run("pg_ctl", "stop", "-m", "immediate", "-w", "-D", filepath.Join(c.dir, "data"))
	os.RemoveAll(c.dir)
}

func findPostgresBin() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(p), "initdb")); err == nil {
			return filepath.Dir(p), nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return "", fmt.Errorf("PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql or set VIGIL_TEST_POSTGRES")
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}

func serverCredential() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("running as root and no 'postgres' or 'nobody' account to run the PostgreSQL server as")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
