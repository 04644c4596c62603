package vault

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
	"github.com/vigil-project/vigil/internal/store/storetest"
)

// sample is a ProofMode bundle laid out as the Android app shares it
// (internal/proofmode makes it; its doc says where the layout comes from).
func sample(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../proofmode/testdata/proofmode-sample.zip")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tamper rewrites the bundle with one byte of the photo changed.
func tamper(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		r, _ := f.Open()
		content, _ := io.ReadAll(r)
		r.Close()
		if strings.HasSuffix(f.Name, ".jpg") {
			content[len(content)-1] ^= 1
		}
		w, _ := zw.Create(f.Name)
		w.Write(content)
	}
	zw.Close()
	return out.Bytes()
}

func TestImportProofMode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		n := NewItem{Class: "documentation", Purpose: "Monitor's photo of the kettle at the square"}
		items, rcpt, res, err := f.v.ImportProofMode(f.ctx, f.acc("monitor"), n, bytes.NewReader(sample(t)))
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK || len(items) != 1 || rcpt == nil || items[0].MediaType != "image/jpeg" || !items[0].ProofMode {
			t.Fatalf("import: ok=%v items=%+v receipt=%v", res.OK, items, rcpt)
		}
		g, err := f.v.Authorize(f.ctx, f.acc("monitor"), items[0].ID, Access{Action: ActionView, Purpose: "Check the import", Basis: Basis{Kind: BasisSubmitter}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.v.Open(f.ctx, f.acc("monitor").ID, items[0].ID, g.Token)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, c)
		if c.ProofMode == nil || !c.ProofMode.OK || c.ProofMode.Signer != res.Signer || c.Capture.Filename != "PXL_20240506_070807123.jpg" {
			t.Errorf("kept check = %+v, capture %+v", c.ProofMode, c.Capture)
		}
		evs, _ := ledger.List(f.ctx, db, ledger.Query{Subject: "item:" + items[0].ID})
		if !strings.Contains(string(evs[len(evs)-1].Entry), `"proofmode":"verified"`) {
			t.Errorf("ingest entry: %s", evs[len(evs)-1].Entry)
		}

		// A photo changed after it was signed: kept, with the failure on
		// record.
		items, _, res, err = f.v.ImportProofMode(f.ctx, f.acc("monitor"), n, bytes.NewReader(tamper(t, sample(t))))
		if err != nil {
			t.Fatal(err)
		}
		if res.OK || len(res.Problems) == 0 {
			t.Fatalf("a tampered bundle checks: %+v", res)
		}
		evs, _ = ledger.List(f.ctx, db, ledger.Query{Subject: "item:" + items[0].ID})
		if !strings.Contains(string(evs[len(evs)-1].Entry), `"proofmode":"failed"`) {
			t.Errorf("ingest entry of a tampered bundle: %s", evs[len(evs)-1].Entry)
		}
		// Not a bundle at all.
		if _, _, _, err := f.v.ImportProofMode(f.ctx, f.acc("monitor"), n, strings.NewReader("hello")); !errors.Is(err, ErrInvalid) {
			t.Errorf("importing text: %v", err)
		}
	})
}
