package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"

	f_log "github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	"golang.org/x/mod/sumdb/note"
)

// VerifyOptions says what Verify checks beyond the log itself.
type VerifyOptions struct {
	// VerifierKey is the log's public key in note format.
	VerifierKey string
	// Previous is a checkpoint seen earlier; the log must have grown from
	// it, never shrunk or forked.
	Previous []byte
	// Event, if positive, is an event that must be in the log.
	Event int64
}

// Verified is what a successful Verify saw.
type Verified struct {
	Checkpoint f_log.Checkpoint
	// Raw is the checkpoint note as fetched: keep it as the next run's
	// Previous.
	Raw []byte
	// PreviousSize is the size of the Previous checkpoint (0 if none).
	PreviousSize uint64
	// EventIndex is where the Event is in the log, if one was asked for.
	EventIndex uint64
}

// VerifyError is a failed check, with a message for people.
type VerifyError struct {
	Check string // "key", "checkpoint", "entries", "tiles", "consistency" or "event"
	Msg   string
	Err   error
}

func (e *VerifyError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s check failed: %s (%v)", e.Check, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s check failed: %s", e.Check, e.Msg)
}

func (e *VerifyError) Unwrap() error { return e.Err }

// entryAt returns entry i (a log index) from the bundle that holds it,
// refusing a bundle too short to hold it.
func entryAt(b api.EntryBundle, i uint64) ([]byte, error) {
	j := i % layout.EntryBundleWidth
	if j >= uint64(len(b.Entries)) {
		return nil, fmt.Errorf("entry bundle holds %d entries, not entry %d", len(b.Entries), i)
	}
	return b.Entries[j], nil
}

func verr(check string, err error, format string, args ...any) error {
	return &VerifyError{Check: check, Msg: fmt.Sprintf(format, args...), Err: err}
}

// ParseCheckpoint checks a checkpoint note's signature with v and parses
// it. The origin must be v's name.
func ParseCheckpoint(raw []byte, v note.Verifier) (*f_log.Checkpoint, error) {
	cp, _, _, err := f_log.ParseCheckpoint(raw, v.Name(), v)
	if err != nil {
		return nil, err
	}
	if len(cp.Hash) != sha256.Size {
		return nil, fmt.Errorf("the checkpoint's root hash has %d bytes, not %d", len(cp.Hash), sha256.Size)
	}
	return cp, nil
}

// Verify checks a log from src, trusting nothing but the verifier key: the
// checkpoint's signature; that the entries hash to the checkpoint's root;
// that every tile holds the hashes the entries imply; that each entry is a
// well-formed Vigil entry, in commit order; that the log grew from
// opts.Previous without forking or shrinking; and, if asked, that an event
// is in it, with an inclusion proof built from the tiles as any client
// would.
func Verify(ctx context.Context, src Source, opts VerifyOptions) (*Verified, error) {
	v, err := note.NewVerifier(opts.VerifierKey)
	if err != nil {
		return nil, verr("key", err, "the verifier key is not a signed-note public key (name+hash+key)")
	}
	raw, err := src.ReadCheckpoint(ctx)
	if err != nil {
		return nil, verr("checkpoint", err, "cannot read the log's checkpoint")
	}
	cp, err := ParseCheckpoint(raw, v)
	if err != nil {
		return nil, verr("checkpoint", err, "the checkpoint is not signed by the key for %q: it was altered, or this is another log", v.Name())
	}
	out := &Verified{Checkpoint: *cp, Raw: raw}

	var prev *f_log.Checkpoint
	if len(opts.Previous) > 0 {
		prev, err = ParseCheckpoint(opts.Previous, v)
		if err != nil {
			return nil, verr("consistency", err, "the checkpoint saved from the last run does not verify with this key")
		}
		out.PreviousSize = prev.Size
		if prev.Size > cp.Size {
			return nil, verr("consistency", nil, "the log shrank from %d entries (last run) to %d: it was rolled back or replaced", prev.Size, cp.Size)
		}
	}

	// Rebuild the tree from the entries, keeping every node a tile holds.
	rf := compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}
	tree := rf.NewEmptyRange(0)
	levels := map[uint][][]byte{} // tree level (multiples of 8) -> node hashes, left to right
	visit := func(id compact.NodeID, hash []byte) {
		if id.Level%layout.TileHeight == 0 {
			levels[id.Level] = append(levels[id.Level], hash)
		}
	}
	var prevRoot []byte
	var lastSeq int64
	found := false
	for b := uint64(0); b*layout.EntryBundleWidth < cp.Size; b++ {
		bundle, err := client.GetEntryBundle(ctx, src.ReadEntryBundle, b, cp.Size)
		if err != nil {
			return nil, verr("entries", err, "cannot read entry bundle %d", b)
		}
		want := uint64(layout.PartialTileSize(0, b, cp.Size))
		if want == 0 {
			want = layout.EntryBundleWidth
		}
		if uint64(len(bundle.Entries)) < want {
			return nil, verr("entries", nil, "entry bundle %d holds %d entries, the checkpoint implies %d", b, len(bundle.Entries), want)
		}
		for j, data := range bundle.Entries[:want] {
			i := b*layout.EntryBundleWidth + uint64(j)
			en, err := ParseEntry(data)
			if err != nil {
				return nil, verr("entries", err, "entry %d is not a well-formed Vigil event", i)
			}
			if en.Seq <= lastSeq {
				return nil, verr("entries", nil, "entry %d is event %d, after event %d: events are out of order or repeated", i, en.Seq, lastSeq)
			}
			lastSeq = en.Seq
			if opts.Event > 0 && en.Seq == opts.Event {
				out.EventIndex, found = i, true
			}
			if err := tree.Append(rfc6962.DefaultHasher.HashLeaf(data), visit); err != nil {
				return nil, verr("entries", err, "cannot hash entry %d", i)
			}
			if prev != nil && tree.End() == prev.Size {
				if prevRoot, err = tree.GetRootHash(nil); err != nil {
					return nil, verr("entries", err, "cannot hash the tree")
				}
			}
		}
	}
	root, err := tree.GetRootHash(nil)
	if err != nil {
		return nil, verr("entries", err, "cannot hash the tree")
	}
	if cp.Size == 0 {
		root = rfc6962.DefaultHasher.EmptyRoot()
	}
	if !bytes.Equal(root, cp.Hash) {
		return nil, verr("entries", nil, "the %d entries do not hash to the root in the signed checkpoint: an entry bundle was changed, or entries were added or removed", cp.Size)
	}

	// Every tile must hold exactly the hashes the entries imply.
	for level := uint64(0); ; level++ {
		hashes := levels[uint(level*layout.TileHeight)]
		if len(hashes) == 0 {
			break
		}
		for t := uint64(0); t*layout.TileWidth < uint64(len(hashes)); t++ {
			p := layout.PartialTileSize(level, t, cp.Size)
			rawTile, err := src.ReadTile(ctx, level, t, p)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return nil, verr("tiles", err, "tile %s is missing", layout.TilePath(level, t, p))
				}
				return nil, verr("tiles", err, "cannot read tile %s", layout.TilePath(level, t, p))
			}
			var tile api.HashTile
			if err := tile.UnmarshalText(rawTile); err != nil {
				return nil, verr("tiles", err, "tile %s is malformed", layout.TilePath(level, t, p))
			}
			want := hashes[t*layout.TileWidth : min((t+1)*layout.TileWidth, uint64(len(hashes)))]
			if len(tile.Nodes) < len(want) {
				return nil, verr("tiles", nil, "tile %s holds %d hashes, the checkpoint implies %d", layout.TilePath(level, t, p), len(tile.Nodes), len(want))
			}
			for k := range want {
				if !bytes.Equal(tile.Nodes[k], want[k]) {
					return nil, verr("tiles", nil, "tile %s does not match the entries (hash %d differs): the tile was altered", layout.TilePath(level, t, p), k)
				}
			}
		}
	}

	// The log must extend what we saw last time.
	if prev != nil {
		if prev.Size == cp.Size && !bytes.Equal(prev.Hash, cp.Hash) {
			return nil, verr("consistency", nil, "the log was forked: a checkpoint of the same size %d with a different root was seen before", cp.Size)
		}
		if prev.Size > 0 && prev.Size < cp.Size {
			if !bytes.Equal(prevRoot, prev.Hash) {
				return nil, verr("consistency", nil, "the log was forked: its first %d entries no longer hash to the root seen last time", prev.Size)
			}
			pb, err := client.NewProofBuilder(ctx, cp.Size, src.ReadTile)
			if err != nil {
				return nil, verr("consistency", err, "cannot build a consistency proof")
			}
			cons, err := pb.ConsistencyProof(ctx, prev.Size, cp.Size)
			if err != nil {
				return nil, verr("consistency", err, "cannot build a consistency proof from %d to %d", prev.Size, cp.Size)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, prev.Size, cp.Size, cons, prev.Hash, cp.Hash); err != nil {
				return nil, verr("consistency", err, "the consistency proof from %d to %d entries does not verify: the log was forked", prev.Size, cp.Size)
			}
		}
	}

	if opts.Event > 0 {
		if !found {
			return nil, verr("event", nil, "event %d is not in the log's %d entries", opts.Event, cp.Size)
		}
		pb, err := client.NewProofBuilder(ctx, cp.Size, src.ReadTile)
		if err != nil {
			return nil, verr("event", err, "cannot build an inclusion proof")
		}
		incl, err := pb.InclusionProof(ctx, out.EventIndex)
		if err != nil {
			return nil, verr("event", err, "cannot build an inclusion proof for entry %d", out.EventIndex)
		}
		bundle, err := client.GetEntryBundle(ctx, src.ReadEntryBundle, out.EventIndex/layout.EntryBundleWidth, cp.Size)
		if err != nil {
			return nil, verr("event", err, "cannot read entry %d", out.EventIndex)
		}
		entry, err := entryAt(bundle, out.EventIndex)
		if err != nil {
			return nil, verr("event", err, "cannot read entry %d", out.EventIndex)
		}
		leaf := rfc6962.DefaultHasher.HashLeaf(entry)
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, out.EventIndex, cp.Size, leaf, incl, cp.Hash); err != nil {
			return nil, verr("event", err, "the inclusion proof of event %d does not verify", opts.Event)
		}
	}
	return out, nil
}
