package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/bundle"
	"github.com/vigil-project/vigil/internal/cli"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
	"github.com/vigil-project/vigil/internal/witness"
)

// witnessedExport is a real log whose checkpoints a real witness cosigns,
// and an evidence bundle exported from it.
type witnessedExport struct {
	dir     string // holds the log, its keys, the bundle and the policy
	logKeys ledger.Keys
	key     witness.Key // the witness's
	policy  string      // a policy file requiring the witness
	bundle  string      // the bundle's path
	// checkpoint is the cosigned checkpoint in the bundle; proofs and item
	// what it was made of, to write variants.
	checkpoint string
	proofs     []ledger.Proof
	item       bundle.Item
}

var witnessIngest = ledger.Kind{Name: "item.ingested", Facts: []string{"item", "class", "media", "content", "submitted"}}

func newWitnessedExport(t *testing.T, db *store.DB) *witnessedExport {
	t.Helper()
	ctx := context.Background()
	ledger.QuietTessera(slog.Default().Handler())
	x := &witnessedExport{dir: t.TempDir()}
	var err error
	if x.logKeys, _, err = ledger.LoadOrCreateKeys(filepath.Join(x.dir, "keys"), "vigil.test/log"); err != nil {
		t.Fatal(err)
	}

	// The witness: its own database, of the same kind, and HTTP.
	wdb, err := store.Open(ctx, storetest.DSN(t, db.Kind()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wdb.Close() })
	if _, err := wdb.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if x.key, _, err = witness.LoadOrCreateKey(t.TempDir(), "oversight.test/witness"); err != nil {
		t.Fatal(err)
	}
	srv, err := witness.New(wdb, witness.Config{Key: x.key, Logs: []note.Verifier{x.logKeys.Verifier}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	policy := fmt.Sprintf("# The oversight body's witness\nwitness oversight %s %s\nquorum oversight\n", x.key.VerifierKey, ts.URL)
	x.policy = filepath.Join(x.dir, "witnesses.policy")
	if err := os.WriteFile(x.policy, []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}

	// The log, with the policy; an item's ingest event in it.
	log, err := ledger.OpenLog(ctx, ledger.LogConfig{Dir: filepath.Join(x.dir, "log"), Keys: x.logKeys, CheckpointInterval: 100 * time.Millisecond, WitnessPolicy: []byte(policy)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		log.Close(ctx)
	})
	outbox := ledger.NewOutbox()
	writer := ledger.NewWriter(db, log, outbox, ledger.WriterConfig{})
	content := []byte("A monitor's notes of the arrest at the bridge, 14:05.\n")
	sum := sha256.Sum256(content)
	salt := sha256.Sum256([]byte("witness test salt"))
	m := bundle.ItemMeta{ID: "itm_witnessedbundle01", Class: "report", MediaType: "text/plain", Filename: "notes.txt",
		Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), Salt: hex.EncodeToString(salt[:16])}
	m.Commitment = "sha256:" + ledger.Commitment("item_content", salt[:16], m.SHA256)
	x.item = bundle.Item{Meta: m, Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(content)), nil }}
	var ids []int64
	err = db.Tx(ctx, func(tx *store.Tx) error {
		id, err := outbox.Record(ctx, tx, ledger.Event{Kind: witnessIngest, Actor: ledger.Actor{Role: "monitor"},
			Facts: map[string]any{"item": m.ID, "class": m.Class, "media": "text", "content": m.Commitment, "submitted": false}})
		ids = append(ids, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if x.proofs, x.checkpoint, err = ledger.ProveAll(wctx, db, log.Reader(), x.logKeys.Verifier, ids); err != nil {
		t.Fatal(err)
	}
	x.bundle = x.write(t, "case.zip", x.checkpoint)
	return x
}

// write writes the bundle of the item, its proofs and the checkpoint
// note cp, signed with the log's key, and returns its path.
func (x *witnessedExport) write(t *testing.T, name, cp string) string {
	t.Helper()
	proofs := append([]ledger.Proof{}, x.proofs...)
	for i := range proofs {
		proofs[i].Checkpoint = cp
	}
	var b bytes.Buffer
	if err := bundle.Write(&b, bundle.Bundle{Items: []bundle.Item{x.item}, Events: proofs, Checkpoint: cp}, x.logKeys.Signer, nil, nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(x.dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// vigil runs the command line in this process, as typed.
func (x *witnessedExport) vigil(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestVerifyWitnessedBundle: a bundle exported from a log with a witness
// carries the witness's cosignature; `vigil verify` lists it, checks it
// when told to require the witness, and fails, naming the witness, when
// a required cosignature is missing or altered.
func TestVerifyWitnessedBundle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		x := newWitnessedExport(t, db)
		logKey, wKey := x.logKeys.VerifierKey, x.key.VerifierKey
		other, _, err := witness.LoadOrCreateKey(t.TempDir(), "other.test/witness")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(x.checkpoint, "\n— oversight.test/witness ") {
			t.Fatalf("the exported checkpoint has no cosignature by the witness:\n%s", x.checkpoint)
		}
		cosigLine := regexp.MustCompile(`cosigned by witness oversight\.test/witness \(key [0-9a-f]{8}\) at 20\d\d-`)

		for _, tc := range []struct {
			name string
			args []string
			code int
			want []string
			not  []string
		}{
			{"no witness flags: the cosignature is listed, not checked", []string{x.bundle, "--key", logKey}, 0,
				[]string{"OK: " + x.bundle + " verifies against the log \"vigil.test/log\"", "also carries signatures by oversight.test/witness (key ", "not checked"}, []string{"cosigned by"}},
			{"--witness: checked", []string{x.bundle, "--key", logKey, "--witness", wKey}, 0,
				[]string{"OK: " + x.bundle + " verifies", "OK: the checkpoint has the witness cosignatures required (a cosignature by oversight.test/witness (key "}, []string{"not checked"}},
			{"--witness-policy: checked", []string{"--witness-policy", x.policy, x.bundle, "--key", logKey}, 0,
				[]string{"OK: the checkpoint has the witness cosignatures required"}, nil},
			{"another witness required: fails naming it", []string{x.bundle, "--key", logKey, "--witness", other.VerifierKey}, 1,
				[]string{"FAILED: " + x.bundle + " does NOT verify: witness check failed: the checkpoint does not have the witness cosignatures required", "witness other.test/witness (key ", "has not cosigned it"}, []string{"OK: " + x.bundle}},
			{"both required: fails naming the missing one", []string{x.bundle, "--key", logKey, "--witness", wKey, "--witness", other.VerifierKey}, 1,
				[]string{"(cosignatures by all of oversight.test/witness", "witness other.test/witness (key ", "valid cosignatures only by oversight.test/witness"}, []string{"witness oversight.test/witness (key 00000000) has not"}},
			{"not a witness key", []string{x.bundle, "--key", logKey, "--witness", "not-a-key"}, 2, nil, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, stdout, stderr := x.vigil(t, append([]string{"verify"}, tc.args...)...)
				t.Logf("vigil verify %s\n%s%s", strings.Join(tc.args, " "), stdout, stderr)
				if code != tc.code {
					t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
				}
				for _, w := range tc.want {
					if !strings.Contains(stdout, w) {
						t.Errorf("stdout lacks %q:\n%s", w, stdout)
					}
				}
				for _, n := range tc.not {
					if strings.Contains(stdout, n) {
						t.Errorf("stdout has %q:\n%s", n, stdout)
					}
				}
				if strings.Contains(tc.name, "checked") && tc.code == 0 && strings.Contains(strings.Join(tc.args, " "), "witness") && !cosigLine.MatchString(stdout) {
					t.Errorf("stdout does not say who cosigned when:\n%s", stdout)
				}
			})
		}

		// The log itself, with the same flags.
		logDir := filepath.Join(x.dir, "log")
		if code, stdout, stderr := x.vigil(t, "verify", "--log", logDir, "--key", logKey, "--witness", wKey); code != 0 || !cosigLine.MatchString(stdout) {
			t.Fatalf("verify --log --witness: exit %d\n%s%s", code, stdout, stderr)
		}
		if code, _, stderr := x.vigil(t, "verify", "--log", logDir, "--key", logKey, "--witness", other.VerifierKey); code != 1 ||
			!strings.Contains(stderr, "the log does NOT verify: witness check failed: ") || !strings.Contains(stderr, "witness other.test/witness (key ") {
			t.Fatalf("verify --log with another witness required: exit %d\n%s", code, stderr)
		}

		// A cosignature with one bit changed, in a bundle the log's key
		// signed: the log's signatures still verify, the witness's does not.
		altered := x.write(t, "altered.zip", flipCosignature(t, x.checkpoint, "oversight.test/witness"))
		code, stdout, _ := x.vigil(t, "verify", altered, "--key", logKey, "--witness", wKey)
		if code != 1 || !strings.Contains(stdout, "the cosignature of witness oversight.test/witness (key ") || !strings.Contains(stdout, "does not verify") {
			t.Fatalf("a bundle with an altered cosignature, --witness: exit %d\n%s", code, stdout)
		}
		if code, stdout, _ := x.vigil(t, "verify", altered, "--key", logKey); code != 0 || !strings.Contains(stdout, "not checked") {
			t.Fatalf("a bundle with an altered cosignature, no --witness: exit %d, want 0 (unchecked)\n%s", code, stdout)
		}

		// A checkpoint without the cosignature (the log's operator removed
		// it and signed the bundle again): refused when the witness is required.
		logOnly, _, _ := strings.Cut(x.checkpoint, "\n— oversight.test/witness ")
		stripped := x.write(t, "stripped.zip", logOnly+"\n")
		if code, stdout, _ := x.vigil(t, "verify", stripped, "--key", logKey, "--witness", wKey); code != 1 || !strings.Contains(stdout, "witness oversight.test/witness (key ") || !strings.Contains(stdout, "has not cosigned it") {
			t.Fatalf("a bundle without the cosignature, --witness: exit %d\n%s", code, stdout)
		}

		// One bit of the cosignature flipped in the bundle file itself: the
		// bundle no longer verifies at all, with or without --witness.
		b, err := os.ReadFile(x.bundle)
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(b, []byte("— oversight.test/witness "))
		if i < 0 {
			t.Fatal("the bundle file does not hold the cosignature")
		}
		i += len("— oversight.test/witness ") + 10
		b[i] = otherBase64(b[i])
		flipped := filepath.Join(x.dir, "flipped.zip")
		if err := os.WriteFile(flipped, b, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, extra := range [][]string{nil, {"--witness", wKey}} {
			code, stdout, _ := x.vigil(t, append([]string{"verify", flipped, "--key", logKey}, extra...)...)
			if code != 1 || !strings.Contains(stdout, "FAILED: "+flipped+" does NOT verify") {
				t.Fatalf("a flipped byte in the cosignature (%v): exit %d\n%s", extra, code, stdout)
			}
		}
	})
}

// flipCosignature flips one bit of the signature (not its key hash) in
// name's signature line of a signed note.
func flipCosignature(t *testing.T, signed, name string) string {
	t.Helper()
	prefix := "— " + name + " "
	i := strings.Index(signed, prefix)
	if i < 0 {
		t.Fatalf("no signature by %s", name)
	}
	j := i + len(prefix)
	end := j + strings.IndexByte(signed[j:], '\n')
	sig, err := base64.StdEncoding.DecodeString(signed[j:end])
	if err != nil {
		t.Fatal(err)
	}
	sig[len(sig)-5] ^= 1
	return signed[:j] + base64.StdEncoding.EncodeToString(sig) + signed[end:]
}

// otherBase64 is another base64 character than c.
func otherBase64(c byte) byte {
	if c == 'A' {
		return 'B'
	}
	return 'A'
}
