package vault

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tink-crypto/tink-go/v2/tink"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/id"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Capture is what is known of how an item was captured. It is encrypted
// with the item and destroyed with it.
type Capture struct {
	// DeviceTime is when the device says it captured the item.
	DeviceTime time.Time `json:"device_time,omitzero"`
	// Latitude and Longitude, if the device gave a place.
	Latitude  *float64 `json:"latitude,omitempty"`
	Longitude *float64 `json:"longitude,omitempty"`
	// Source is the device or channel (a camera's serial, "phone").
	Source string `json:"source,omitempty"`
	// Filename is the file's name as uploaded.
	Filename string `json:"filename,omitempty"`
}

func (c Capture) check(now time.Time) error {
	switch {
	case !c.DeviceTime.IsZero() && c.DeviceTime.After(now.Add(5*time.Minute)):
		return invalid("vault.capture_future")
	case (c.Latitude == nil) != (c.Longitude == nil):
		return invalid("vault.capture_place")
	case c.Latitude != nil && (math.IsNaN(*c.Latitude) || *c.Latitude < -90 || *c.Latitude > 90 || math.IsNaN(*c.Longitude) || *c.Longitude < -180 || *c.Longitude > 180):
		return invalid("vault.capture_place")
	case utf8.RuneCountInString(c.Source) > 200 || utf8.RuneCountInString(c.Filename) > 255:
		return invalid("vault.capture_text")
	}
	return nil
}

// NewItem describes an item being added.
type NewItem struct {
	Class string
	// MediaType is what the uploader says the file is; the vault checks
	// it against the file's first bytes.
	MediaType string
	// DeploymentID is the deployment it was captured under, if any.
	DeploymentID string
	// Submission and PIN add to an earlier submission; empty for a new
	// one (for classes that people submit).
	Submission, PIN string
	Purpose         string
	Capture         Capture
}

// Item is an item as the vault holds it. Its content is in the blob store,
// encrypted; what the item is about is in its encrypted capture metadata.
type Item struct {
	ID           string
	Class        string
	MediaType    string
	Size         int64
	SHA256       []byte // of the original bytes; nil once destroyed
	DeploymentID string
	SubmissionID string
	// ParentID and ParentCommitment name the item a segment was cut
	// from; Segment is the range ("t=00:01:00.000-00:02:00.000",
	// "pages=3-5").
	ParentID         string
	ParentCommitment string
	Segment          string
	UploadedBy       string
	UploaderRole     auth.Role
	CapturedAt       time.Time
	RetainUntil      time.Time
	// DueAt is when the sweep destroys it: RetainUntil, or later while a
	// case holds it.
	DueAt       time.Time
	CreatedAt   time.Time
	DestroyedAt *time.Time
	// Receipt is the signed deletion receipt, once destroyed.
	Receipt string
	// Commitment is the salted commitment to the content hash the log
	// holds.
	Commitment string
	// ProofMode: a ProofMode bundle was checked on import; its result is
	// sealed with the item.
	ProofMode bool
	salt      []byte
}

// Receipt of a new submission: the case number and PIN that let someone
// without an account see every access to what they submitted. The PIN is
// shown once.
type Receipt struct {
	Submission string
	PIN        string
}

// allowedMedia are the types the vault takes: recordings, pictures and
// documents, nothing that runs.
var allowedMedia = []string{"video/", "image/", "audio/", "application/pdf", "text/plain"}

// checkMedia compares the declared type with what the file's first bytes
// say. Containers the sniffer does not know (it reads them as
// application/octet-stream) pass for video and audio only.
func checkMedia(declared string, head []byte) (string, error) {
	mt, err := checkDeclared(declared)
	if err != nil {
		return "", err
	}
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(head))
	major := func(s string) string { m, _, _ := strings.Cut(s, "/"); return m }
	switch {
	case sniffed == mt, major(sniffed) == major(mt) && major(mt) != "application" && major(mt) != "text":
	case sniffed == "application/octet-stream" && (major(mt) == "video" || major(mt) == "audio"):
	default:
		return "", invalid("vault.media_mismatch", "declared", mt, "found", sniffed)
	}
	return mt, nil
}

// checkDeclared checks a declared media type against the types the vault
// takes.
func checkDeclared(declared string) (string, error) {
	mt, _, err := mime.ParseMediaType(declared)
	if err != nil {
		return "", invalid("vault.media_type", "type", declared)
	}
	for _, a := range allowedMedia {
		if strings.HasPrefix(mt, a) {
			return mt, nil
		}
	}
	return "", invalid("vault.media_type", "type", mt)
}

// Ingest adds an item: it checks the file's type against what is declared,
// hashes the original bytes and encrypts them with a new key on their way
// to the blob store, in one pass; it records the item and its ingest event
// in one transaction, so an item is visible only once it is whole. For a
// new submission it returns the case number and PIN, shown once.
func (v *Vault) Ingest(ctx context.Context, by auth.Account, n NewItem, r io.Reader) (Item, *Receipt, error) {
	return v.ingest(ctx, by, n, r, ingestExtra{})
}

// IngestUpload is Ingest for a finished resumable upload: the upload's ID
// makes it idempotent, so that completing an upload again after a crash
// returns the item it already made.
func (v *Vault) IngestUpload(ctx context.Context, by auth.Account, uploadID string, n NewItem, r io.Reader) (Item, *Receipt, error) {
	it, err := scanItem(v.db.QueryRow(ctx, "SELECT "+itemColumns+" FROM vault_items WHERE upload_id = ?", uploadID).Scan)
	if err == nil {
		return it, nil, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Item{}, nil, fmt.Errorf("vault: %w", err)
	}
	return v.ingest(ctx, by, n, r, ingestExtra{uploadID: uploadID})
}

// ingestExtra is what items made by the vault itself carry.
type ingestExtra struct {
	uploadID string
	// parent and segment, for a derived item: the segment's range is
	// known once it is cut, when its bytes are all stored.
	parent  *Item
	segment func() string
	// retainUntil overrides the class's schedule (a segment keeps its
	// parent's).
	retainUntil time.Time
	// proofmode is the result of checking a ProofMode bundle, sealed with
	// the item.
	proofmode []byte
	// inTx runs in the ingest's transaction, after the item is recorded.
	inTx func(tx *store.Tx, it Item) error
	// skipChecks: the item's bytes come from an item already checked.
	skipChecks bool
}

func (v *Vault) ingest(ctx context.Context, by auth.Account, n NewItem, r io.Reader, x ingestExtra) (Item, *Receipt, error) {
	class, err := v.classes.get(n.Class)
	if err != nil {
		return Item{}, nil, err
	}
	if !x.skipChecks && !class.canUpload(by.Role) {
		return Item{}, nil, forbidden("vault.upload_role", "class", class.Name)
	}
	if class.Refuse {
		return Item{}, nil, invalid("vault.class_refused", "class", class.Name)
	}
	now := v.now().UTC().Truncate(time.Microsecond)
	if err := n.Capture.check(now); err != nil {
		return Item{}, nil, err
	}
	if err := checkPurpose(&n.Purpose); err != nil {
		return Item{}, nil, err
	}
	captured := now
	if !n.Capture.DeviceTime.IsZero() {
		captured = n.Capture.DeviceTime.UTC().Truncate(time.Microsecond)
	}
	it := Item{ID: id.New("itm"), Class: class.Name, DeploymentID: n.DeploymentID, UploadedBy: by.ID, UploaderRole: by.Role, CapturedAt: captured, CreatedAt: now}
	days := class.Days
	if !x.skipChecks && (class.NeedsDeployment || n.DeploymentID != "") {
		if n.DeploymentID == "" {
			return Item{}, nil, invalid("vault.needs_deployment", "class", class.Name)
		}
		if v.cfg.Deployments == nil {
			return Item{}, nil, errors.New("vault: no deployments to check against")
		}
		active, ret, err := v.cfg.Deployments.DeploymentInForce(ctx, n.DeploymentID, captured)
		if err != nil {
			return Item{}, nil, err
		}
		if !active {
			return Item{}, nil, forbidden("vault.deployment_not_in_force")
		}
		if class.NeedsDeployment {
			days = ret
		}
	}
	it.RetainUntil = captured.Add(time.Duration(days) * 24 * time.Hour)
	if !x.retainUntil.IsZero() {
		it.RetainUntil = x.retainUntil
	}
	if x.parent != nil {
		it.ParentID, it.ParentCommitment = x.parent.ID, x.parent.Commitment
	}

	// The type, from the first bytes, before anything is stored.
	br := bufio.NewReaderSize(r, 512)
	head, _ := br.Peek(512)
	if len(head) == 0 {
		return Item{}, nil, invalid("vault.empty")
	}
	if it.MediaType, err = checkMedia(n.MediaType, head); err != nil {
		return Item{}, nil, err
	}

	key, err := newItemKey()
	if err != nil {
		return Item{}, nil, err
	}
	sa, err := key.streaming()
	if err != nil {
		return Item{}, nil, err
	}
	blobKey := "items/" + it.ID
	pr, pw := io.Pipe()
	hash := sha256.New()
	var size int64
	go func() {
		enc, err := sa.NewEncryptingWriter(pw, contentAD(it.ID))
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		size, err = io.Copy(io.MultiWriter(hash, enc), io.LimitReader(br, v.cfg.MaxSize+1))
		if err == nil && size > v.cfg.MaxSize {
			err = ErrTooLarge
		}
		if err == nil {
			err = enc.Close()
		}
		pw.CloseWithError(err) // nil closes cleanly
	}()
	if _, err := v.cfg.Blobs.Put(ctx, blobKey, pr); err != nil {
		pr.CloseWithError(err)
		if errors.Is(err, ErrTooLarge) {
			return Item{}, nil, i18n.NewError(ErrTooLarge, "vault.too_large", "max", humanSize(v.cfg.MaxSize))
		}
		return Item{}, nil, fmt.Errorf("vault: store item: %w", err)
	}
	// From here on, a failure must not leave the blob behind.
	fail := func(err error) (Item, *Receipt, error) {
		v.cfg.Blobs.Delete(context.WithoutCancel(ctx), blobKey)
		return Item{}, nil, err
	}
	it.Size, it.SHA256 = size, hash.Sum(nil)
	it.salt = make([]byte, 32)
	rand.Read(it.salt)
	it.Commitment = commitment(it.salt, it.SHA256)
	wrapped, err := key.wrap(v.cfg.KEK, it.ID)
	if err != nil {
		return fail(err)
	}
	meta, err := seal(sa, metadataAD(it.ID), n.Capture)
	if err != nil {
		return fail(err)
	}
	var pm []byte
	if x.proofmode != nil {
		if pm, err = seal(sa, proofmodeAD(it.ID), json.RawMessage(x.proofmode)); err != nil {
			return fail(err)
		}
	}
	if x.segment != nil {
		it.Segment = x.segment()
	}
	it.DueAt, it.ProofMode = it.RetainUntil, x.proofmode != nil
	var rcpt *Receipt
	err = v.db.Tx(ctx, func(tx *store.Tx) error {
		if submitted(by.Role) && x.parent == nil {
			sub, r, err := v.submission(ctx, tx, by, n.Submission, n.PIN)
			if err != nil {
				return err
			}
			it.SubmissionID, rcpt = sub, r
		} else if x.parent != nil {
			it.SubmissionID = x.parent.SubmissionID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO vault_items (id, class, media_type, size, sha256, salt, commitment, blob_key, wrapped_key, metadata, proofmode,
			deployment_id, submission_id, parent_id, parent_commitment, segment, upload_id, uploaded_by, uploader_role, captured_at, retain_until, due_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			it.ID, it.Class, it.MediaType, it.Size, it.SHA256, it.salt, it.Commitment, blobKey, wrapped, meta, nullableBytes(pm),
			nullable(it.DeploymentID), nullable(it.SubmissionID), nullable(it.ParentID), nullable(it.ParentCommitment), it.Segment, nullable(x.uploadID),
			by.ID, string(by.Role), store.Micros(it.CapturedAt), store.Micros(it.RetainUntil), store.Micros(it.RetainUntil), store.Micros(now)); err != nil {
			return fmt.Errorf("vault: record item: %w", err)
		}
		facts := map[string]any{"item": it.ID, "class": it.Class, "media": majorType(it.MediaType), "content": ledger.Digest(it.Commitment),
			"retain_until": it.RetainUntil, "submitted": it.SubmissionID != ""}
		if it.DeploymentID != "" {
			facts["deployment"] = it.DeploymentID
		}
		if it.ParentID != "" {
			facts["derived_from"] = it.ParentID
			facts["segment"] = it.Segment
		}
		if x.proofmode != nil {
			var pm ProofModeCheck
			json.Unmarshal(x.proofmode, &pm)
			facts["proofmode"] = map[bool]string{true: "verified", false: "failed"}[pm.OK]
		}
		if _, err := v.outbox.Record(ctx, tx, ledger.Event{Kind: evIngested, Actor: by.Actor(), Subject: "item:" + it.ID, Facts: facts,
			Private: map[string]string{"purpose": n.Purpose}}); err != nil {
			return err
		}
		if x.inTx != nil {
			return x.inTx(tx, it)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return it, rcpt, nil
}

// checkPurpose trims a stated purpose and checks its length.
func checkPurpose(p *string) error {
	*p = strings.TrimSpace(*p)
	if n := utf8.RuneCountInString(*p); n < 5 || n > 1000 {
		return invalid("vault.purpose")
	}
	return nil
}

// humanSize writes a byte count for people.
func humanSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// commitment is the salted commitment to an item's content hash that the
// log holds: anyone given the file (or its hash) and the salt can check
// it; nobody can learn the hash from it.
func commitment(salt, sum []byte) string {
	return "sha256:" + ledger.Commitment("item_content", salt, hex.EncodeToString(sum))
}

// CheckCommitment reports whether a file's SHA-256 matches an item's
// public commitment, given the item's salt.
func CheckCommitment(commit string, salt, sum []byte) bool { return commitment(salt, sum) == commit }

func majorType(mt string) string {
	m, _, _ := strings.Cut(mt, "/")
	return m
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// seal encrypts v, as JSON, with the item's own key.
func seal(sa tink.StreamingAEAD, ad []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	w, err := sa.NewEncryptingWriter(&out, ad)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// unseal decrypts what seal encrypted into v.
func unseal(sa tink.StreamingAEAD, ad, sealed []byte, v any) error {
	r, err := sa.NewDecryptingReader(bytes.NewReader(sealed), ad)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func nullableBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

const itemColumns = `id, class, media_type, size, sha256, salt, commitment, deployment_id, submission_id, parent_id, parent_commitment, segment,
	uploaded_by, uploader_role, captured_at, retain_until, due_at, created_at, destroyed_at, receipt, proofmode IS NOT NULL`

func scanItem(f func(...any) error) (Item, error) {
	var it Item
	var dep, sub, parent, parentCommit, receipt sql.NullString
	var role string
	var captured, retain, due, created int64
	var destroyed sql.NullInt64
	if err := f(&it.ID, &it.Class, &it.MediaType, &it.Size, &it.SHA256, &it.salt, &it.Commitment, &dep, &sub, &parent, &parentCommit, &it.Segment,
		&it.UploadedBy, &role, &captured, &retain, &due, &created, &destroyed, &receipt, &it.ProofMode); err != nil {
		return it, err
	}
	it.DeploymentID, it.SubmissionID, it.ParentID, it.ParentCommitment, it.Receipt = dep.String, sub.String, parent.String, parentCommit.String, receipt.String
	it.UploaderRole = auth.Role(role)
	it.CapturedAt, it.RetainUntil, it.DueAt, it.CreatedAt = store.FromMicros(captured), store.FromMicros(retain), store.FromMicros(due), store.FromMicros(created)
	if destroyed.Valid {
		t := store.FromMicros(destroyed.Int64)
		it.DestroyedAt = &t
	}
	return it, nil
}

// Get returns an item's record (not its content), or an error wrapping
// ErrNotFound.
func (v *Vault) Get(ctx context.Context, itemID string) (Item, error) {
	return v.get(ctx, v.db, itemID)
}

// lockItem reads an item in tx and, on PostgreSQL, locks its row until tx
// ends, so that a hold and the sweep cannot both go ahead on it: whichever
// comes second sees what the first did. (SQLite runs one writer at a
// time.)
func (v *Vault) lockItem(ctx context.Context, tx *store.Tx, itemID string) (Item, error) {
	q := "SELECT " + itemColumns + " FROM vault_items WHERE id = ?"
	if tx.Kind() == store.Postgres {
		q += " FOR UPDATE"
	}
	it, err := scanItem(tx.QueryRow(ctx, q, itemID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return it, fmt.Errorf("item %s: %w", itemID, ErrNotFound)
	}
	return it, err
}

func (v *Vault) get(ctx context.Context, q store.Querier, itemID string) (Item, error) {
	it, err := scanItem(q.QueryRow(ctx, "SELECT "+itemColumns+" FROM vault_items WHERE id = ?", itemID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return it, fmt.Errorf("item %s: %w", itemID, ErrNotFound)
	}
	return it, err
}
