package sim

import "time"

// item is one entry of the event queue. It is a small value (24 bytes) so that sifting
// moves little memory; the event's payload lives in a slot of the slab, and gen tells a
// live entry from one whose slot was freed by a cancel.
type item struct {
	at   time.Duration
	seq  uint64
	slot uint32
	gen  uint32
}

// before orders items by (time, insertion sequence): same-instant events run in the
// order they were scheduled.
func (a *item) before(b *item) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// queue is a 4-ary min-heap of items. A 4-ary heap is shallower than a binary one and
// its four children share a cache line, which matters with thousands of pending
// events. It never allocates once its slice has grown to the high-water mark.
type queue struct {
	items []item
	seq   uint64
}

// push adds an entry for slot at time at and returns the sequence it was given.
func (q *queue) push(at time.Duration, slot, gen uint32) {
	q.seq++
	q.items = append(q.items, item{at: at, seq: q.seq, slot: slot, gen: gen})
	q.up(len(q.items) - 1)
}

// len is the number of entries, cancelled ones included.
func (q *queue) len() int { return len(q.items) }

// peek returns the earliest entry without removing it. The queue must not be empty.
func (q *queue) peek() *item { return &q.items[0] }

// pop removes and returns the earliest entry. The queue must not be empty.
func (q *queue) pop() item {
	top := q.items[0]
	last := len(q.items) - 1
	if last > 0 {
		q.items[0] = q.items[last]
	}
	q.items = q.items[:last]
	if last > 1 {
		q.down(0)
	}
	return top
}

func (q *queue) up(i int) {
	it := q.items[i]
	for i > 0 {
		parent := (i - 1) / 4
		if !it.before(&q.items[parent]) {
			break
		}
		q.items[i] = q.items[parent]
		i = parent
	}
	q.items[i] = it
}

func (q *queue) down(i int) {
	n := len(q.items)
	it := q.items[i]
	for {
		first := 4*i + 1
		if first >= n {
			break
		}
		best := first
		end := min(first+4, n)
		for c := first + 1; c < end; c++ {
			if q.items[c].before(&q.items[best]) {
				best = c
			}
		}
		if !q.items[best].before(&it) {
			break
		}
		q.items[i] = q.items[best]
		i = best
	}
	q.items[i] = it
}
