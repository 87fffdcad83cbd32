package server

import "sync"

// queue hands batches from one stage to the next: producers append, the
// single consumer takes everything that piled up in one call. That is the
// group commit: while the consumer works, the next batch gathers.
// Safe for concurrent producers and one consumer.
type queue[T any] struct {
	mu     sync.Mutex
	items  []T
	spare  []T
	signal chan struct{}
}

func newQueue[T any]() *queue[T] {
	return &queue[T]{signal: make(chan struct{}, 1)}
}

// push appends one item.
func (q *queue[T]) push(v T) {
	q.mu.Lock()
	q.items = append(q.items, v)
	n := len(q.items)
	q.mu.Unlock()
	if n == 1 {
		select {
		case q.signal <- struct{}{}:
		default:
		}
	}
}

// pushAll appends a batch.
func (q *queue[T]) pushAll(vs []T) {
	if len(vs) == 0 {
		return
	}
	q.mu.Lock()
	wasEmpty := len(q.items) == 0
	q.items = append(q.items, vs...)
	q.mu.Unlock()
	if wasEmpty {
		select {
		case q.signal <- struct{}{}:
		default:
		}
	}
}

// take returns everything queued (possibly nothing). The returned slice is
// valid until the next take.
func (q *queue[T]) take() []T {
	q.mu.Lock()
	out := q.items
	clear(q.spare)
	q.items = q.spare[:0]
	q.spare = out
	q.mu.Unlock()
	return out
}

// len returns the number of queued items.
func (q *queue[T]) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}
