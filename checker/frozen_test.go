package checker

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/checker/history"
)

// TestFreezeThaw adds lines over enough chunks for two goroutines of thaw, each
// chunk frozen as it is filled, and checks every line after thaw: invokes completed
// in later chunks (some further than 16 bits count, some in the other goroutine's
// chunks), events, one-send completions (whose lengths the streams leave out)
// next to completions with several sends or reads, a chunk whose data outgrows
// 16-bit starts, times with gaps of every width, and invokes marked after their
// chunk was frozen.
func TestFreezeThaw(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var lt lineTable
	type line struct {
		time       int64
		typ        history.Type
		f          fCode
		proc, pair int32
		recs       []rec
		shared     bool
	}
	var want []line
	pending := map[int32]int32{} // process -> invoke
	var pending99 int32
	now := int64(1 << 40)
	add := func(l line) int32 {
		pos := lt.addLine(l.time, l.proc, l.typ, l.f, l.pair)
		want = append(want, l)
		return pos
	}
	for n := 0; n < 2*thawChunksPerWorker*linesPerChunk; n++ {
		switch rng.IntN(100) {
		case 0:
			now += 1 << 33
		case 1:
			now += 1 << 25
		case 2, 3, 4:
			now += int64(rng.IntN(1 << 20))
		default:
			now += int64(rng.IntN(3))
		}
		if rng.IntN(20) == 0 && n != linesPerChunk/2 && n != 3*thawChunksPerWorker*linesPerChunk/2 {
			add(line{time: now, typ: history.Event, f: fLeader, proc: 0, pair: noPos})
			continue
		}
		proc := int32(1 + rng.IntN(40))
		if n == linesPerChunk/2 || n == 3*thawChunksPerWorker*linesPerChunk/2 {
			proc = 99 // completed more than 32,767 lines later
		}
		inv, open := pending[proc]
		if proc == 99 && !open {
			pending99 = int32(len(want))
		}
		if !open {
			f := fSend
			if rng.IntN(4) == 0 {
				f = fPoll
			}
			pending[proc] = add(line{time: now, typ: history.Invoke, f: f, proc: proc, pair: noPos})
			continue
		}
		delete(pending, proc)
		l := line{time: now, typ: history.OK, f: want[inv].f, proc: proc, pair: inv}
		if rng.IntN(10) == 0 {
			l.typ = history.Info
		}
		pos := add(l)
		want[inv].pair = pos
		if l.f == fSend {
			for range 1 + rng.IntN(2) {
				r := rec{key: int32(rng.IntN(5)), val: int32(rng.IntN(1 << 20)), off: int64(rng.IntN(1<<30)) - 1}
				lt.addSend(r)
				want[pos].recs = append(want[pos].recs, r)
			}
			if len(want[pos].recs) == 1 {
				lt.markOneSend(pos)
			}
			if rng.IntN(2) == 0 {
				lt.shareSends(inv)
				want[inv].shared = true
			}
			continue
		}
		var rs []rec
		for j := range rng.IntN(4) * rng.IntN(300) {
			rs = append(rs, rec{key: 1, val: int32(rng.IntN(1 << 20)), off: int64(j)})
		}
		lt.addReads(rs)
		want[pos].recs = rs
	}
	lt.thaw()
	require.Equal(t, int32(len(want)), lt.n())
	wide := false
	for _, c := range lt.chunks {
		wide = wide || c.procData.wide != nil
	}
	require.True(t, wide, "some chunk's data should need 32-bit starts")
	far := pending99
	require.Greater(t, lt.complOf(far)-far, int32(1<<15), "a link should need 32 bits")
	for i, w := range want {
		pos := int32(i)
		require.Equal(t, w.time, lt.time(pos), "line %d", pos)
		typ, f := lt.tf(pos)
		require.Equal(t, w.typ, typ, "line %d", pos)
		require.Equal(t, w.f, f, "line %d", pos)
		require.Equal(t, w.proc, lt.procID(pos), "line %d", pos)
		if typ == history.Invoke {
			require.Equal(t, w.pair, lt.complOf(pos), "line %d", pos)
			require.Equal(t, w.shared, lt.sendsShared(pos), "line %d", pos)
			continue
		}
		require.Equal(t, w.pair, lt.invokeOf(pos), "line %d", pos)
		var got []rec
		switch {
		case typ == history.Event:
		case f == fSend:
			got = lt.completionSends(nil, pos)
		default:
			got = decodeReads(nil, lt.dataSpan(pos))
		}
		assert.Equal(t, w.recs, got, "line %d", pos)
	}
	assert.Nil(t, lt.frozen[0])
}
