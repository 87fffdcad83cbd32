// Package watch registers watches and decides who is notified of a change:
// one-shot data and child watches, and persistent and persistent-recursive
// watches (3.6+).
//
// A Manager is safe for concurrent use; its mutex guards only its maps and is
// never held across I/O. To keep registration atomic with the read that asks
// for it, callers register while holding the data tree's read lock, and the
// final stage triggers while holding its write lock.
//
// Counterpart: WatchManager and WatchManagerOptimized, DataTree's use of them.
package watch

import (
	"sort"
	"strings"
	"sync"

	"github.com/zabd/zabd/jute/zkproto"
)

// Watcher receives events. Implementations must not block or call back
// into the Manager.
type Watcher interface {
	Notify(typ zkproto.EventType, path string)
	// CanRead reports whether the watcher's session has READ under acl; an
	// event is delivered only then. It must not block or take locks that
	// the tree's writer might hold.
	CanRead(acl []zkproto.ACL) bool
}

// Kind is a set of watch kinds held by one watcher on one path.
type Kind uint8

// Watch kinds.
const (
	Data       Kind = 1 << iota // getData and exists
	Child                       // getChildren
	Persistent                  // addWatch PERSISTENT
	Recursive                   // addWatch PERSISTENT_RECURSIVE
)

// Manager holds every registered watch.
type Manager struct {
	mu        sync.Mutex
	byPath    map[string]map[Watcher]Kind
	byWatcher map[Watcher]map[string]Kind
	recursive int // number of recursive registrations
}

// New returns an empty Manager.
func New() *Manager {
	return &Manager{
		byPath:    make(map[string]map[Watcher]Kind),
		byWatcher: make(map[Watcher]map[string]Kind),
	}
}

// Add registers kind for w on path.
func (m *Manager) Add(w Watcher, path string, kind Kind) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ws := m.byPath[path]
	if ws == nil {
		ws = make(map[Watcher]Kind, 1)
		m.byPath[path] = ws
	}
	if kind&Recursive != 0 && ws[w]&Recursive == 0 {
		m.recursive++
	}
	ws[w] |= kind
	ps := m.byWatcher[w]
	if ps == nil {
		ps = make(map[string]Kind, 1)
		m.byWatcher[w] = ps
	}
	ps[path] |= kind
}

// Has reports whether w holds any of kinds on path.
func (m *Manager) Has(w Watcher, path string, kinds Kind) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.byPath[path][w]&kinds != 0
}

// Remove drops kinds of w on path and returns the kinds that were present.
func (m *Manager) Remove(w Watcher, path string, kinds Kind) Kind {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.removeLocked(w, path, kinds)
}

func (m *Manager) removeLocked(w Watcher, path string, kinds Kind) Kind {
	ws := m.byPath[path]
	had := ws[w] & kinds
	if had == 0 {
		return 0
	}
	if had&Recursive != 0 {
		m.recursive--
	}
	if left := ws[w] &^ kinds; left != 0 {
		ws[w] = left
		m.byWatcher[w][path] = left
	} else {
		delete(ws, w)
		if len(ws) == 0 {
			delete(m.byPath, path)
		}
		delete(m.byWatcher[w], path)
		if len(m.byWatcher[w]) == 0 {
			delete(m.byWatcher, w)
		}
	}
	return had
}

// RemoveWatcher drops every watch of w (its connection closed).
func (m *Manager) RemoveWatcher(w Watcher) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for path, k := range m.byWatcher[w] {
		m.removeLocked(w, path, k)
	}
}

// Trigger notifies the watchers of an event on path, as DataTree does after
// a change: NodeCreated, NodeDeleted and NodeDataChanged go to data watches
// (one-shot), persistent watches on path and recursive watches on path or an
// ancestor; NodeDeleted also goes to child watches on path; and
// NodeChildrenChanged (on the parent) goes to child watches and persistent
// (non-recursive) watches. Each watcher hears an event once.
//
// A watcher without READ on acl hears nothing, though a one-shot watch of its
// is still consumed, as WatchManager.triggerWatch does since CVE-2024-23944.
func (m *Manager) Trigger(typ zkproto.EventType, path string, acl []zkproto.ACL) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var seen map[Watcher]struct{}
	notify := func(w Watcher) {
		if seen == nil {
			seen = make(map[Watcher]struct{}, 4)
		}
		if _, ok := seen[w]; ok {
			return
		}
		seen[w] = struct{}{}
		if w.CanRead(acl) {
			w.Notify(typ, path)
		}
	}
	var oneShot Kind
	switch typ {
	case zkproto.EventNodeChildrenChanged:
		oneShot = Child
	case zkproto.EventNodeDeleted:
		oneShot = Data | Child
	default:
		oneShot = Data
	}
	if ws := m.byPath[path]; ws != nil {
		var fired []Watcher
		for w, k := range ws {
			if k&(oneShot|Persistent) != 0 {
				notify(w)
				if k&oneShot != 0 {
					fired = append(fired, w)
				}
			}
		}
		for _, w := range fired {
			m.removeLocked(w, path, oneShot)
		}
	}
	if m.recursive == 0 || typ == zkproto.EventNodeChildrenChanged {
		return
	}
	for p := path; ; {
		for w, k := range m.byPath[p] {
			if k&Recursive != 0 {
				notify(w)
			}
		}
		if p == "/" {
			return
		}
		if i := strings.LastIndexByte(p, '/'); i > 0 {
			p = p[:i]
		} else {
			p = "/"
		}
	}
}

// Paths returns the sorted paths w watches with any of kinds.
func (m *Manager) Paths(w Watcher, kinds Kind) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for p, k := range m.byWatcher[w] {
		if k&kinds != 0 {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Count returns the number of (watcher, path) registrations and of distinct
// watched paths, for wchs and mntr.
func (m *Manager) Count() (watches, paths int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, ws := range m.byPath {
		watches += len(ws)
	}
	return watches, len(m.byPath)
}

// ByPath returns, for wchp, each watched path with its watchers.
func (m *Manager) ByPath() map[string][]Watcher {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]Watcher, len(m.byPath))
	for p, ws := range m.byPath {
		for w := range ws {
			out[p] = append(out[p], w)
		}
	}
	return out
}
