package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
)

// maxGroup bounds how many callers share one SQLite commit.
const maxGroup = 256

// errClosed answers callers after the database is closed.
var errClosed = errors.New("store: the database is closed")

// groupCommitter runs SQLite write transactions for many callers in one
// transaction and one commit. SQLite takes one writer at a time and pays
// an fsync per commit; grouping pays it once for everyone waiting, which
// is how a busy server keeps up without giving up durability.
type groupCommitter struct {
	db       *DB
	requests chan *txRequest
	quit     chan struct{}
	done     sync.WaitGroup
	once     sync.Once
}

type txRequest struct {
	ctx    context.Context
	f      func(*Tx) error
	result chan error
}

func newGroupCommitter(db *DB) *groupCommitter {
	g := &groupCommitter{db: db, requests: make(chan *txRequest), quit: make(chan struct{})}
	g.done.Add(1)
	go g.run()
	return g
}

func (g *groupCommitter) close() {
	g.once.Do(func() { close(g.quit) })
	g.done.Wait()
}

// do queues f and waits for its outcome. Once f is queued, Tx waits for
// it whatever ctx does: returning early could tell a caller "not done"
// about work that then commits.
func (g *groupCommitter) do(ctx context.Context, f func(*Tx) error) error {
	r := &txRequest{ctx: ctx, f: f, result: make(chan error, 1)}
	select {
	case g.requests <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.quit:
		return errClosed
	}
	return <-r.result
}

func (g *groupCommitter) run() {
	defer g.done.Done()
	for {
		var first *txRequest
		select {
		case first = <-g.requests:
		case <-g.quit:
			return
		}
		group := []*txRequest{first}
	gather:
		for len(group) < maxGroup {
			select {
			case r := <-g.requests:
				group = append(group, r)
			default:
				break gather
			}
		}
		g.commit(group)
	}
}

// commit runs a group in one transaction. Each caller learns its own
// outcome: its own error if its function failed (its savepoint rolled
// back, the others untouched), the commit's error if the commit failed,
// nil once the commit is durable.
func (g *groupCommitter) commit(group []*txRequest) {
	ctx := context.Background()
	stx, err := g.db.w.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range group {
			r.result <- fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	type member struct {
		r  *txRequest
		tx *Tx
	}
	var ok []member
	// abort rolls everything back: the members so far and the requests
	// from index from on all learn err.
	abort := func(err error, from int) {
		_ = stx.Rollback()
		for _, m := range ok {
			m.r.result <- err
		}
		for _, r := range group[from:] {
			r.result <- err
		}
	}
	for i, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.result <- err
			continue
		}
		sp := "g" + strconv.Itoa(i)
		if _, err := stx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
			abort(fmt.Errorf("store: savepoint: %w", err), i)
			return
		}
		tx := &Tx{db: g.db, tx: stx, grouped: true}
		if ferr := protect(r.f, tx); ferr != nil {
			_, err := stx.ExecContext(ctx, "ROLLBACK TO "+sp)
			if err == nil {
				_, err = stx.ExecContext(ctx, "RELEASE "+sp)
			}
			r.result <- ferr
			if err != nil {
				// The transaction is broken: nobody's work can commit.
				abort(fmt.Errorf("store: roll back a failed write: %w", err), i+1)
				return
			}
			continue
		}
		if _, err := stx.ExecContext(ctx, "RELEASE "+sp); err != nil {
			abort(fmt.Errorf("store: release: %w", classify(err)), i)
			return
		}
		ok = append(ok, member{r, tx})
	}
	if err := stx.Commit(); err != nil {
		err = fmt.Errorf("store: commit: %w", classify(err))
		for _, m := range ok {
			m.r.result <- err
		}
		return
	}
	for _, m := range ok {
		for _, h := range m.tx.afterCommit {
			h()
		}
		m.r.result <- nil
	}
}

// protect runs f, turning a panic into an error, so that one caller's bug
// cannot stop every writer.
func protect(f func(*Tx) error, tx *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store: panic in a transaction: %v", p)
		}
	}()
	return f(tx)
}
