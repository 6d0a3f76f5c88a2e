package checker

import "fmt"

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
	data := t.chunkData(ci)
	s := t.freezeBuf[:0]
	var prev int64
	var prevStart int32
	prevOne := false // the previous completion holds one send
	for i := range n {
		tm := c.time(i)
		s = appendUvarint(s, uint64(tm-prev))
		prev = tm
		if !c.typ(i).IsCompletion() {
			s = appendUvarint(s, uint64(uint32(c.procData.get(i))))
			continue
		}
		s = appendUvarint(s, uint64(uint32(-c.pairs.get(i))))
		start := c.procData.get(i)
		if !prevOne {
			s = appendUvarint(s, uint64(start-prevStart))
		} else if want := prevStart + sendLen(data, prevStart); want != start {
			panic(fmt.Sprintf("checker: line %d: a one-send completion's records end at %d, the next begin at %d", int32(ci)<<lineBits+i, want, start))
		}
		prevStart, prevOne = start, c.fc(i) == fSend && c.tfs[i]&oneSend != 0
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
	var tm, u uint64
	var prevStart int32
	prevOne := false
	p := 0
	for i := range n {
		u, p = uvarint(s, p)
		tm += u
		c.setTime(i, int64(tm))
		u, p = uvarint(s, p)
		if !c.typ(i).IsCompletion() {
			c.procData.set(i, int32(uint32(u)))
			c.pairs.set(i, 0) // until its completion is thawed
			continue
		}
		if d := -int32(uint32(u)); d != 0 {
			c.pairs.set(i, d)
			ic, ii := t.at(base + i + d)
			ic.pairs.set(ii, -d)
		} else {
			c.pairs.set(i, 0)
		}
		start := prevStart
		if prevOne {
			start += sendLen(data, prevStart)
		} else {
			u, p = uvarint(s, p)
			start += int32(u)
		}
		c.procData.set(i, start)
		prevStart, prevOne = start, c.fc(i) == fSend && c.tfs[i]&oneSend != 0
	}
	if p != len(s) {
		panic(fmt.Sprintf("checker: chunk %d: %d bytes of its frozen stream were not read", ci, len(s)-p))
	}
	t.frozen[ci] = nil
}

// thaw turns every chunk back into a lineChunk, once the history is complete (the
// last chunk is frozen and thawed too, which sets its invokes' links).
func (t *lineTable) thaw() {
	if last := len(t.chunks) - 1; last >= 0 && t.chunks[last] != nil {
		t.freeze(last)
	}
	for ci := range t.chunks {
		if t.chunks[ci] == nil {
			t.thawChunk(ci)
		}
	}
	t.spare, t.freezeBuf = nil, nil
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
