package checker

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"logsim/checker/history"
)

// A frozen chunk is a stream of unsigned varints, line after line: the time as a
// difference from the previous line's (from 0 for the first; times never decrease,
// and the unsigned arithmetic wraps, so any difference round-trips), then for an
// invoke or an event its process id, for a completion the distance back to its
// invoke (0 for none) and where its records begin in the chunk's data stream, as a
// difference from where the previous completion's begin. That difference is left
// out when the previous completion holds one send (oneSend): its length is read from
// the data itself. An invoke's link to its completion is not kept: thaw sets it from
// the completion's. The lines' names and types (tfs) are kept apart. A logsim send
// invoke and its completion take about 8 bytes with their tfs, instead of 16 as
// lineChunks; adding a line to the stream is also cheaper than filling the columns.

// frozenStream is the stream of the chunk being filled.
type frozenStream struct {
	buf       []byte
	prevTime  int64
	prevStart int32 // where the previous completion's records begin
	prevCompl int32 // the previous completion's line in the chunk, or -1
	start     int32 // where the last completion's records begin
}

// reset empties the stream for a new chunk.
func (s *frozenStream) reset() {
	*s = frozenStream{buf: s.buf[:0], prevCompl: -1}
}

// add appends the line at pos, whose name and type are set in tfs (its chunk's): a
// completion of the invoke at inv (noPos for none) whose records begin at start, or
// an invoke or an event of process id proc.
func (s *frozenStream) add(tfs *[linesPerChunk]uint8, pos int32, time int64, proc, inv, start int32) {
	b := appendUvarint(s.buf, uint64(time-s.prevTime))
	s.prevTime = time
	i := pos & lineMask
	if typ := history.Type(tfs[i] >> 4 & 7); typ < history.OK || typ > history.Info {
		s.buf = appendUvarint(b, uint64(uint32(proc)))
		return
	}
	var back uint64
	if inv != noPos {
		back = uint64(uint32(pos - inv))
	}
	b = appendUvarint(b, back)
	// The previous completion's records are done: their length is known from
	// themselves if they are one send (markOneSend has marked it by now).
	if p := s.prevCompl; p < 0 || tfs[p&lineMask]&(oneSend|0xf) != oneSend|uint8(fSend) {
		b = appendUvarint(b, uint64(start-s.prevStart))
	}
	s.buf, s.prevStart, s.prevCompl, s.start = b, start, i, start
}

// link is an invoke's link to its completion, d lines on.
type link struct{ inv, d int32 }

// thawChunk turns the frozen chunk ci back into a lineChunk, the chunks from lo to ci
// thawed already, with times a buffer of linesPerChunk. It sets the links of the
// invokes of its completions, which may be in those, and returns those of invokes in
// chunks before lo appended to far (another goroutine may be thawing them).
func (t *lineTable) thawChunk(ci, lo int, times []int64, far []link) []link {
	c := newLineChunk(t.tfs[ci])
	t.chunks[ci] = c
	s, data := t.frozen[ci], t.chunkData(ci)
	n := t.chunkLines(ci)
	base := int32(ci) << lineBits
	loPos := int32(lo) << lineBits
	times = times[:n]
	tfs, pairs, procData := c.tfs, &c.pairs, &c.procData
	var tm, u uint64
	var prevStart int32
	prevOne := false
	p := 0
	for i := range n {
		i &= lineMask // i < n <= linesPerChunk: spares bounds checks
		u, p = uvarint(s, p)
		tm += u
		times[i] = int64(tm)
		u, p = uvarint(s, p)
		f := tfs[i]
		if typ := history.Type(f >> 4 & 7); typ < history.OK || typ > history.Info {
			if procData.wide == nil && u <= math.MaxUint16 {
				procData.narrow[i] = uint16(u)
			} else {
				procData.set(i, int32(uint32(u)))
			}
			continue
		}
		if d := -int32(uint32(u)); d != 0 {
			if pairs.wide == nil && d >= math.MinInt16 {
				pairs.narrow[i] = int16(d)
			} else {
				pairs.set(i, d)
			}
			if inv := i + d; inv >= 0 { // in this chunk
				pairs.set(inv, -d)
			} else if base+inv >= loPos {
				ic, ii := t.at(base + inv)
				ic.pairs.set(ii, -d)
			} else {
				far = append(far, link{base + inv, -d})
			}
		}
		start := prevStart
		if prevOne {
			start += sendLen(data, prevStart)
		} else {
			u, p = uvarint(s, p)
			start += int32(u)
		}
		if procData.wide == nil && start <= math.MaxUint16 {
			procData.narrow[i] = uint16(start)
		} else {
			procData.set(i, start)
		}
		prevStart, prevOne = start, f&(oneSend|0xf) == oneSend|uint8(fSend)
	}
	if p != len(s) {
		panic(fmt.Sprintf("checker: chunk %d: %d bytes of its frozen stream were not read", ci, len(s)-p))
	}
	c.setTimes(times)
	t.frozen[ci] = nil
	return far
}

// setTimes sets the times of the chunk's lines (which never decrease) in the
// narrowest form that holds them all (see lineChunk).
func (c *lineChunk) setTimes(times []int64) {
	if len(times) == 0 {
		return
	}
	c.base = times[0]
	if times[len(times)-1]-c.base > math.MaxUint32 { // times never decrease
		c.wide = new([linesPerChunk]int64)
		copy(c.wide[:], times)
		return
	}
	for b := 0; b < len(times); b += timeBlock {
		block := times[b:min(b+timeBlock, len(times))]
		anchor := uint32(block[0] - c.base)
		if uint32(block[len(block)-1]-c.base)-anchor >= 1<<24 {
			c.mid = new([linesPerChunk]uint32)
			for i, tm := range times {
				c.mid[i] = uint32(tm - c.base)
			}
			return
		}
		c.anchor[b/timeBlock] = anchor
		for j, tm := range block {
			e := uint32(tm-c.base) - anchor
			c.lo[b+j], c.hi[b+j] = uint16(e), uint8(e>>16)
		}
	}
}

// thaw turns every chunk into a lineChunk, once the history is complete: ranges of
// chunks in parallel, then the links of invokes in a range before their completion's.
func (t *lineTable) thaw() {
	if len(t.frozen) < len(t.tfs) { // the last chunk's stream
		t.frozen = append(t.frozen, t.stream.buf)
	}
	t.stream, t.frozenSlab = frozenStream{}, slab{}
	t.chunks = make([]*lineChunk, len(t.frozen))
	workers := max(1, min(runtime.GOMAXPROCS(0), len(t.chunks)/thawChunksPerWorker))
	fars := make([][]link, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(t.chunks)/workers, (w+1)*len(t.chunks)/workers
		wg.Go(func() {
			times := make([]int64, linesPerChunk)
			for ci := lo; ci < hi; ci++ {
				fars[w] = t.thawChunk(ci, lo, times, fars[w])
			}
		})
	}
	wg.Wait()
	for _, far := range fars {
		for _, l := range far {
			c, i := t.at(l.inv)
			c.pairs.set(i, l.d)
		}
	}
}

// thawChunksPerWorker is the fewest chunks worth a goroutine of thaw's.
const thawChunksPerWorker = 8

// chunkLines returns the number of lines of chunk ci.
func (t *lineTable) chunkLines(ci int) int32 {
	return min(linesPerChunk, t.nLines-int32(ci)<<lineBits)
}

// chunkData returns the data stream of chunk ci.
func (t *lineTable) chunkData(ci int) []byte {
	if ci < len(t.dataChunks) {
		return t.dataChunks[ci]
	}
	return t.stage
}

// sendLen returns the bytes of the send record at s[p:] (see addSend).
func sendLen(s []byte, p int32) int32 {
	q := int(p)
	for range 3 {
		_, q = uvarint(s, q)
	}
	return int32(q) - p
}

// slab keeps byte slices of many sizes in large blocks: the allocator would round
// each up to its size class (up to an eighth more; 9% on BenchmarkBuilderLogsimShaped's
// frozen streams), and a block is freed once none of its slices is referenced.
type slab struct {
	block []byte
}

// Blocks grow from minSlab to maxSlab, so that a small history takes little.
const (
	minSlab = 64 << 10
	maxSlab = 256 << 10
)

// copy returns a copy of b in the slab (its capacity its length).
func (s *slab) copy(b []byte) []byte {
	if cap(s.block)-len(s.block) < len(b) {
		s.block = make([]byte, 0, max(min(2*cap(s.block), maxSlab), minSlab, len(b)))
	}
	start := len(s.block)
	s.block = append(s.block, b...)
	return s.block[start:len(s.block):len(s.block)]
}
