package sim

import (
	"math/bits"
	"time"
)

// slotBits is how many low bits of an item's key name its slot; the high bits are
// the insertion sequence. 2^24 slots bound the events pending at once (16M); 2^40
// sequence numbers bound the events scheduled in one run (a trillion).
const (
	slotBits = 24
	slotMask = 1<<slotBits - 1
	maxSlots = 1 << slotBits
)

// item is one entry of the event queue. key is seq<<slotBits | slot: the sequence
// orders same-instant events and doubles as the slot's identity (a slot freed by a
// cancel gets a new sequence when reused, so a stale item is recognised).
type item struct {
	at  time.Duration
	key uint64
}

func (it item) slot() uint32 { return uint32(it.key & slotMask) }
func (it item) seq() uint64  { return it.key >> slotBits }

// queue is the event queue: a radix heap with 16-way digits. It relies on the
// simulation's time never going back: nothing is scheduled before the last time taken
// out. An entry lives in the bucket named by the highest 4-bit digit in which its time
// differs from last (the time of the last redistribution) and by its own value of that
// digit; bucket 0 holds entries due exactly at last. Every entry of a lower bucket is
// earlier than every entry of a higher one. Taking the minimum empties the lowest
// non-empty bucket into lower ones around its earliest time. Pushing is O(1) and an
// entry moves down at most 16 times, sequentially, which beats a comparison heap's
// unpredictable branches several times over with thousands of pending events.
//
// Order among equal times is insertion order: every bucket is kept in increasing
// sequence, because pushes append the newest sequence and a bucket is redistributed
// only into buckets that are empty (it is the lowest non-empty one), in order.
type queue struct {
	buckets [nbuckets][]item
	head0   int                          // bucket 0 is consumed from the front
	nonzero [(nbuckets + 63) / 64]uint64 // bit k set when bucket k is not empty
	bmin    [nbuckets]uint64             // the earliest time in each non-empty bucket
	last    uint64
	n       int
	seq     uint64
}

const nbuckets = 1 + 16*16

// bucketKeep is the largest array (1 MiB) an emptied bucket keeps for reuse.
const bucketKeep = 1 << 16

// bucketOf is the bucket of time t relative to last (t >= last).
func bucketOf(t, last uint64) int {
	x := t ^ last
	if x == 0 {
		return 0
	}
	p := (bits.Len64(x) - 1) / 4
	return 1 + p*16 + int(t>>(4*p)&15)
}

// add appends it to bucket b, keeping the bucket's earliest time.
func (q *queue) add(b int, it item) {
	t := uint64(it.at)
	if q.nonzero[b/64]&(1<<(b%64)) == 0 {
		q.nonzero[b/64] |= 1 << (b % 64)
		q.bmin[b] = t
	} else {
		q.bmin[b] = min(q.bmin[b], t)
	}
	q.buckets[b] = append(q.buckets[b], it)
}

func (q *queue) unmark(b int) { q.nonzero[b/64] &^= 1 << (b % 64) }

// lowest is the lowest non-empty bucket. The queue must not be empty.
func (q *queue) lowest() int {
	for w, bitsSet := range q.nonzero {
		if bitsSet != 0 {
			return w*64 + bits.TrailingZeros64(bitsSet)
		}
	}
	panic("sim: event queue: no entries")
}

// push adds an entry for slot at time at (at least the last time taken out) and
// returns its key.
func (q *queue) push(at time.Duration, slot uint32) uint64 {
	t := uint64(at)
	if t < q.last {
		panic("sim: event queue: scheduled before the last event taken out")
	}
	q.seq++
	key := q.seq<<slotBits | uint64(slot)
	q.add(bucketOf(t, q.last), item{at: at, key: key})
	q.n++
	return key
}

// len is the number of entries, cancelled ones included.
func (q *queue) len() int { return q.n }

// peekAt is the time of the earliest entry. The queue must not be empty.
func (q *queue) peekAt() time.Duration {
	if q.nonzero[0]&1 != 0 {
		return time.Duration(q.last)
	}
	return time.Duration(q.bmin[q.lowest()])
}

// pop removes and returns the earliest entry. The queue must not be empty.
func (q *queue) pop() item {
	if q.nonzero[0]&1 == 0 {
		q.redistribute()
	}
	b0 := q.buckets[0]
	it := b0[q.head0]
	q.head0++
	switch {
	case q.head0 == len(b0):
		q.buckets[0], q.head0 = b0[:0], 0
		q.unmark(0)
	case q.head0 >= 1024 && 2*q.head0 >= len(b0):
		// Events keep arriving for the same instant: reclaim the consumed front.
		q.buckets[0] = b0[:copy(b0, b0[q.head0:])]
		q.head0 = 0
	}
	q.n--
	return it
}

// redistribute empties the lowest non-empty bucket around its earliest time.
func (q *queue) redistribute() {
	k := q.lowest()
	q.last = q.bmin[k]
	b := q.buckets[k]
	q.buckets[k] = b[:0]
	if cap(b) > bucketKeep {
		// A far bucket fills with the timers cancelled over a whole timeout (their
		// entries stay until due), and each of its 16 neighbours does in turn as time
		// goes on: let the array go, or a long run keeps them all at their peak.
		q.buckets[k] = nil
	}
	q.unmark(k)
	for _, it := range b {
		q.add(bucketOf(uint64(it.at), q.last), it)
	}
}
