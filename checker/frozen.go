package checker

import (
	"fmt"
	"math"

	"logsim/checker/history"
)

// A frozen chunk is a stream of unsigned varints, line after line: the time as a
// difference from the previous line's (from 0 for the first; times never decrease,
// and the unsigned arithmetic wraps, so any difference round-trips), then for an
// invoke or an event its process id, for a completion the distance back to its
// invoke and where its records begin in the chunk's data stream, as a difference
// from where the previous completion's begin. That difference is left out when the
// previous completion holds one send (oneSend): its length is read from the data
// itself. An invoke's link to its completion is not kept: thaw sets it from the
// completion's. A logsim send invoke and its completion take about 8 bytes with
// their names and types (tfs, which are not frozen), instead of 16 as lineChunks.

// freeze replaces chunk ci, complete or the last, by its stream, and keeps its
// columns for the next chunk (spare).
func (t *lineTable) freeze(ci int) {
	c := t.chunks[ci]
	n := t.chunkLines(ci)
	s := t.freezeBuf[:0]
	var prev int64
	var prevStart int32
	prevOne := false // the previous completion holds one send
	narrow := c.mid == nil && c.wide == nil
	for i := range n {
		var tm int64
		if narrow { // c.time(i), without its switch
			tm = c.base + int64(c.anchor[i/timeBlock]) + int64(c.hi[i])<<16 + int64(c.lo[i])
		} else {
			tm = c.time(i)
		}
		s = appendUvarint(s, uint64(tm-prev))
		prev = tm
		tfs := c.tfs[i]
		if typ := history.Type(tfs >> 4 & 7); typ < history.OK || typ > history.Info {
			s = appendUvarint(s, uint64(uint32(c.procData.get(i))))
			continue
		}
		s = appendUvarint(s, uint64(uint32(-c.pairs.get(i))))
		start := c.procData.get(i)
		if !prevOne {
			s = appendUvarint(s, uint64(start-prevStart))
		}
		prevStart, prevOne = start, tfs&(oneSend|0xf) == oneSend|uint8(fSend)
	}
	t.freezeBuf = s
	t.frozen[ci] = append([]byte(nil), s...)
	t.spare = c.lineCols
	t.chunks[ci] = nil
}

// thawChunk turns the frozen chunk ci back into a lineChunk, the chunks before it
// thawed already: it sets the links of the invokes of its completions, which may be
// in those.
func (t *lineTable) thawChunk(ci int) {
	c := newLineChunk(t.spare, t.tfs[ci])
	t.spare = nil
	t.chunks[ci] = c
	s, data := t.frozen[ci], t.chunkData(ci)
	n := t.chunkLines(ci)
	base := int32(ci) << lineBits
	if c.pairs.wide == nil { // invokes have no link until their completion is thawed
		clear(c.pairs16[:])
	}
	times := t.times[:n]
	var tm, u uint64
	var prevStart int32
	prevOne := false
	p := 0
	for i := range n {
		u, p = uvarint(s, p)
		tm += u
		times[i] = int64(tm)
		u, p = uvarint(s, p)
		tfs := c.tfs[i]
		if typ := history.Type(tfs >> 4 & 7); typ < history.OK || typ > history.Info {
			c.procData.set(i, int32(uint32(u)))
			continue
		}
		d := -int32(uint32(u))
		if d != 0 {
			c.pairs.set(i, d)
			if inv := i + d; inv >= 0 { // in this chunk
				c.pairs.set(inv, -d)
			} else {
				ic, ii := t.at(base + inv)
				ic.pairs.set(ii, -d)
			}
		}
		start := prevStart
		if prevOne {
			start += sendLen(data, prevStart)
		} else {
			u, p = uvarint(s, p)
			start += int32(u)
		}
		c.procData.set(i, start)
		prevStart, prevOne = start, tfs&(oneSend|0xf) == oneSend|uint8(fSend)
	}
	if p != len(s) {
		panic(fmt.Sprintf("checker: chunk %d: %d bytes of its frozen stream were not read", ci, len(s)-p))
	}
	c.setTimes(times)
	t.frozen[ci] = nil
}

// setTimes sets the times of the chunk's lines, all at once: as setTime would one by
// one, in the narrowest form that holds them all (see lineChunk).
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

// thaw turns every chunk back into a lineChunk, once the history is complete (the
// last chunk is frozen and thawed too, which sets its invokes' links).
func (t *lineTable) thaw() {
	if last := len(t.chunks) - 1; last >= 0 && t.chunks[last] != nil {
		t.freeze(last)
	}
	t.times = make([]int64, linesPerChunk)
	for ci := range t.chunks {
		if t.chunks[ci] == nil {
			t.thawChunk(ci)
		}
	}
	t.spare, t.freezeBuf, t.times = nil, nil, nil
}

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
