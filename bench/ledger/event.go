package main

import (
	"crypto/rand"
	"strconv"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
)

// benchKind is a realistic event: a decision on a request, with a couple of
// public facts and a private field that reaches the log as a commitment.
var benchKind = ledger.Kind{
	Name:    "bench.request_decided",
	Facts:   []string{"request", "decision", "step"},
	Private: []string{"reason"},
}

const benchReason = "Reviewed with the duty officer; the assembly route and times are unchanged"

// benchEvent is the i-th event Vigil's path records.
func benchEvent(i int) ledger.Event {
	req := "req_" + strconv.FormatInt(int64(i), 36)
	return ledger.Event{
		Kind:    benchKind,
		Actor:   ledger.Actor{Account: "acc_" + strconv.FormatInt(int64(i%97), 36), Role: "officer"},
		Subject: "request:" + req,
		Facts:   map[string]any{"request": req, "decision": "approved", "step": i % 7},
		Private: map[string]string{"reason": benchReason},
	}
}

// benchEntry is the log entry Vigil would make of benchEvent(i), built the
// same way (fresh salts, commitments to the private field and the actor),
// for the bare Tessera baselines. seq stands in for the database's event ID.
func benchEntry(i int) ([]byte, error) {
	ev := benchEvent(i)
	commit := map[string]string{
		"reason": ledger.Commitment("reason", salt(), ev.Private["reason"]),
		"actor":  ledger.Commitment("actor", salt(), ev.Actor.Account),
	}
	return ledger.Entry{
		V:      ledger.EntryVersion,
		Seq:    int64(i + 1),
		Type:   ev.Kind.Name,
		Time:   time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Role:   ev.Actor.Role,
		Facts:  ev.Facts,
		Commit: commit,
	}.Marshal()
}

func salt() []byte {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	return b
}
