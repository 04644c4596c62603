package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"

	"github.com/vigil-project/vigil/internal/store"
)

// ErrNotYetPublished means an event is committed but no published
// checkpoint covers it yet; ask again in a second or two.
var ErrNotYetPublished = errors.New("ledger: the event is not yet covered by a published checkpoint")

// Proof shows that an event is in the log: its entry, where it is, and an
// inclusion proof against a signed checkpoint.
type Proof struct {
	Event int64 `json:"event"`
	// Index is the entry's position in the log.
	Index uint64 `json:"index"`
	// Entry is the log entry, exactly as logged (base64 in JSON, so that
	// no re-formatting can change the bytes the leaf hash is over).
	Entry []byte `json:"entry"`
	// Decoded is the entry, decoded, for people to read.
	Decoded Entry `json:"decoded"`
	// LeafHash is the RFC 6962 leaf hash of the entry.
	LeafHash []byte `json:"leaf_hash"`
	// Checkpoint is the signed checkpoint note the proof is against.
	Checkpoint string `json:"checkpoint"`
	TreeSize   uint64 `json:"tree_size"`
	RootHash   []byte `json:"root_hash"`
	// Inclusion is the RFC 6962 inclusion proof, leaf to root.
	Inclusion [][]byte `json:"inclusion"`
}

// Prove builds the inclusion proof of event id against the latest
// checkpoint in src, and checks it before returning it. It returns an error
// wrapping store.ErrNotFound for an unknown event and ErrNotYetPublished
// for one no checkpoint covers yet.
func Prove(ctx context.Context, q store.Querier, src Source, v note.Verifier, id int64) (Proof, error) {
	ev, err := Get(ctx, q, id)
	if err != nil {
		return Proof{}, err
	}
	if ev.LogIndex == nil {
		return Proof{}, ErrNotYetPublished
	}
	raw, err := src.ReadCheckpoint(ctx)
	if err != nil {
		return Proof{}, fmt.Errorf("ledger: read checkpoint: %w", err)
	}
	cp, err := ParseCheckpoint(raw, v)
	if err != nil {
		return Proof{}, fmt.Errorf("ledger: the log's own checkpoint does not verify: %w", err)
	}
	pb, err := client.NewProofBuilder(ctx, cp.Size, src.ReadTile)
	if err != nil {
		return Proof{}, fmt.Errorf("ledger: %w", err)
	}
	return prove(ctx, src, pb, cp, raw, id, uint64(*ev.LogIndex))
}

// ProveAll waits until every event in ids is in the log and covered by a
// published checkpoint, then returns their proofs, all against that one
// checkpoint, in the order of ids. It returns an error wrapping
// store.ErrNotFound for an unknown event, and ctx's error if the log does
// not catch up in time.
func ProveAll(ctx context.Context, q store.Querier, src Source, v note.Verifier, ids []int64) ([]Proof, string, error) {
	idx := make([]uint64, len(ids))
	var need uint64
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i, id := range ids {
		for {
			ev, err := Get(ctx, q, id)
			if err != nil {
				return nil, "", err
			}
			if ev.LogIndex != nil {
				idx[i] = uint64(*ev.LogIndex)
				need = max(need, idx[i]+1)
				break
			}
			select {
			case <-ctx.Done():
				return nil, "", fmt.Errorf("ledger: event %d not yet in the log: %w", id, ctx.Err())
			case <-tick.C:
			}
		}
	}
	for {
		raw, err := src.ReadCheckpoint(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("ledger: read checkpoint: %w", err)
		}
		cp, err := ParseCheckpoint(raw, v)
		if err != nil {
			return nil, "", fmt.Errorf("ledger: the log's own checkpoint does not verify: %w", err)
		}
		if cp.Size >= need {
			pb, err := client.NewProofBuilder(ctx, cp.Size, src.ReadTile)
			if err != nil {
				return nil, "", fmt.Errorf("ledger: %w", err)
			}
			out := make([]Proof, len(ids))
			for i, id := range ids {
				if out[i], err = prove(ctx, src, pb, cp, raw, id, idx[i]); err != nil {
					return nil, "", err
				}
			}
			return out, string(raw), nil
		}
		select {
		case <-ctx.Done():
			return nil, "", fmt.Errorf("ledger: no checkpoint covers the events yet: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// prove builds and checks the inclusion proof of event id, at index idx,
// against checkpoint cp (raw is its signed note).
func prove(ctx context.Context, src Source, pb *client.ProofBuilder, cp *f_log.Checkpoint, raw []byte, id int64, idx uint64) (Proof, error) {
	if idx >= cp.Size {
		return Proof{}, ErrNotYetPublished
	}
	bundle, err := client.GetEntryBundle(ctx, src.ReadEntryBundle, idx/layout.EntryBundleWidth, cp.Size)
	if err != nil {
		return Proof{}, fmt.Errorf("ledger: read entry %d: %w", idx, err)
	}
	entry, err := entryAt(bundle, idx)
	if err != nil {
		return Proof{}, fmt.Errorf("ledger: read entry %d: %w", idx, err)
	}
	decoded, err := ParseEntry(entry)
	if err != nil {
		return Proof{}, fmt.Errorf("ledger: entry %d: %w", idx, err)
	}
	incl, err := pb.InclusionProof(ctx, idx)
	if err != nil {
		return Proof{}, fmt.Errorf("ledger: inclusion proof for %d: %w", idx, err)
	}
	leaf := rfc6962.DefaultHasher.HashLeaf(entry)
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, idx, cp.Size, leaf, incl, cp.Hash); err != nil {
		return Proof{}, fmt.Errorf("ledger: the log's own inclusion proof for entry %d does not verify: %w", idx, err)
	}
	return Proof{
		Event:      id,
		Index:      idx,
		Entry:      entry,
		Decoded:    decoded,
		LeafHash:   leaf,
		Checkpoint: string(raw),
		TreeSize:   cp.Size,
		RootHash:   cp.Hash,
		Inclusion:  incl,
	}, nil
}
