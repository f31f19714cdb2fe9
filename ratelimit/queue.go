package ratelimit

// Queue is the line of requests waiting in a limiter: token calls first,
// then API calls, each in arrival order. Only the first in line asks for a
// slot; the others sleep until Queue tells them they may have become first.
// Every limiter of the module (WindowLimiter, the fleet's) keeps its
// waiters in one.
//
// A Queue is not safe for concurrent use by itself: its owner guards it
// with the lock that guards the rest of its state.
type Queue struct {
	waiters []*Waiter
}

// Waiter is one request in a Queue.
type Waiter struct {
	prio  Priority
	ready chan struct{} // signalled when the waiter may have become first
}

// Ready is signalled when the waiter may have become first in line: look
// again.
func (w *Waiter) Ready() <-chan struct{} { return w.ready }

// Priority returns the waiter's priority.
func (w *Waiter) Priority() Priority { return w.prio }

// Add places a new waiter of priority p after every waiter of its priority
// or higher and returns it with its position (0: first). A waiter it
// displaced from the front is told, since it is first no more.
func (q *Queue) Add(p Priority) (*Waiter, int) {
	w := &Waiter{prio: p, ready: make(chan struct{}, 1)}
	i := len(q.waiters)
	for i > 0 && q.waiters[i-1].prio < p {
		i--
	}
	q.waiters = append(q.waiters, nil)
	copy(q.waiters[i+1:], q.waiters[i:])
	q.waiters[i] = w
	if i == 0 && len(q.waiters) > 1 {
		q.waiters[1].signal()
	}
	return w, i
}

// Remove takes w out of the line, if it is still in it, and reports
// whether it was first; the new first is then told.
func (q *Queue) Remove(w *Waiter) (wasFirst bool) {
	for i, x := range q.waiters {
		if x == w {
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			if i == 0 {
				q.WakeFirst()
			}
			return i == 0
		}
	}
	return false
}

// Position returns w's place in line (0: first), or -1 when it is not in
// it.
func (q *Queue) Position(w *Waiter) int {
	for i, x := range q.waiters {
		if x == w {
			return i
		}
	}
	return -1
}

// Ahead reports whether a waiter that a new request of priority p must let
// go first is in line.
func (q *Queue) Ahead(p Priority) bool {
	return len(q.waiters) > 0 && q.waiters[0].prio >= p
}

// Place returns the position a new request of priority p would take.
func (q *Queue) Place(p Priority) int {
	i := 0
	for i < len(q.waiters) && q.waiters[i].prio >= p {
		i++
	}
	return i
}

// Len returns how many wait.
func (q *Queue) Len() int { return len(q.waiters) }

// Count returns how many of priority p wait.
func (q *Queue) Count(p Priority) int {
	n := 0
	for _, w := range q.waiters {
		if w.prio == p {
			n++
		}
	}
	return n
}

// WakeFirst tells the first in line to look again.
func (q *Queue) WakeFirst() {
	if len(q.waiters) > 0 {
		q.waiters[0].signal()
	}
}

// WakeRest tells every waiter but the first to look again (for instance to
// check its deadline against a new estimate).
func (q *Queue) WakeRest() {
	for i, w := range q.waiters {
		if i > 0 {
			w.signal()
		}
	}
}

func (w *Waiter) signal() {
	select {
	case w.ready <- struct{}{}:
	default:
	}
}
