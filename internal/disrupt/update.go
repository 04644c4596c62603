package disrupt

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// Change is what a status change reports about an order.
type Change string

// Changes. Challenged, implemented and customers told carry a yes or no
// (an operator may first refuse and later comply, or the reverse; each is
// a new entry). Ended and lifted carry only their day.
const (
	// ChangeChallenged: the operator challenged the order, in court or
	// by another legal procedure (A/HRC/44/24 para. 54(d)), or decided
	// not to.
	ChangeChallenged Change = "challenged"
	// ChangeImplemented: the operator carried the order out, or not.
	ChangeImplemented Change = "implemented"
	// ChangeCustomersTold: the operator told its customers of the order,
	// or not (para. 54(d)).
	ChangeCustomersTold Change = "customers_told"
	// ChangeEnded: the disruption ended; service is back.
	ChangeEnded Change = "ended"
	// ChangeLifted: the authority lifted, revoked or withdrew the order.
	// A disruption not yet recorded as ended ends that day.
	ChangeLifted Change = "lifted"
)

// Changes lists every Change, in the order forms offer them.
var Changes = []Change{ChangeChallenged, ChangeImplemented, ChangeCustomersTold, ChangeEnded, ChangeLifted}

// TakesAnswer reports whether the change carries a yes or no.
func (c Change) TakesAnswer() bool {
	return c == ChangeChallenged || c == ChangeImplemented || c == ChangeCustomersTold
}

// MaxNote is the most characters a note on a status change may have.
const MaxNote = 2000

// StatusChange is what staff report about an order.
type StatusChange struct {
	Change Change
	// Answer is Yes or No for a change that TakesAnswer, and Unknown for
	// the others.
	Answer Answer
	// On is the day it happened, in UTC.
	On time.Time
	// Note says more, for instance which court and what case; private:
	// shown to CanSeePrivate, committed to on the log, never published.
	Note string
}

// Update is a status change as an order's history holds it. Updates are
// never changed or removed; a later one supersedes an earlier one.
type Update struct {
	ID      int64
	OrderID string
	StatusChange
	// RecordedBy is the account that recorded it; private.
	RecordedBy string
	RecordedAt time.Time
}

const updateColumns = "id, order_id, kind, answer, effective_on, note, recorded_by, recorded_at"

func scanUpdate(scan func(...any) error) (Update, error) {
	var u Update
	var kind, answer string
	var on, at int64
	if err := scan(&u.ID, &u.OrderID, &kind, &answer, &on, &u.Note, &u.RecordedBy, &at); err != nil {
		return u, err
	}
	u.Change = Change(kind)
	u.Answer, _ = ParseAnswer(answer)
	u.On, u.RecordedAt = store.FromMicros(on), store.FromMicros(at)
	return u, nil
}

// fold applies a history to an order as first recorded, returning the
// order as it stands and the day it was lifted (zero if it was not).
func fold(o Order, history []Update) (Order, time.Time) {
	var lifted time.Time
	for _, u := range history {
		switch u.Change {
		case ChangeChallenged:
			o.Challenged = u.Answer
		case ChangeImplemented:
			o.Implemented = u.Answer
		case ChangeCustomersTold:
			o.CustomersTold = u.Answer
		case ChangeEnded:
			o.End, o.Status = u.On, StatusEnded
		case ChangeLifted:
			lifted = u.On
			if o.End.IsZero() {
				o.End, o.Status = u.On, StatusEnded
			}
		}
	}
	return o, lifted
}

// Update records a status change of an order, as account by, and returns
// it with the ID of the event that recorded it. The order's history grows
// by one entry; nothing recorded before changes.
//
// It returns ErrForbidden if by's role is not in CanRecord; an error
// wrapping ErrNotFound if there is no such order; an error wrapping
// ErrInvalid, with a message for people, if the change is not one of
// Changes, lacks a yes or no it needs (or has one it must not), has no day
// or a day in the future or before 1980, puts the end before the order's
// start, ends an order already ended or lifts one already lifted, or has
// a note over MaxNote characters or with control characters.
func (s *Service) Update(ctx context.Context, by auth.Account, orderID string, c StatusChange) (Update, int64, error) {
	if !by.Role.Is(CanRecord...) {
		return Update{}, 0, ErrForbidden
	}
	c.On = utcDay(c.On)
	c.Note = strings.TrimSpace(c.Note)
	now := s.now().UTC()
	if err := c.check(now); err != nil {
		return Update{}, 0, err
	}
	u := Update{OrderID: orderID, StatusChange: c, RecordedBy: by.ID, RecordedAt: now.Truncate(time.Microsecond)}
	var event int64
	err := s.db.Tx(ctx, func(tx *store.Tx) error {
		if tx.Kind() == store.Postgres {
			// Two changes to one order at once are checked one after the
			// other (SQLite has one writer anyway).
			if _, err := tx.Exec(ctx, "SELECT id FROM disrupt_orders WHERE id = ? FOR UPDATE", orderID); err != nil {
				return fmt.Errorf("disrupt: update: %w", err)
			}
		}
		r, err := get(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if err := c.fits(&r); err != nil {
			return err
		}
		answer := ""
		if c.Change.TakesAnswer() {
			answer = c.Answer.Token()
		}
		err = tx.QueryRow(ctx, `INSERT INTO disrupt_updates (order_id, kind, answer, effective_on, note, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			orderID, string(c.Change), answer, store.Micros(c.On), c.Note, by.ID, store.Micros(u.RecordedAt)).Scan(&u.ID)
		if err != nil {
			return fmt.Errorf("disrupt: update: %w", err)
		}
		facts := map[string]any{"order": orderID, "update": u.ID, "change": string(c.Change), "on": c.On.Format(DateLayout)}
		if answer != "" {
			facts["answer"] = answer
		}
		event, err = s.outbox.Record(ctx, tx, ledger.Event{
			Kind: evOrderUpdated, Actor: by.Actor(), Subject: Subject(orderID),
			Facts: facts, Private: map[string]string{"note": c.Note},
		})
		return err
	})
	if err != nil {
		return Update{}, 0, err
	}
	return u, event, nil
}

// check applies the rules that need no order.
func (c *StatusChange) check(now time.Time) error {
	known := false
	for _, k := range Changes {
		known = known || c.Change == k
	}
	switch {
	case !known:
		names := make([]string, len(Changes))
		for i, k := range Changes {
			names[i] = string(k)
		}
		return invalid("disrupt.update.change", "changes", strings.Join(names, ", "))
	case c.Change.TakesAnswer() && c.Answer != Yes && c.Answer != No:
		return invalid("disrupt.update.answer")
	case !c.Change.TakesAnswer() && c.Answer != Unknown:
		return invalid("disrupt.update.no_answer")
	case c.On.IsZero():
		return invalid("disrupt.update.day_missing")
	case c.On.Year() < minYear || c.On.After(now.Add(24*time.Hour)):
		return invalid("disrupt.update.day_range", "year", minYear)
	}
	var v validator
	v.text("Note", c.Note, MaxNote, true)
	if len(v.errs) > 0 {
		return invalid("disrupt.update.note", "max", MaxNote)
	}
	return nil
}

// fits applies the rules that depend on the order as it stands.
func (c *StatusChange) fits(r *Recorded) error {
	start := r.Order.Start
	switch c.Change {
	case ChangeEnded, ChangeLifted:
		if c.On.Before(start) {
			return invalid("disrupt.update.before_start", "start", start.Format(DateLayout))
		}
	}
	switch {
	case c.Change == ChangeEnded && !r.Order.End.IsZero():
		return invalid("disrupt.update.already_ended", "day", r.Order.End.Format(DateLayout))
	case c.Change == ChangeLifted && !r.Lifted.IsZero():
		return invalid("disrupt.update.already_lifted", "day", r.Lifted.Format(DateLayout))
	}
	return nil
}
