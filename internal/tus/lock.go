package tus

import (
	"context"
	"sync"
	"time"
)

// locks serialises the requests of this process on each upload. A request
// that must wait may ask the holder to stop reading its PATCH body soon: a
// client that lost its connection comes back while the server still waits
// for the rest of the old body, and should not have to wait for the idle
// timeout to learn how much arrived.
type locks struct {
	mu sync.Mutex
	m  map[string]*lockEntry
}

type lockEntry struct {
	sem       chan struct{} // holds one token while the upload is locked
	refs      int           // holders and waiters; the entry goes at zero
	interrupt func()        // set by a holder that reads a PATCH body
}

// held is a lock taken on one upload.
type held struct {
	l  *locks
	id string
	e  *lockEntry
}

func (l *locks) entry(id string) *lockEntry {
	if l.m == nil {
		l.m = map[string]*lockEntry{}
	}
	e := l.m[id]
	if e == nil {
		e = &lockEntry{sem: make(chan struct{}, 1)}
		l.m[id] = e
	}
	e.refs++
	return e
}

func (l *locks) drop(id string, e *lockEntry) {
	e.refs--
	if e.refs == 0 {
		delete(l.m, id)
	}
}

// lock takes the upload's lock, waiting at most wait. With interrupt, it
// first asks a holder reading a PATCH body to stop. It reports false when
// the wait ran out or ctx ended.
func (l *locks) lock(ctx context.Context, id string, interrupt bool, wait time.Duration) (*held, bool) {
	l.mu.Lock()
	e := l.entry(id)
	select {
	case e.sem <- struct{}{}:
		l.mu.Unlock()
		return &held{l: l, id: id, e: e}, true
	default:
	}
	stop := e.interrupt
	l.mu.Unlock()
	if interrupt && stop != nil {
		stop()
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case e.sem <- struct{}{}:
		return &held{l: l, id: id, e: e}, true
	case <-t.C:
	case <-ctx.Done():
	}
	l.mu.Lock()
	l.drop(id, e)
	l.mu.Unlock()
	return nil, false
}

// tryLock takes the upload's lock only if it is free.
func (l *locks) tryLock(id string) (*held, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entry(id)
	select {
	case e.sem <- struct{}{}:
		return &held{l: l, id: id, e: e}, true
	default:
		l.drop(id, e)
		return nil, false
	}
}

// onInterrupt sets what a waiting request calls to make this holder stop
// reading; nil clears it.
func (h *held) onInterrupt(f func()) {
	h.l.mu.Lock()
	h.e.interrupt = f
	h.l.mu.Unlock()
}

func (h *held) release() {
	h.l.mu.Lock()
	h.e.interrupt = nil
	<-h.e.sem
	h.l.drop(h.id, h.e)
	h.l.mu.Unlock()
}
