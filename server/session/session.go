// Package session holds the session table: ids, passwords, negotiated
// timeouts and tick-bucketed expiry.
//
// A Table is safe for concurrent use: event loops touch sessions while the
// expiry goroutine collects expired ones. Its one mutex guards plain maps and
// is never held across I/O. Time enters as milliseconds passed in by the
// caller; the table never reads the clock.
//
// Counterpart: SessionTrackerImpl and ExpiryQueue.
package session

import (
	"sync"
)

// superSecret is the constant ZooKeeper mixes into the password seed
// (ZooKeeperServer.superSecret), so that every server of an ensemble derives
// the same password for a session id.
const superSecret int64 = 0xB3415C00

// PasswordLen is the length of a session password.
const PasswordLen = 16

// Password derives the password of session id as ZooKeeper does: 16 bytes
// from java.util.Random seeded with id ^ superSecret. Being a pure function of
// the id, it needs no storage and survives restarts and server moves.
func Password(id int64) []byte {
	const mult, add, mask = 0x5DEECE66D, 0xB, (1 << 48) - 1
	seed := (id ^ superSecret ^ mult) & mask
	out := make([]byte, PasswordLen)
	for i := 0; i < PasswordLen; {
		seed = (seed*mult + add) & mask
		rnd := int32(seed >> 16)
		for n := min(PasswordLen-i, 4); n > 0; n-- {
			out[i] = byte(rnd)
			rnd >>= 8
			i++
		}
	}
	return out
}

// InitialID returns the first session id of a server, as
// SessionTrackerImpl.initializeNextSessionId builds it: the server id in the
// top byte and the start time (ms) in the middle bytes.
func InitialID(serverID int64, nowMs int64) int64 {
	next := int64(uint64(nowMs<<24) >> 8)
	next |= serverID << 56
	if next == -1<<63 { // EphemeralType.CONTAINER_EPHEMERAL_OWNER
		next++
	}
	return next
}

// Session is one client session.
type Session struct {
	ID      int64
	Timeout int32 // negotiated, ms
	expiry  int64 // bucket time, ms
	Closing bool  // a closeSession is under way
	// Owner is the server the client is connected through, as the leader
	// sees it (SessionImpl.owner); NoOwner until a request or a
	// revalidation names one.
	Owner int64
}

// NoOwner is the owner of a session no request has claimed yet.
const NoOwner int64 = 0

// Check is the result of CheckOwner.
type Check int

// Results of CheckOwner.
const (
	CheckOK      Check = iota
	CheckExpired       // unknown or closing: SessionExpired
	CheckMoved         // owned by another server: SessionMoved
)

// Table is the set of live sessions with their expiry buckets.
type Table struct {
	mu       sync.Mutex
	sessions map[int64]*Session
	buckets  map[int64]map[int64]struct{}
	interval int64 // ms, the tickTime
	nextID   int64
}

// NewTable returns an empty table whose buckets are interval ms wide and whose
// ids start at firstID.
func NewTable(interval int64, firstID int64) *Table {
	return &Table{
		sessions: make(map[int64]*Session),
		buckets:  make(map[int64]map[int64]struct{}),
		interval: interval,
		nextID:   firstID,
	}
}

// NextID allocates a new session id.
func (t *Table) NextID() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := t.nextID
	t.nextID++
	return id
}

// roundUp returns the bucket a deadline falls in (ExpiryQueue.roundToNextInterval).
func (t *Table) roundUp(ms int64) int64 { return (ms/t.interval + 1) * t.interval }

// Add registers (or re-registers) a session with its timeout and touches it.
func (t *Table) Add(id int64, timeout int32, nowMs int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sessions[id]
	if s == nil {
		s = &Session{ID: id}
		t.sessions[id] = s
	}
	s.Timeout = timeout
	t.touchLocked(s, nowMs)
}

// Get returns a copy of the session and whether it is live.
func (t *Table) Get(id int64) (Session, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sessions[id]
	if s == nil {
		return Session{}, false
	}
	return *s, true
}

// Touch pushes the session's expiry to now + timeout. It reports false when
// the session is unknown or closing.
func (t *Table) Touch(id int64, nowMs int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sessions[id]
	if s == nil || s.Closing {
		return false
	}
	t.touchLocked(s, nowMs)
	return true
}

// TouchOwner is Touch with the owner check of CheckOwner when owner is not
// NoOwner: a leader's own client reads and pings go through both
// (PrepRequestProcessor checks every request on a leader). A moved
// session is not touched.
func (t *Table) TouchOwner(id, owner, nowMs int64) Check {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, c := t.ownedLocked(id, owner)
	if s != nil {
		t.touchLocked(s, nowMs)
	}
	return c
}

func (t *Table) touchLocked(s *Session, nowMs int64) {
	exp := t.roundUp(nowMs + int64(s.Timeout))
	if exp == s.expiry {
		return
	}
	if b := t.buckets[s.expiry]; b != nil {
		delete(b, s.ID)
		if len(b) == 0 {
			delete(t.buckets, s.expiry)
		}
	}
	s.expiry = exp
	b := t.buckets[exp]
	if b == nil {
		b = make(map[int64]struct{})
		t.buckets[exp] = b
	}
	b[s.ID] = struct{}{}
}

// CheckOwner is SessionTrackerImpl.checkSession: a session that is unknown
// or closing has expired; one without an owner now belongs to owner; one
// owned by another server has moved.
func (t *Table) CheckOwner(id, owner int64) Check {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, c := t.ownedLocked(id, owner)
	return c
}

// ownedLocked looks id up and checks (and claims) its owner; owner NoOwner
// skips the owner check.
func (t *Table) ownedLocked(id, owner int64) (*Session, Check) {
	s := t.sessions[id]
	switch {
	case s == nil || s.Closing:
		return nil, CheckExpired
	case owner == NoOwner:
	case s.Owner == NoOwner:
		s.Owner = owner
	case s.Owner != owner:
		return nil, CheckMoved
	}
	return s, CheckOK
}

// SetOwner records the server a live session is connected through
// (SessionTrackerImpl.setOwner); it reports false when the session is
// unknown or closing.
func (t *Table) SetOwner(id, owner int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sessions[id]
	if s == nil || s.Closing {
		return false
	}
	s.Owner = owner
	return true
}

// ClearOwners forgets every owner, as a new leader's session tracker starts
// without them.
func (t *Table) ClearOwners() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.sessions {
		s.Owner = NoOwner
	}
}

// SetClosing marks a session as closing; it reports false when it is
// unknown or already closing.
func (t *Table) SetClosing(id int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sessions[id]
	if s == nil || s.Closing {
		return false
	}
	s.Closing = true
	return true
}

// Remove forgets a session.
func (t *Table) Remove(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.sessions[id]
	if s == nil {
		return
	}
	if b := t.buckets[s.expiry]; b != nil {
		delete(b, id)
		if len(b) == 0 {
			delete(t.buckets, s.expiry)
		}
	}
	delete(t.sessions, id)
}

// Expired marks as closing and returns the sessions whose bucket is at or
// before nowMs.
func (t *Table) Expired(nowMs int64) []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int64
	for exp, b := range t.buckets {
		if exp > nowMs {
			continue
		}
		for id := range b {
			if s := t.sessions[id]; s != nil && !s.Closing {
				s.Closing = true
				out = append(out, id)
			}
		}
		delete(t.buckets, exp)
	}
	return out
}

// Len returns the number of live sessions.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sessions)
}

// Snapshot returns every session with its timeout.
func (t *Table) Snapshot() map[int64]int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[int64]int32, len(t.sessions))
	for id, s := range t.sessions {
		out[id] = s.Timeout
	}
	return out
}

// Buckets returns the expiry times (ms) with the ids of the sessions that
// expire then, for the dump command (ExpiryQueue.getExpiryMap).
func (t *Table) Buckets() map[int64][]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[int64][]int64, len(t.buckets))
	for exp, b := range t.buckets {
		ids := make([]int64, 0, len(b))
		for id := range b {
			ids = append(ids, id)
		}
		out[exp] = ids
	}
	return out
}
