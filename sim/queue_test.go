package sim

import (
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logsim/broker/node"
)

// refEvent is an entry of the reference queue.
type refEvent struct {
	at  time.Duration
	seq int
}

// FuzzQueue drives the kernel's queue (heap, slot slab, cancellation by sequence) and a
// sorted-slice reference with the same operations, and requires the same order of
// execution. Invariants: events run in (time, insertion) order; a cancelled event
// never runs; Pending counts the events not yet run or cancelled.
func FuzzQueue(f *testing.F) {
	f.Add([]byte{0, 5, 0, 5, 1, 3, 2, 2, 2})
	f.Add([]byte{0, 1, 0, 1, 0, 1, 3, 1, 2, 2, 0, 0, 2, 2})
	f.Add([]byte{1, 200, 1, 100, 0, 0, 3, 0, 3, 0, 2, 2, 2, 2})
	f.Add([]byte{0, 9, 0, 3, 3, 0, 4, 4, 0, 1, 4, 15, 2})
	f.Fuzz(func(t *testing.T, ops []byte) {
		s, err := New(Config{})
		require.NoError(t, err)
		var ref []refEvent
		var ran []int
		handles := map[int]uint64{}
		seq := 0
		for i := 0; i < len(ops); i++ {
			op := ops[i] % 5
			arg := 0
			if i+1 < len(ops) {
				arg = int(ops[i+1])
			}
			switch op {
			case 0, 1: // push at now + a small delay (ties are common)
				i++
				seq++
				id := seq
				at := s.now + time.Duration(arg%8)
				if op == 1 {
					at = s.now + time.Duration(arg)*time.Microsecond
				}
				sl, idx := s.alloc(evCallback, node.None)
				sl.fn = func() { ran = append(ran, id) }
				handles[id] = s.enqueue(at, idx)
				ref = append(ref, refEvent{at, id})
			case 2: // run the next event
				stepped := s.step(forever)
				require.Equal(t, len(ref) > 0, stepped)
				if len(ref) == 0 {
					continue
				}
				sortRef(ref)
				want := ref[0]
				ref = ref[1:]
				require.Equal(t, want.seq, ran[len(ran)-1], "ran the wrong event")
				require.Equal(t, want.at, s.now)
				delete(handles, want.seq)
			case 4: // run up to a time: everything due by then, in order
				i++
				until := s.now + time.Duration(arg%16)
				sortRef(ref)
				for len(ref) > 0 && ref[0].at <= until {
					require.True(t, s.step(until))
					require.Equal(t, ref[0].seq, ran[len(ran)-1])
					delete(handles, ref[0].seq)
					ref = ref[1:]
				}
				require.False(t, s.step(until), "ran an event due after %v", until)
				require.NoError(t, s.Run(until))
				require.Equal(t, until, s.now)
			case 3: // cancel a pending event
				i++
				if len(ref) == 0 {
					continue
				}
				k := arg % len(ref)
				h := handles[ref[k].seq]
				require.True(t, s.cancel(h, evCallback, node.None))
				require.False(t, s.cancel(h, evCallback, node.None), "cancelled twice")
				delete(handles, ref[k].seq)
				ref = append(ref[:k], ref[k+1:]...)
			}
			require.Equal(t, len(ref), s.Pending())
		}
	})
}

func sortRef(ref []refEvent) {
	sort.Slice(ref, func(a, b int) bool {
		return ref[a].at < ref[b].at || (ref[a].at == ref[b].at && ref[a].seq < ref[b].seq)
	})
}

// Many events for one instant, consumed while more arrive: the front of the
// same-instant bucket is reclaimed and the order stays insertion order.
func TestQueueSameInstantBacklogStaysOrdered(t *testing.T) {
	var q queue
	next := uint32(0)
	for i := 0; i < 2000; i++ {
		q.push(5, next)
		next++
	}
	want := uint32(0)
	for round := 0; round < 5; round++ {
		for i := 0; i < 1500; i++ {
			it := q.pop()
			require.Equal(t, want, it.slot())
			require.Equal(t, time.Duration(5), it.at)
			want++
		}
		for i := 0; i < 1500; i++ {
			q.push(5, next)
			next++
		}
	}
	require.Equal(t, 2000, q.len())
	require.LessOrEqual(t, cap(q.buckets[0]), 8192, "the bucket did not grow without bound")
}
