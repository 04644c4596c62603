package cli_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/tessera/client"

	"github.com/vigil-project/vigil/internal/cli"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// TestMain makes the test binary double as the vigil command: testscript
// puts a copy named "vigil" on the scripts' PATH, and the process tests
// (kill_test.go) re-execute the binary under that name. The throwaway
// PostgreSQL cluster, if a test started one, is stopped after the tests.
func TestMain(m *testing.M) {
	testscript.Main(stopCluster{m}, map[string]func(){
		"vigil": func() { os.Exit(cli.Main()) },
	})
}

// stopCluster runs the tests through storetest.Main, which stops the
// PostgreSQL cluster once they are done.
type stopCluster struct{ m *testing.M }

func (s stopCluster) Run() int { return storetest.Main(s.m) }

// TestScripts runs the scripts in testdata/script: the command line as a
// person types it.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"flipbyte":   cmdFlipbyte,
			"cpdir":      cmdCpdir,
			"freeport":   cmdFreeport,
			"waithttp":   cmdWaitHTTP,
			"http":       cmdHTTP,
			"logentries": cmdLogEntries,
			"vaultstate": cmdVaultState,
			"envfile":    cmdEnvFile,
		},
	})
}

// cmdFlipbyte flips the lowest bit of the byte at OFFSET in FILE; a
// negative OFFSET counts from the end. With "hex", the byte must be a
// lower-case hex digit, and becomes the next one (f becomes 0), so that a
// hash written in hex stays well-formed but changes:
//
//	flipbyte FILE OFFSET [hex]
func cmdFlipbyte(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 || (len(args) == 3 && args[2] != "hex") {
		ts.Fatalf("usage: flipbyte FILE OFFSET [hex]")
	}
	name := ts.MkAbs(args[0])
	off, err := strconv.Atoi(args[1])
	ts.Check(err)
	b, err := os.ReadFile(name)
	ts.Check(err)
	if off < 0 {
		off += len(b)
	}
	if off < 0 || off >= len(b) {
		ts.Fatalf("%s has %d bytes; no byte at offset %s", args[0], len(b), args[1])
	}
	if len(args) == 3 {
		const digits = "0123456789abcdef"
		i := strings.IndexByte(digits, b[off])
		if i < 0 {
			ts.Fatalf("the byte at offset %s of %s is %q, not a hex digit", args[1], args[0], b[off])
		}
		b[off] = digits[(i+1)%len(digits)]
	} else {
		b[off] ^= 1
	}
	ts.Check(os.WriteFile(name, b, 0o644))
}

// cmdCpdir copies the directory tree SRC to DST, which must not exist:
//
//	cpdir SRC DST
func cmdCpdir(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: cpdir SRC DST")
	}
	src, dst := ts.MkAbs(args[0]), ts.MkAbs(args[1])
	if _, err := os.Stat(dst); err == nil {
		ts.Fatalf("cpdir: %s exists", args[1])
	}
	ts.Check(os.CopyFS(dst, os.DirFS(src)))
}

// cmdFreeport sets the environment variable VAR to a TCP port that was free
// on 127.0.0.1 a moment ago:
//
//	freeport VAR
func cmdFreeport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := l.Addr().(*net.TCPAddr).Port
	ts.Check(l.Close())
	ts.Setenv(args[0], strconv.Itoa(port))
}

// cmdWaitHTTP waits up to 30 seconds until GET URL answers 200. It gives up
// early if the background command started last has exited:
//
//	waithttp URL
func cmdWaitHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waithttp URL")
	}
	var pid int
	if bg := ts.BackgroundCmds(); len(bg) > 0 {
		pid = bg[len(bg)-1].Process.Pid
	}
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		// testscript reaps background commands as they exit, so signal 0
		// fails once the process is gone.
		if pid != 0 && syscall.Kill(pid, 0) != nil {
			ts.Fatalf("the background command exited before %s answered", args[0])
		}
		resp, err := c.Get(args[0])
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("%s did not answer 200 within 30s: %v", args[0], last)
}

// cmdHTTP makes one HTTP request and prints the response body on stdout and
// its status on stderr ("HTTP 201"). It fails on a status of 400 or more
// (or, negated, succeeds only then):
//
//	http [-token FILE] [-body FILE] METHOD URL
func cmdHTTP(ts *testscript.TestScript, neg bool, args []string) {
	var token, body string
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if len(args) < 2 {
			ts.Fatalf("usage: http [-token FILE] [-body FILE] METHOD URL")
		}
		switch args[0] {
		case "-token":
			token = strings.TrimSpace(ts.ReadFile(args[1]))
		case "-body":
			body = ts.ReadFile(args[1])
		default:
			ts.Fatalf("http: unknown flag %s", args[0])
		}
		args = args[2:]
	}
	if len(args) != 2 {
		ts.Fatalf("usage: http [-token FILE] [-body FILE] METHOD URL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, args[0], args[1], r)
	ts.Check(err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ts.Check(err)
	ts.Stdout().Write(b)
	fmt.Fprintf(ts.Stderr(), "HTTP %d\n", resp.StatusCode)
	failed := resp.StatusCode >= 400
	switch {
	case failed && !neg:
		ts.Fatalf("%s %s: %s", args[0], args[1], resp.Status)
	case !failed && neg:
		ts.Fatalf("%s %s: %s, want a failure", args[0], args[1], resp.Status)
	}
}

// cmdLogEntries prints every entry of the log at URL (its root, ending in
// /log/) that its published checkpoint covers, one per line, as anyone
// reading the log would get them.
func cmdLogEntries(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: logentries URL")
	}
	src, err := ledger.OpenSource(args[0])
	ts.Check(err)
	ctx := context.Background()
	raw, err := src.ReadCheckpoint(ctx)
	ts.Check(err)
	var cp log.Checkpoint
	_, err = cp.Unmarshal(raw)
	ts.Check(err)
	for b := uint64(0); b*256 < cp.Size; b++ {
		bundle, err := client.GetEntryBundle(ctx, src.ReadEntryBundle, b, cp.Size)
		ts.Check(err)
		for _, e := range bundle.Entries {
			fmt.Fprintf(ts.Stdout(), "%s\n", e)
		}
	}
}
