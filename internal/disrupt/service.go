package disrupt

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-project/vigil/internal/auth"
	"github.com/vigil-project/vigil/internal/i18n"
	"github.com/vigil-project/vigil/internal/ledger"
	"github.com/vigil-project/vigil/internal/store"
)

// CanRecord is who may record disruption orders, their status changes and
// STOP imports.
//
// The orders are received by network and service operators, and it is
// their staff who know what was ordered and what they did with it. Vigil
// has no "operator" role: the moderator role is the platform or service
// operator's staff (DESIGN.md: "platform or support service"), which is
// the closest fit, so moderators record orders; admins may too, for the
// Vigil that an operator runs for itself. Officers, commanders and
// authorizers may not: they are the State side that issues such orders,
// and the register is the operator's account of them, not theirs.
var CanRecord = []auth.Role{auth.Moderator, auth.Admin}

// CanSeePrivate is who, besides the public, sees what is not published
// about an order: the notes written on status changes. The staff who
// record, and oversight, which reads everything.
var CanSeePrivate = []auth.Role{auth.Moderator, auth.Admin, auth.Oversight}

// Errors the service returns; check them with errors.Is.
var (
	// ErrForbidden means the account's role may not record disruption
	// orders (see CanRecord).
	ErrForbidden = errors.New("your role may not record disruption orders")
	// ErrNotFound means there is no such order.
	ErrNotFound = store.ErrNotFound
	// ErrDuplicate means the order is already recorded; the error is a
	// *DuplicateError naming it.
	ErrDuplicate = errors.New("this disruption order is already recorded")
	// ErrRejected means an import was refused because rows of the file
	// are bad; the error is an *ImportError listing every problem.
	ErrRejected = errors.New("the STOP file has bad rows; nothing was imported")
)

// DuplicateError names the order that a new one repeats (see Order.Key).
type DuplicateError struct {
	// Existing is the ID of the order already recorded; empty in the rare
	// case that it was recorded at the same moment and is not known.
	Existing string
}

func (e *DuplicateError) Error() string {
	if e.Existing == "" {
		return ErrDuplicate.Error()
	}
	return fmt.Sprintf("this disruption order is already recorded as %s", e.Existing)
}

// Unwrap returns ErrDuplicate.
func (e *DuplicateError) Unwrap() error { return ErrDuplicate }

// Source says how an order came into the register.
type Source string

// Sources.
const (
	// Entered: typed in by staff, on a page or through the API.
	Entered Source = "entered"
	// Imported: read from a STOP file.
	Imported Source = "imported"
)

// Recorded is an order as the register holds it.
type Recorded struct {
	ID string
	// Order is the order as it stands: as first recorded, with every
	// change of its History applied in turn.
	Order Order
	// AsRecorded is the order as it was first recorded; it never changes.
	AsRecorded Order
	// History is every status change recorded since, oldest first.
	History []Update
	// Lifted is the day the order was lifted; zero if it was not.
	Lifted time.Time
	// Source says how it came in; ImportID and ImportLine, for an
	// imported order, which import and which line of the file.
	Source     Source
	ImportID   string
	ImportLine int
	// Key is its duplicate key (see Order.Key).
	Key string
	// RecordedBy is the account that recorded it; private.
	RecordedBy string
	RecordedAt time.Time
}

// Flags returns the passages of the standards the order is contrary to;
// the same for every order (see Order.Flags).
func (r *Recorded) Flags() []Citation { return r.Order.Flags() }

// Service keeps the register of disruption orders.
type Service struct {
	db     *store.DB
	outbox *ledger.Outbox
	now    func() time.Time
}

// NewService returns the register over db, recording events in outbox.
func NewService(db *store.DB, outbox *ledger.Outbox) *Service {
	return &Service{db: db, outbox: outbox, now: time.Now}
}

// invalid returns an ErrInvalid whose message is the catalog's text for key.
func invalid(key string, args ...any) error { return i18n.NewError(ErrInvalid, key, args...) }

// Subject is what an order's events are about, for ledger.Query.
func Subject(orderID string) string { return "disruption:" + orderID }

const orderColumns = "id, dedup_key, record, source, import_id, import_line, recorded_by, recorded_at"

func scanOrder(scan func(...any) error) (Recorded, error) {
	var r Recorded
	var record, source string
	var importID sql.NullString
	var at int64
	if err := scan(&r.ID, &r.Key, &record, &source, &importID, &r.ImportLine, &r.RecordedBy, &at); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(record), &r.AsRecorded); err != nil {
		return r, fmt.Errorf("disrupt: order %s: stored record: %w", r.ID, err)
	}
	r.Source, r.ImportID, r.RecordedAt = Source(source), importID.String, store.FromMicros(at)
	return r, nil
}

// Get returns one order with its history, or an error wrapping
// ErrNotFound.
func (s *Service) Get(ctx context.Context, orderID string) (Recorded, error) {
	return get(ctx, s.db, orderID)
}

func get(ctx context.Context, q store.Querier, orderID string) (Recorded, error) {
	r, err := scanOrder(q.QueryRow(ctx, "SELECT "+orderColumns+" FROM disrupt_orders WHERE id = ?", orderID).Scan)
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("disruption order %.40q: %w", orderID, ErrNotFound)
	}
	if err != nil {
		return r, err
	}
	list := []Recorded{r}
	if err := withHistory(ctx, q, list, true); err != nil {
		return r, err
	}
	return list[0], nil
}

// Count returns how many orders the register holds.
func (s *Service) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM disrupt_orders").Scan(&n); err != nil {
		return 0, fmt.Errorf("disrupt: count: %w", err)
	}
	return n, nil
}

// MaxPage is the most orders List returns at once.
const MaxPage = 500

// List returns orders with their histories, latest start first, skipping
// offset of them and returning at most limit (at most MaxPage; 50 if not
// positive).
func (s *Service) List(ctx context.Context, offset, limit int) ([]Recorded, error) {
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, MaxPage)
	offset = max(offset, 0)
	return listOrders(ctx, s.db, "ORDER BY starts_on DESC, id LIMIT ? OFFSET ?", limit, offset)
}

// All returns every order with its history, earliest start first, as an
// export lists them.
func (s *Service) All(ctx context.Context) ([]Recorded, error) {
	return listOrders(ctx, s.db, "ORDER BY starts_on, id")
}

func listOrders(ctx context.Context, q store.Querier, tail string, args ...any) ([]Recorded, error) {
	rows, err := q.Query(ctx, "SELECT "+orderColumns+" FROM disrupt_orders "+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("disrupt: list: %w", err)
	}
	var out []Recorded
	for rows.Next() {
		r, err := scanOrder(rows.Scan)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("disrupt: list: %w", err)
	}
	// A page asks for its orders' histories; an export for all of them.
	if err := withHistory(ctx, q, out, len(args) > 0); err != nil {
		return nil, err
	}
	return out, nil
}

// withHistory loads the histories of orders, by their IDs if byID (in
// chunks, to keep each query's parameters few) or else all at once, and
// sets each order's current state.
func withHistory(ctx context.Context, q store.Querier, orders []Recorded, byID bool) error {
	if len(orders) == 0 {
		return nil
	}
	at := make(map[string]*Recorded, len(orders))
	for i := range orders {
		at[orders[i].ID] = &orders[i]
	}
	add := func(where string, args ...any) error {
		rows, err := q.Query(ctx, "SELECT "+updateColumns+" FROM disrupt_updates "+where+" ORDER BY id", args...)
		if err != nil {
			return fmt.Errorf("disrupt: history: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUpdate(rows.Scan)
			if err != nil {
				return fmt.Errorf("disrupt: history: %w", err)
			}
			if r := at[u.OrderID]; r != nil {
				r.History = append(r.History, u)
			}
		}
		return rows.Err()
	}
	if byID {
		for chunk := range slices.Chunk(orders, 200) {
			ids := make([]any, len(chunk))
			for i, r := range chunk {
				ids[i] = r.ID
			}
			if err := add("WHERE order_id IN ("+placeholders(len(ids))+")", ids...); err != nil {
				return err
			}
		}
	} else if err := add(""); err != nil {
		return err
	}
	for i := range orders {
		orders[i].Order, orders[i].Lifted = fold(orders[i].AsRecorded, orders[i].History)
	}
	return nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// utcDay is t's date in UTC, at midnight.
func utcDay(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
