package vault

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/cut"
	"github.com/vigil-project/vigil/internal/store"
)

// A segment is A/HRC/44/24 para. 36 made concrete: "the immediate
// deletion of all data, except for the specific segments that may be
// necessary for the conduct of criminal investigations". Someone working
// on a case that holds a recording cuts the minutes the case needs into a
// new item; the case holds the segment, and the rest of the recording is
// destroyed on its schedule once the case lets it go.

// Segment asks for a segment of an item.
type Segment struct {
	// CaseID is the case that holds the item and will hold the segment.
	CaseID string
	// Range is a time range for a recording ("00:01:30-00:02:00") or a
	// page list for a PDF ("3-5,8").
	Range   string
	Purpose string
	// HoldUntil is how long the case holds the segment; zero means as long
	// as it holds the item.
	HoldUntil time.Time
}

// Derive cuts a segment of an item into a new item that records its
// parent's commitment and the range, and holds it for the case. The
// parent's own hold is not touched: release it to let the rest go.
func (v *Vault) Derive(ctx context.Context, by auth.Account, parentID string, s Segment) (Item, error) {
	if err := checkPurpose(&s.Purpose); err != nil {
		return Item{}, err
	}
	parent, err := v.ItemFor(ctx, by, parentID)
	if err != nil {
		return Item{}, err
	}
	if parent.DestroyedAt != nil {
		return Item{}, ErrShredded
	}
	// Check the range before anything is recorded.
	var cutter func(context.Context, io.Reader, io.Writer) (cut.Result, error)
	switch major := majorType(parent.MediaType); {
	case major == "video" || major == "audio":
		from, to, err := cut.ParseTimeRange(s.Range)
		if err != nil {
			return Item{}, invalid("vault.segment_range", "detail", cutMessage(err))
		}
		cutter = func(ctx context.Context, r io.Reader, w io.Writer) (cut.Result, error) {
			return cut.Video(ctx, r, parent.MediaType, from, to, w)
		}
	case parent.MediaType == "application/pdf":
		pages, err := cut.ParsePages(s.Range)
		if err != nil {
			return Item{}, invalid("vault.segment_range", "detail", cutMessage(err))
		}
		cutter = func(ctx context.Context, r io.Reader, w io.Writer) (cut.Result, error) {
			return cut.PDF(ctx, r, pages, w)
		}
	default:
		return Item{}, invalid("vault.segment_type", "type", parent.MediaType)
	}

	// The read of the parent is an access like any other, on the case.
	var holdUntil time.Time
	err = v.db.Tx(ctx, func(tx *store.Tx) error {
		a := Access{Action: ActionDerive, Purpose: s.Purpose, Basis: Basis{Kind: BasisCase, Ref: s.CaseID}}
		if err := v.authorize(ctx, tx, by, parent, a); err != nil {
			return err
		}
		hs, err := v.holds(ctx, tx, "case_id = ? AND item_id = ? AND released_at IS NULL", s.CaseID, parent.ID)
		if err != nil {
			return err
		}
		for _, h := range hs {
			holdUntil = h.Until
		}
		_, err = v.recordAccess(ctx, tx, by.Actor(), parent.ID, a)
		return err
	})
	if err != nil {
		return Item{}, err
	}
	if !s.HoldUntil.IsZero() {
		holdUntil = s.HoldUntil.UTC().Truncate(time.Microsecond)
	}

	src, err := v.openContent(ctx, parent.ID)
	if err != nil {
		return Item{}, err
	}
	defer src.Close()
	pr, pw := io.Pipe()
	var res cut.Result
	go func() {
		var err error
		res, err = cutter(ctx, src, pw)
		pw.CloseWithError(err)
	}()
	n := NewItem{Class: parent.Class, MediaType: parent.MediaType, DeploymentID: parent.DeploymentID, Purpose: s.Purpose,
		Capture: src.Capture}
	n.Capture.DeviceTime = parent.CapturedAt
	it, _, err := v.ingest(ctx, by, n, pr, ingestExtra{parent: &parent, skipChecks: true, retainUntil: parent.RetainUntil,
		segment: func() string { return res.Range },
		inTx: func(tx *store.Tx, it Item) error {
			_, err := v.placeHold(ctx, tx, by, s.CaseID, it.ID, holdUntil, s.Purpose, v.now().UTC().Truncate(time.Microsecond))
			return err
		}})
	pr.CloseWithError(errors.New("vault: segment abandoned"))
	if err != nil {
		var te *cut.ToolError
		switch {
		case errors.As(err, &te):
			return Item{}, fmt.Errorf("%w", invalid("vault.segment_failed", "detail", cutMessage(err)))
		case errors.Is(err, cut.ErrInvalidRange), errors.Is(err, cut.ErrUnsupported), errors.Is(err, cut.ErrMalformed), errors.Is(err, cut.ErrTooLarge):
			return Item{}, invalid("vault.segment_range", "detail", cutMessage(err))
		}
		return Item{}, err
	}
	return it, nil
}

// cutMessage is a cut error's message for people, without the package
// prefix.
func cutMessage(err error) string {
	var te *cut.ToolError
	if errors.As(err, &te) {
		return te.Msg
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, "cut: "); i >= 0 {
		msg = msg[i+len("cut: "):]
	}
	return msg
}
