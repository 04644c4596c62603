package bundle

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/ledger"
)

// Item is one evidence item to export.
type Item struct {
	Meta ItemMeta
	// Open returns the item's original plaintext bytes. Write may call it
	// more than once and expects the same bytes each time.
	Open func() (io.ReadCloser, error)
}

// ItemMeta describes an item. It is written to the bundle as
// data/items/<ID>/item.json.
type ItemMeta struct {
	ID        string `json:"id"`
	Class     string `json:"class"`
	MediaType string `json:"media_type"`
	// Filename is a safe base name for the content file (letters, digits,
	// '.', '_', '-'); empty means "content".
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	// SHA256 is the hex SHA-256 of the original bytes.
	SHA256 string `json:"sha256"`
	// Salt is the hex salt of the content commitment.
	Salt string `json:"salt"`
	// Commitment is the public commitment the log holds:
	// "sha256:" + ledger.Commitment("item_content", salt, SHA256).
	Commitment string `json:"commitment"`
	// ParentID and ParentCommitment name the item a segment was cut from;
	// Segment is the range it covers.
	ParentID         string    `json:"parent_id,omitempty"`
	ParentCommitment string    `json:"parent_commitment,omitempty"`
	Segment          string    `json:"segment,omitempty"`
	CapturedAt       time.Time `json:"captured_at,omitzero"`
	RetainUntil      time.Time `json:"retain_until,omitzero"`
}

// Bundle is what Write exports.
type Bundle struct {
	Items []Item
	// Events are the custody events of the items, each with its entry
	// bytes, log index and inclusion proof, all against Checkpoint. Every
	// item needs its item.ingested event among them.
	Events []ledger.Proof
	// Checkpoint is the signed checkpoint note the events are proven
	// against.
	Checkpoint string
	// Info holds extra bag-info.txt fields, such as "Vigil-Case". Keys are
	// letters and '-'; values are single lines. "Bagging-Date" (YYYY-MM-DD)
	// overrides the default, today's date in UTC.
	Info map[string]string
}

// ErrInvalid means Write refused a bundle: its items, events or fields
// break a rule. The message says which.
var ErrInvalid = errors.New("bundle: invalid bundle")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Limits on what Verify accepts, so that a hostile file cannot make it use
// unbounded memory.
const (
	// MaxEntries is the most files a bundle may hold.
	MaxEntries = 100_000
	// maxPath is the longest path inside the bag.
	maxPath = 255
	// maxSmall bounds a metadata file: item.json, a proof, the checkpoint,
	// the signature, bag-info.txt.
	maxSmall = 64 << 10
	// maxManifest bounds manifest-sha256.txt.
	maxManifest = 32 << 20
	// maxKept bounds the metadata Verify holds in memory in all.
	maxKept = 128 << 20
)

// The bag's files.
const (
	topDir         = "bundle/"
	bagitTxt       = "bagit.txt"
	bagInfoTxt     = "bag-info.txt"
	manifestTxt    = "manifest-sha256.txt"
	tagManifestTxt = "tagmanifest-sha256.txt"
	signatureTxt   = "vigil-signature.txt"
	checkpointFile = "data/checkpoint"
	custodyDir     = "data/custody/"
	itemsDir       = "data/items/"
	itemJSON       = "item.json"
	entrySuffix    = ".entry"
	proofSuffix    = ".proof.json"
	ageSuffix      = ".age"
	defaultName    = "content"

	bagitContent    = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
	signatureHeader = "vigil bundle v1\n"
	ingestType      = "item.ingested"
	commitField     = "item_content"
)

// component is one safe path component: no separators, no leading dot, no
// characters any file system or shell treats specially.
var component = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// validPath reports whether p is a path Vigil may write inside the bag:
// '/'-separated safe components, none of them "." or "..".
func validPath(p string) bool {
	if len(p) == 0 || len(p) > maxPath {
		return false
	}
	for _, c := range strings.Split(p, "/") {
		if !component.MatchString(c) {
			return false
		}
	}
	return true
}

// isTag reports whether a bag path is a tag file (outside data/).
func isTag(p string) bool { return !strings.HasPrefix(p, "data/") }

// pathLess is the canonical order of a bag's files: payload files first,
// then tag files, each group in byte order. Tag files come last because
// they describe the payload: a writer streams the payload once and then
// writes what it learnt.
func pathLess(a, b string) bool {
	if ta, tb := isTag(a), isTag(b); ta != tb {
		return tb
	}
	return a < b
}

func sortPaths(ps []string) { sort.Slice(ps, func(i, j int) bool { return pathLess(ps[i], ps[j]) }) }

var (
	hex64    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	saltRE   = regexp.MustCompile(`^(?:[0-9a-f]{2}){1,64}$`)
)

// contentName is the content file's base name, "content" if unset.
func (m ItemMeta) contentName() string {
	if m.Filename == "" {
		return defaultName
	}
	return m.Filename
}

// commitment recomputes the item's content commitment from its hash and
// salt; the salt must be valid hex.
func (m ItemMeta) commitment() string {
	salt, _ := hex.DecodeString(m.Salt)
	return "sha256:" + ledger.Commitment(commitField, salt, m.SHA256)
}

// check applies the rules every item.json keeps, writer and verifier
// alike.
func (m ItemMeta) check() error {
	switch {
	case !component.MatchString(m.ID) || strings.Contains(m.ID, "."):
		return fmt.Errorf("item ID %q is not a safe name (letters, digits, '_', '-')", m.ID)
	case !component.MatchString(m.contentName()) || m.contentName() == itemJSON:
		return fmt.Errorf("item %s: file name %q is not a safe base name (letters, digits, '.', '_', '-')", m.ID, m.Filename)
	case m.Size < 0:
		return fmt.Errorf("item %s: size %d is negative", m.ID, m.Size)
	case !hex64.MatchString(m.SHA256):
		return fmt.Errorf("item %s: SHA-256 %q is not 64 lower-case hex digits", m.ID, m.SHA256)
	case !saltRE.MatchString(m.Salt):
		return fmt.Errorf("item %s: salt %q is not lower-case hex of 1 to 64 bytes", m.ID, m.Salt)
	case !digestRE.MatchString(m.Commitment):
		return fmt.Errorf("item %s: commitment %q is not sha256:<64 hex digits>", m.ID, m.Commitment)
	case m.commitment() != m.Commitment:
		return fmt.Errorf("item %s: the commitment %s does not open to SHA-256 %s with salt %s (it should be %s)", m.ID, m.Commitment, m.SHA256, m.Salt, m.commitment())
	case m.ParentID != "" && (!component.MatchString(m.ParentID) || strings.Contains(m.ParentID, ".")):
		return fmt.Errorf("item %s: parent ID %q is not a safe name", m.ID, m.ParentID)
	case m.ParentCommitment != "" && !digestRE.MatchString(m.ParentCommitment):
		return fmt.Errorf("item %s: parent commitment %q is not sha256:<64 hex digits>", m.ID, m.ParentCommitment)
	case m.ParentCommitment != "" && m.ParentID == "":
		return fmt.Errorf("item %s: a parent commitment without a parent ID", m.ID)
	}
	return nil
}

// findIngest finds the item.ingested event of m among entries (by log
// index): its "item" fact is m.ID and its "content" fact m.Commitment. If
// there is none, the error says why, for people.
func findIngest(entries map[uint64]ledger.Entry, m ItemMeta) (uint64, error) {
	idx := make([]uint64, 0, len(entries))
	for i := range entries {
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return idx[a] < idx[b] })
	var other []string
	for _, i := range idx {
		en := entries[i]
		if en.Type != ingestType || en.Facts["item"] != m.ID {
			continue
		}
		if en.Facts["content"] == m.Commitment {
			if d, ok := en.Facts["derived_from"].(string); ok && d != "" && d != m.ParentID {
				return i, fmt.Errorf("its ingest event (log entry %d) says it was derived from %q, but its metadata names parent %q", i, d, m.ParentID)
			}
			return i, nil
		}
		other = append(other, fmt.Sprintf("log entry %d commits to %v", i, en.Facts["content"]))
	}
	if len(other) > 0 {
		return 0, fmt.Errorf("its ingest event does not commit to its content %s (%s)", m.Commitment, strings.Join(other, "; "))
	}
	return 0, fmt.Errorf("no %s event for item %s is among the custody events", ingestType, m.ID)
}
