package checker

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"logsim/checker/edn"
	"logsim/checker/history"
)

// fCode is an operation or event name (history.Op.F) as a small number, so that
// the checker keeps one byte per history line instead of a string.
type fCode uint8

// Operation and event names, in the order of history.ClientFs and history.EventFs.
const (
	fSend fCode = iota
	fPoll
	fTxn
	fAssign
	fSubscribe
	fCommit
	fCrash
	fRebalance
	fLogStart
	fTruncate
	fLeader
	fFault
	numFCodes
)

var fNames = [numFCodes]string{
	fSend: history.FSend, fPoll: history.FPoll, fTxn: history.FTxn, fAssign: history.FAssign,
	fSubscribe: history.FSubscribe, fCommit: history.FCommit, fCrash: history.FCrash,
	fRebalance: history.FRebalance, fLogStart: history.FLogStart, fTruncate: history.FTruncate,
	fLeader: history.FLeader, fFault: history.FFault,
}

// String returns the name as written in histories.
func (f fCode) String() string { return fNames[f] }

// fCodeOf returns the code of a name the Validator accepted.
func fCodeOf(name string) fCode {
	switch name { // a switch compiles to a search by length and bytes
	case history.FSend:
		return fSend
	case history.FPoll:
		return fPoll
	case history.FTxn:
		return fTxn
	case history.FAssign:
		return fAssign
	case history.FSubscribe:
		return fSubscribe
	case history.FCommit:
		return fCommit
	case history.FCrash:
		return fCrash
	case history.FRebalance:
		return fRebalance
	case history.FLogStart:
		return fLogStart
	case history.FTruncate:
		return fTruncate
	case history.FLeader:
		return fLeader
	case history.FFault:
		return fFault
	}
	panic(fmt.Sprintf("checker: operation name %q passed validation but has no code", name))
}

// opInfo is one history line as the analyses see it: everything but its values,
// which live in its data stream (dataSpan) and, for rare lines, in analysis.rare.
type opInfo struct {
	Index   int64
	Time    int64
	Process int64
	Type    history.Type
	F       fCode
}

// lineBits sets the lines per chunk of the line table (4096: about 37 KB a chunk).
const lineBits = 12

const (
	linesPerChunk = 1 << lineBits
	lineMask      = linesPerChunk - 1
)

// lineChunk holds the compact form of linesPerChunk consecutive lines that the
// analyses read (thaw builds it from the chunk's frozen stream): arrays of numbers,
// whose only pointers are to its columns and to the wide arrays a chunk rarely
// needs, so that the garbage collector has little to follow. The arrays of a byte or
// two per line are its lineCols and tfs, allocated apart: sizes the allocator gives
// without rounding up.
type lineChunk struct {
	*lineCols
	tfs *[linesPerChunk]uint8 // sharedSends or oneSend | type << 4 | f (see lineTable.tfs)
	// Times are base, plus a 32-bit anchor per block of timeBlock lines (4.3 s of
	// nanoseconds: a chunk's lines rarely span more), plus a 24-bit delta per line
	// (hi<<16 | lo: 16.7 ms, which a block spans only at fewer than 2,000 lines a
	// second). A chunk where a delta does not fit keeps 32-bit deltas from base in
	// mid instead; one whose lines span more than 4.3 s keeps them whole in wide.
	base   int64
	anchor [linesPerChunk / timeBlock]uint32
	mid    *[linesPerChunk]uint32
	wide   *[linesPerChunk]int64
	// pairs links an invoke with its completion: the distance from an invoke to its
	// completion, from a completion back to its invoke (negative), 0 when there is
	// none (pending invokes, events); 16 bits until a distance does not fit.
	pairs delta16
	// procData is, for an invoke or an event, its process id (an index into
	// lineTable.procVals); a completion's is its invoke's. For a completion, it is
	// where the line's records begin in its chunk's data stream (see addSend and
	// addReads): only completions have records there (an invoke's are in
	// analysis.invokeSends), and the next completion's start, or the end of the
	// chunk's stream, is where they end. 16 bits until a chunk needs more (wide16).
	procData wide16
}

// lineCols holds a chunk's times and the 16-bit forms of its narrow32 numbers: 7
// bytes a line, 28 KB a chunk, a size the allocator gives without rounding up.
type lineCols struct {
	lo         [linesPerChunk]uint16 // see lineChunk's times
	hi         [linesPerChunk]uint8
	pairs16    [linesPerChunk]int16
	procData16 [linesPerChunk]uint16
}

// newLineChunk returns an empty chunk with the names and types tfs.
func newLineChunk(tfs *[linesPerChunk]uint8) *lineChunk {
	cols := new(lineCols)
	return &lineChunk{lineCols: cols, tfs: tfs, pairs: delta16{narrow: &cols.pairs16}, procData: wide16{narrow: &cols.procData16}}
}

// narrow32 holds one int32 per line of a chunk in 16 bits (N is uint16 for
// non-negative values, int16 for signed ones; the array is in the chunk's
// lineCols), until one does not fit: then all in 32, allocated on demand, so most
// chunks save 2 bytes a line.
type narrow32[N int16 | uint16] struct {
	narrow *[linesPerChunk]N
	wide   *[linesPerChunk]int32
}

// wide16 holds non-negative numbers per line; delta16 signed ones (distances).
type (
	wide16  = narrow32[uint16]
	delta16 = narrow32[int16]
)

// get returns the number of line i.
func (w *narrow32[N]) get(i int32) int32 {
	if w.wide != nil {
		return w.wide[i]
	}
	return int32(w.narrow[i])
}

// set sets the number of line i, widening every line to 32 bits if v needs it.
func (w *narrow32[N]) set(i, v int32) {
	if w.wide == nil && int32(N(v)) != v {
		w.wide = new([linesPerChunk]int32)
		for j, n := range w.narrow {
			w.wide[j] = int32(n)
		}
	}
	if w.wide != nil {
		w.wide[i] = v
		return
	}
	w.narrow[i] = N(v)
}

// pos returns the position the line at pos (index i of its chunk) is linked to, or
// noPos (for delta16: a distance of 0 is no link).
func (d *narrow32[N]) pos(pos, i int32) int32 {
	if v := d.get(i); v != 0 {
		return pos + v
	}
	return noPos
}

// sharedSends marks a send invoke whose records its completion repeats with offsets
// (logsim's always): the invoke keeps none of its own (see analysis.sendsInto).
const sharedSends uint8 = 0x80

// oneSend marks a send completion that holds exactly one record (logsim's always):
// it is decoded without looking for where its records end (see dataSpan).
const oneSend uint8 = 0x80

// lineTable is the history in compact form: everything the analyses need of each
// line (position) but its values, in chunks of linesPerChunk lines. Fixed chunks
// rather than growing slices: a growing slice copies itself and leaves garbage
// several times its size behind, which for a history of millions of records costs
// more time and peak memory than the table itself.
//
// While lines are added, they are kept frozen (see frozen.go): each chunk as a
// stream of varints of about half the size of a lineChunk, and the lines' names and
// types (tfs) apart, as the Builder marks lines there after adding them. Once the
// history is complete, thaw turns every chunk into a lineChunk.
type lineTable struct {
	chunks []*lineChunk // nil until thaw
	frozen [][]byte     // the streams of complete chunks, nil once thawed
	tfs    []*[linesPerChunk]uint8
	stream frozenStream // the chunk being filled
	nLines int32
	// dataChunks[c] holds the data stream of the lines of chunk c, copied into the
	// slab at its exact size when the chunk is complete; the last chunk's is in
	// stage, a buffer reused from chunk to chunk.
	dataChunks [][]byte
	// sendBases[c][k] is 1 + the value id of chunk c's first send of key k (for k
	// below maxBaseKeys; 0 when none): its sends' ids are kept as differences from it,
	// smaller than the ids, which grow with the history (see addSend).
	sendBases [][]uint32
	// The slabs hold the frozen and the data streams of complete chunks, apart:
	// thaw frees the frozen ones.
	frozenSlab, dataSlab slab
	stage                []byte
	nRecs                int // records in all, sent and read
	// indices holds each line's index; nil while every index equals its position
	// (logsim's histories), which saves 8 bytes a line.
	indices  []int64
	procVals []int64 // process id -> process
}

// n returns the number of lines.
func (t *lineTable) n() int32 { return t.nLines }

// at returns the chunk of pos and pos's place in it.
func (t *lineTable) at(pos int32) (*lineChunk, int32) {
	return t.chunks[pos>>lineBits], pos & lineMask
}

// typ returns the line's type.
func (t *lineTable) typ(pos int32) history.Type {
	c, i := t.at(pos)
	return c.typ(i)
}

// tf returns the line's type and name.
func (t *lineTable) tf(pos int32) (history.Type, fCode) {
	c, i := t.at(pos)
	return c.typ(i), c.fc(i)
}

// fc returns the line's name.
func (t *lineTable) fc(pos int32) fCode {
	c, i := t.at(pos)
	return c.fc(i)
}

// lineSet is a set of kinds of lines, each a type and a name (see scan).
type lineSet [2]uint64

// linesOf returns the set of lines of any of the types with any of the names.
func linesOf(types []history.Type, names ...fCode) lineSet {
	var s lineSet
	for _, t := range types {
		for _, f := range names {
			b := uint8(t)<<4 | uint8(f)
			s[b>>6] |= 1 << (b & 63)
		}
	}
	return s
}

// completionTypes are the types of completion lines.
var completionTypes = []history.Type{history.OK, history.Fail, history.Info}

// scan calls fn with the position of every line in set, in order, and its type and
// name as in tfs (with sharedSends or oneSend): a loop over the lines' names and
// types alone, for analyses that look at few kinds of lines.
func (t *lineTable) scan(set lineSet, fn func(pos int32, tf uint8)) {
	for ci, tfs := range t.tfs {
		base, n := int32(ci)<<lineBits, t.chunkLines(ci)
		for j := range n {
			tf := tfs[j&lineMask]
			if b := tf & 0x7f; set[b>>6]&(1<<(b&63)) != 0 {
				fn(base+j, tf)
			}
		}
	}
}

// oneSendKey returns the key of the send completion at pos, which holds one record
// (oneSend), without decoding the rest of it.
func (t *lineTable) oneSendKey(pos int32) int32 {
	c, i := t.at(pos)
	k, _ := uvarint(t.chunkData(int(pos>>lineBits)), int(c.procData.get(i)))
	return int32(k)
}

// typ returns the type of the chunk's line i.
func (c *lineChunk) typ(i int32) history.Type { return history.Type(c.tfs[i] >> 4 & 7) }

// fc returns the name of the chunk's line i.
func (c *lineChunk) fc(i int32) fCode { return fCode(c.tfs[i] & 0xf) }

// time returns the line's time.
func (t *lineTable) time(pos int32) int64 {
	c, i := t.at(pos)
	return c.time(i)
}

// time returns the time of the chunk's line i.
func (c *lineChunk) time(i int32) int64 {
	switch {
	case c.wide != nil:
		return c.wide[i]
	case c.mid != nil:
		return c.base + int64(c.mid[i])
	}
	return c.base + int64(c.anchor[i/timeBlock]) + int64(c.hi[i])<<16 + int64(c.lo[i])
}

// timeBlock is the lines per time anchor of a chunk (see lineChunk).
const timeBlock = 32

// procID returns the line's process id (an index into procVals).
func (t *lineTable) procID(pos int32) int32 {
	c, i := t.at(pos)
	if d := c.pairs.get(i); d < 0 { // a completion (always paired): its invoke's
		c, i = t.at(pos + d)
	}
	return c.procData.get(i)
}

// process returns the line's process.
func (t *lineTable) process(pos int32) int64 { return t.procVals[t.procID(pos)] }

// opIndex returns the line's index in the history.
func (t *lineTable) opIndex(pos int32) int64 {
	if t.indices == nil {
		return int64(pos)
	}
	return t.indices[pos]
}

// invokeOf returns the position of the invoke of a completion, or noPos.
func (t *lineTable) invokeOf(pos int32) int32 {
	c, i := t.at(pos)
	if c.typ(i).IsCompletion() {
		return c.pairs.pos(pos, i)
	}
	return noPos
}

// complOf returns the position of the completion of an invoke, or noPos.
func (t *lineTable) complOf(pos int32) int32 {
	c, i := t.at(pos)
	if c.typ(i) == history.Invoke {
		return c.pairs.pos(pos, i)
	}
	return noPos
}

// op returns the line at pos.
func (t *lineTable) op(pos int32) opInfo {
	c, i := t.at(pos)
	return opInfo{Index: t.opIndex(pos), Time: c.time(i), Process: t.procVals[t.procID(pos)], Type: c.typ(i), F: c.fc(i)}
}

// addLine appends a line and returns its position: a completion of the invoke at
// inv (noPos for none), or an invoke or an event of process id proc. A completion's
// records are appended to stage (addSend, addReads) before the next line is added;
// an invoke or an event has none there.
func (t *lineTable) addLine(time int64, proc int32, typ history.Type, f fCode, inv int32) int32 {
	pos := t.nLines
	if pos&lineMask == 0 {
		if pos > 0 { // the last chunk is complete: its lines and records get their own slices
			t.frozen = append(t.frozen, t.frozenSlab.copy(t.stream.buf))
			t.dataChunks = append(t.dataChunks, t.dataSlab.copy(t.stage))
			t.stage = t.stage[:0]
		}
		t.stream.reset()
		t.tfs = append(t.tfs, new([linesPerChunk]uint8))
	}
	tfs := t.tfs[pos>>lineBits]
	tfs[pos&lineMask] = uint8(typ)<<4 | uint8(f)
	t.stream.add(tfs, pos, time, proc, inv, int32(len(t.stage)))
	t.nLines++
	return pos
}

// addIndex files the index of the line at pos, the last added: nothing while every
// index equals its position.
func (t *lineTable) addIndex(pos int32, index int64) {
	if t.indices == nil && index != int64(pos) {
		t.indices = make([]int64, pos, max(2*int(pos), 1024))
		for i := range t.indices {
			t.indices[i] = int64(i)
		}
	}
	if t.indices != nil {
		t.indices = append(t.indices, index)
	}
}

// shareSends marks the send invoke at pos as repeated by its completion.
func (t *lineTable) shareSends(pos int32) {
	t.tfs[pos>>lineBits][pos&lineMask] |= sharedSends
}

// markOneSend marks the send completion at pos as holding one record.
func (t *lineTable) markOneSend(pos int32) {
	t.tfs[pos>>lineBits][pos&lineMask] |= oneSend
}

// completionSends appends the send records of the send completion at pos to buf.
func (t *lineTable) completionSends(buf []rec, pos int32) []rec {
	c, i := t.at(pos)
	if c.tfs[i]&oneSend == 0 {
		return decodeSends(buf, t.dataSpan(pos), t.basesOf(pos))
	}
	s := t.stage
	if ci := int(pos >> lineBits); ci < len(t.dataChunks) {
		s = t.dataChunks[ci]
	}
	p := int(c.procData.get(i))
	var k, v, d uint64
	k, p = uvarint(s, p)
	v, p = uvarint(s, p)
	d, _ = uvarint(s, p)
	val := int32(sendBase(t.basesOf(pos), k) + unzig(v))
	return append(buf, rec{key: int32(k), val: val, off: unzig(d) + int64(val)})
}

// sendsShared reports whether the line at pos is a send invoke marked by shareSends.
func (t *lineTable) sendsShared(pos int32) bool {
	c, i := t.at(pos)
	return c.tfs[i]&sharedSends != 0
}

// A line's records are a stream of bytes: its sends, then its reads, as unsigned
// varints (zigzag for signed differences) of numbers chosen to be small in logsim's
// histories, where a key's value ids and offsets grow together. A send is its key, its
// value id as a difference from its key's base in the chunk (sendBases), and its
// offset as a difference from the value id. Reads are most of a history's records, and
// a poll returns runs of consecutive offsets of one key, so reads are stored as runs:
// a header (key, the byte length of the run's values, the first offset) and then each
// record's value id as a difference from the id that follows the previous one (the
// first offset for the first record). A run's offsets are first, first+1, ... when
// first is not negative; otherwise every record of the run has that same offset
// (NoOffset). A send line has only sends and a poll line only reads; a txn line's
// sends take its first analysis.txnBytes bytes; a commit completion holds its offsets
// (see fileOffsets). A logsim send takes about 4 bytes, a read 1 or 2.
const (
	// maxSendBytes and maxReadBytes bound a record's encoding (a read as a run of
	// its own).
	maxSendBytes   = 5 + 5 + 10
	maxReadBytes   = 5 + 5 + 10 + 10
	maxOffsetBytes = 5 + 10 // a commit's key and offset (see fileOffsets)
)

// appendUvarint appends v as an unsigned varint.
func appendUvarint(s []byte, v uint64) []byte {
	for v >= 0x80 {
		s = append(s, byte(v)|0x80)
		v >>= 7
	}
	return append(s, byte(v))
}

// uvarintLen returns the bytes appendUvarint takes for v.
func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

// uvarint decodes the unsigned varint at s[p:] and returns it and the position after
// it. The stream is the checker's own, so it is not checked.
func uvarint(s []byte, p int) (uint64, int) {
	b := s[p]
	if b < 0x80 {
		return uint64(b), p + 1
	}
	v := uint64(b & 0x7f)
	for shift := uint(7); ; shift += 7 {
		p++
		b = s[p]
		if b < 0x80 {
			return v | uint64(b)<<shift, p + 1
		}
		v |= uint64(b&0x7f) << shift
	}
}

// zig maps a signed difference to an unsigned number small when |d| is; unzig is
// its inverse (both wrap, so that every int64 round-trips).
func zig(d int64) uint64   { return uint64(d<<1) ^ uint64(d>>63) }
func unzig(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// addSend appends a send record to the last line.
func (t *lineTable) addSend(r rec) {
	base := int64(0)
	if r.key < maxBaseKeys {
		ci := int(t.nLines-1) >> lineBits
		for len(t.sendBases) <= ci {
			t.sendBases = append(t.sendBases, nil)
		}
		bases := t.sendBases[ci]
		if int(r.key) >= len(bases) {
			bases = append(bases, make([]uint32, int(r.key)+1-len(bases))...)
			t.sendBases[ci] = bases
		}
		if bases[r.key] == 0 { // the key's first send in the chunk
			bases[r.key] = uint32(r.val) + 1
		}
		base = int64(bases[r.key]) - 1
	}
	s := appendUvarint(t.stage, uint64(uint32(r.key)))
	s = appendUvarint(s, zig(int64(r.val)-base))
	t.stage = appendUvarint(s, zig(r.off-int64(r.val)))
	t.nRecs++
}

// maxBaseKeys bounds the keys whose sends' value ids are kept as differences from a
// base per chunk (lineTable.sendBases): the bases of a chunk take 4 bytes a key.
const maxBaseKeys = 256

// basesOf returns the send bases of the chunk of the line at pos (see sendBases).
func (t *lineTable) basesOf(pos int32) []uint32 {
	if ci := int(pos >> lineBits); ci < len(t.sendBases) {
		return t.sendBases[ci]
	}
	return nil
}

// sendBase returns the base of the value ids of key k's sends in a chunk whose bases
// are bases (see addSend).
func sendBase(bases []uint32, k uint64) int64 {
	if k < uint64(len(bases)) {
		return int64(bases[k]) - 1 // never 0: the key has a send in the chunk
	}
	return 0
}

// decodeSends appends the sends in s, of a chunk whose send bases are bases, to buf.
func decodeSends(buf []rec, s []byte, bases []uint32) []rec {
	for p := 0; p < len(s); {
		var k, v, d uint64
		k, p = uvarint(s, p)
		v, p = uvarint(s, p)
		d, p = uvarint(s, p)
		val := int32(sendBase(bases, k) + unzig(v))
		buf = append(buf, rec{key: int32(k), val: val, off: unzig(d) + int64(val)})
	}
	return buf
}

// dataSpan returns the records of the line at pos in its chunk's data stream (none
// for an invoke or an event).
func (t *lineTable) dataSpan(pos int32) []byte {
	c, i := t.at(pos)
	if !c.typ(i).IsCompletion() {
		return nil
	}
	s := t.stage
	if ci := int(pos >> lineBits); ci < len(t.dataChunks) {
		s = t.dataChunks[ci]
	}
	// The records end where the next completion's begin: a few lines on, as
	// invokes and completions alternate.
	end := int32(len(s))
	for j, last := i+1, min(lineMask, t.nLines-1-(pos-i)); j <= last; j++ {
		if typ := history.Type(c.tfs[j] >> 4 & 7); typ >= history.OK && typ <= history.Info {
			end = c.procData.get(j)
			break
		}
	}
	return s[c.procData.get(i):end]
}

// addReads appends the records in rs, read by the last line, as runs (rs is not
// modified; its records are counted).
func (t *lineTable) addReads(rs []rec) {
	s := t.stage
	for j := 0; j < len(rs); {
		key, first := rs[j].key, rs[j].off
		n := 1
		for j+n < len(rs) && rs[j+n].key == key && rs[j+n].off == runOffset(first, n) {
			n++
		}
		// The values' byte length goes before them: leave it a byte, and make room
		// for more once it is known (a run of more than about 60 records).
		s = appendUvarint(s, uint64(uint32(key)))
		lp := len(s)
		s = append(s, 0)
		s = appendUvarint(s, zig(first))
		vp := len(s)
		pred := first
		for _, r := range rs[j : j+n] {
			s = appendUvarint(s, zig(int64(r.val)-pred))
			pred = int64(r.val) + 1
		}
		l := uint64(len(s) - vp)
		if m := uvarintLen(l); m > 1 {
			end := len(s)
			s = append(s, make([]byte, m-1)...)
			copy(s[lp+m:], s[lp+1:end])
		}
		appendUvarint(s[:lp], l)
		j += n
	}
	t.stage = s
	t.nRecs += len(rs)
}

// readRun returns the header of the read run at s[p:]: its key and first offset, and
// where its values' bytes begin and end (the next run's header).
func readRun(s []byte, p int) (key int32, first int64, vals, end int) {
	k, p := uvarint(s, p)
	l, p := uvarint(s, p)
	f, p := uvarint(s, p)
	return int32(k), unzig(f), p, p + int(l)
}

// runCount returns the number of records of a run whose values are vals (each
// value's varint ends with its one byte below 0x80).
func runCount(vals []byte) int {
	n := 0
	for _, b := range vals {
		if b < 0x80 {
			n++
		}
	}
	return n
}

// runLast returns the highest offset of a run of n records whose first offset is
// first (first itself for NoOffset).
func runLast(first int64, n int) int64 {
	if first < 0 {
		return first
	}
	return first + int64(n-1)
}

// runOffset returns the offset of record j of a run whose first offset is first.
func runOffset(first int64, j int) int64 {
	if first < 0 { // NoOffset: every record of the run has it
		return first
	}
	return first + int64(j)
}

// decodeReads appends the read runs in s to buf.
func decodeReads(buf []rec, s []byte) []rec {
	for p := 0; p < len(s); {
		key, first, vp, end := readRun(s, p)
		off, step := first, int64(1)
		if first < 0 { // NoOffset: every record of the run has it
			step = 0
		}
		pred := first
		for vp < end {
			var u uint64
			u, vp = uvarint(s, vp)
			vid := pred + unzig(u) // see addReads
			buf = append(buf, rec{key: key, val: int32(vid), off: off})
			pred, off = vid+1, off+step
		}
		p = end
	}
	return buf
}

// keyOff is one key's offset of a commit line.
type keyOff struct {
	key int32
	off int64
}

// Builder checks a history streamed to it one operation at a time: Add validates and
// files each operation, Result runs the analyses. It keeps a few compact numbers per
// line and per record rather than the operations, so that histories of millions of
// records fit in little memory; Check is a Builder fed from a slice.
type Builder struct {
	a   *analysis
	val history.Validator
	// pendingOf holds the invoke position outstanding for each process id (noPos
	// when none), to pair completions without a map lookup.
	pendingOf []int32
	// pendSends holds the records of each process's outstanding send invoke until its
	// completion shows whether it repeats them (buffers reused).
	pendSends [][]rec
	lineSends []rec // the sends of the line being filed
	lineReads []rec // a line's reads while its sends are filed
	// lineSentRead is set when the line sends a value read before it.
	lineSentRead bool
	// The analyses that run as lines are added (see online.go).
	sendW     sendOrderWatch
	orderW    orderWatch
	procDense []int32 // process+1 -> process id + 1, for processes below maxDenseProcess-1
	procIDs   map[int64]int32
	groupIDs  map[string]int32
	sends     [history.Event + 1]int // send completions by type
	polls     [history.Event + 1]int
	err       error
	res       *Result // once Result has run
}

// maxDenseProcess bounds the processes looked up through procDense.
const maxDenseProcess = 1 << 16

// NewBuilder returns a Builder that checks with opts.
func NewBuilder(opts Options) *Builder {
	a := &analysis{
		opts:        opts,
		keyID:       make(map[string]int32),
		rare:        make(map[int32]*history.Op),
		invokeSends: make(map[int32][]rec),
		txnBytes:    make(map[int32]int32),
		res:         &Result{Anomalies: map[string][]*Anomaly{}, Linearizable: LinSkipped},
	}
	a.res.Stats.AnomalyCounts = map[string]int{}
	return &Builder{a: a, val: history.Validator{SparseIndex: true}, procIDs: map[int64]int32{}, groupIDs: map[string]int32{}}
}

// errAfterResult is returned by Add once Result has run.
var errAfterResult = errors.New("checker: Add after Result")

// Add validates op as the next operation of the history and files what the analyses
// need. It copies what it keeps: the caller may reuse op and its slices afterwards.
// The first error (a structural problem, reported with the operation's index) is
// returned again by every later Add and by Result.
func (b *Builder) Add(op *history.Op) error {
	if b.err != nil {
		return b.err
	}
	if b.res != nil {
		return errAfterResult
	}
	if err := b.val.Check(op); err != nil {
		b.err = fmt.Errorf("checker: operation at index %d: %w", op.Index, err)
		return b.err
	}
	if err := b.a.fits(op); err != nil {
		b.err = err
		return err
	}
	a := b.a
	f := fCodeOf(op.F)
	pid := b.procID(op.Process)
	inv := noPos // a completion's invoke
	if op.Type.IsCompletion() {
		inv = b.pendingOf[pid]
		b.pendingOf[pid] = noPos
	}
	pos := a.addLine(op.Time, pid, op.Type, f, inv)
	a.addIndex(pos, op.Index)
	st := &a.res.Stats
	switch op.Type {
	case history.Event:
		st.Events++
		a.rare[pos] = copyRare(op)
		a.indexEvent(op, pos)
		if f == fTruncate {
			b.sendW.truncate(a, op, pos)
		}
		if f == fRebalance && op.Rebalance != nil {
			a.rebalance(b.procState(op.Rebalance.Process), op.Rebalance.Assigned)
		}
		return nil
	case history.Invoke:
		b.pendingOf[pid] = pos
	default:
		st.Ops++
		switch f {
		case fSend:
			b.sends[op.Type]++
		case fPoll:
			b.polls[op.Type]++
		}
	}
	if op.Group != "" && op.Type != history.Invoke {
		b.fileGroup(op.Group, pos)
	}
	switch f {
	case fAssign, fSubscribe:
		a.rare[pos] = copyRare(op)
	}
	// Every key named anywhere is registered here, in history order, so that the
	// analyses only read the key table (and may run in parallel).
	if f == fAssign {
		for _, k := range op.Keys {
			a.key(k)
		}
	}
	a.fileOffsets(op, f == fCommit && op.Type != history.Invoke)
	b.lineSends, b.lineReads, b.lineSentRead = b.lineSends[:0], b.lineReads[:0], false
	if len(op.Mops) > 0 {
		if f == fSend && op.Type == history.Invoke {
			b.pendSends[pid] = a.indexSendInvoke(op, pos, b.pendSends[pid][:0])
		} else {
			b.indexMops(op, pos)
		}
	}
	if f == fSend && op.Type != history.Invoke {
		if len(b.lineSends) == 1 {
			a.markOneSend(pos)
		}
		if !b.settleSends(pid, inv, pos) && b.lineSentRead {
			// Its invoke did not send the values it did: one may have been read
			// before the invoke.
			a.sentAfterRead = true
		}
	}
	b.watch(op, pid, pos, f)
	return nil
}

// watch hands a client line, filed, to the analyses that run as lines are added.
func (b *Builder) watch(op *history.Op, pid, pos int32, f fCode) {
	a := b.a
	if op.Type == history.Invoke {
		b.orderW.line(a, op, pid, pos, f, nil, nil)
		var sends []rec
		switch f {
		case fSend:
			if len(op.Mops) > 0 {
				sends = b.pendSends[pid]
			}
		case fTxn:
			sends = b.lineSends
		default:
			return
		}
		b.sendW.invoke(a, pid, sends)
		return
	}
	var sends, reads []rec
	if f == fSend || f == fTxn {
		sends = b.lineSends
		b.sendW.completion(a, pid, pos, op.Type, sends)
	}
	if f == fPoll || f == fTxn {
		reads = b.lineReads
	}
	b.orderW.line(a, op, pid, pos, f, sends, reads)
}

// procState returns the orderWatch's state of a process named by an event.
func (b *Builder) procState(p int64) *procState {
	var id int32 = -1
	if p >= -1 && p < maxDenseProcess-1 {
		if int(p+1) < len(b.procDense) {
			id = b.procDense[p+1] - 1
		}
	} else if known, ok := b.procIDs[p]; ok {
		id = known
	}
	if id >= 0 {
		return b.orderW.state(id, p)
	}
	w := &b.orderW
	ps := w.early[p]
	if ps == nil {
		if w.early == nil {
			w.early = map[int64]*procState{}
		}
		ps = newProcState()
		w.early[p] = ps
	}
	return ps
}

// fits returns an error if op would take the history beyond what the checker
// handles: positions and record indices are int32, which keeps its memory small.
func (a *analysis) fits(op *history.Op) error {
	records := a.nRecs
	for j := range op.Mops {
		records++
		for _, kr := range op.Mops[j].Reads {
			records += len(kr.Records)
		}
	}
	// A chunk's data stream is addressed by int32 (see maxReadBytes).
	if a.n() >= math.MaxInt32-1 || records >= math.MaxInt32-1 || len(a.stage)+maxReadBytes*(records-a.nRecs)+maxOffsetBytes*(len(op.Offsets)+1) >= math.MaxInt32 {
		return fmt.Errorf("checker: the history reaches %d operations and %d records at index %d, more than the %d the checker handles", a.n()+1, records, op.Index, math.MaxInt32-2)
	}
	return nil
}

// fileGroup files the consumer group a completion line names.
func (b *Builder) fileGroup(name string, pos int32) {
	a := b.a
	id, ok := b.groupIDs[name]
	if !ok {
		id = int32(len(a.groupNames))
		b.groupIDs[name] = id
		a.groupNames = append(a.groupNames, name)
	}
	a.groupPos = append(a.groupPos, pos)
	a.groupID = append(a.groupID, id)
}

// fileOffsets registers the keys of the line's offsets and, for a commit completion
// (commit), files the offsets first in its data: their number, then each key and
// offset (see offsetsOf).
func (a *analysis) fileOffsets(op *history.Op, commit bool) {
	if commit {
		a.stage = appendUvarint(a.stage, uint64(len(op.Offsets)))
	}
	for _, ko := range op.Offsets {
		kid, _ := a.keyAndID(ko.Key)
		if commit {
			a.stage = appendUvarint(appendUvarint(a.stage, uint64(uint32(kid))), zig(ko.Offset))
		}
	}
}

// settleSends decides where the records of the send invoke at inv go, now that its
// completion at pos is filed: nowhere when the completion repeats them (same keys and
// values, the invoke without offsets), else into analysis.invokeSends. It reports
// whether the completion repeats them.
func (b *Builder) settleSends(pid, inv, pos int32) bool {
	a := b.a
	pend := b.pendSends[pid]
	b.pendSends[pid] = pend[:0]
	recs := b.lineSends // as sendsInto(pos) would decode them
	same := len(pend) == len(recs)
	for j := 0; same && j < len(pend); j++ {
		same = pend[j].key == recs[j].key && pend[j].val == recs[j].val && pend[j].off == history.NoOffset
	}
	if same {
		a.shareSends(inv)
		return true
	}
	a.invokeSends[inv] = slices.Clone(pend)
	return false
}

// procID interns a process.
func (b *Builder) procID(p int64) int32 {
	dense := p >= -1 && p < maxDenseProcess-1 // events' -1 and small client processes
	if dense {
		if int(p+1) < len(b.procDense) && b.procDense[p+1] != 0 {
			return b.procDense[p+1] - 1
		}
	} else if id, ok := b.procIDs[p]; ok {
		return id
	}
	a := b.a
	id := int32(len(a.procVals))
	a.procVals = append(a.procVals, p)
	b.pendingOf = append(b.pendingOf, noPos)
	b.pendSends = append(b.pendSends, nil)
	if !dense {
		b.procIDs[p] = id
		return id
	}
	for int(p+1) >= len(b.procDense) {
		b.procDense = append(b.procDense, make([]int32, max(64, len(b.procDense)))...)
	}
	b.procDense[p+1] = id + 1
	return id
}

// indexSendInvoke files the values of a send invoke and returns its records, appended
// to buf: they are kept only if its completion does not repeat them (settleSends).
func (a *analysis) indexSendInvoke(op *history.Op, pos int32, buf []rec) []rec {
	for j := range op.Mops {
		m := &op.Mops[j]
		if m.Kind != history.MopSend {
			continue
		}
		kid, k := a.keyAndID(m.Key)
		vid := k.intern(m.Value)
		buf = append(buf, rec{key: kid, val: vid, off: m.Offset})
		if k.noteSend(vid, op.Type, m.Offset) {
			a.sentAfterRead = true
		}
	}
	return buf
}

// indexMops files the records of a send, poll or txn line: interned keys and values,
// who wrote and who read each value.
func (b *Builder) indexMops(op *history.Op, pos int32) {
	a := b.a
	st := &a.res.Stats
	// A line's reads are written after all its sends (see addReads), in the order
	// read; values are interned in the order of the micro-operations all the same.
	b.lineReads = b.lineReads[:0]
	for j := range op.Mops {
		m := &op.Mops[j]
		if m.Kind == history.MopSend {
			kid, k := a.keyAndID(m.Key)
			vid := k.intern(m.Value)
			r := rec{key: kid, val: vid, off: m.Offset}
			if op.Type != history.Invoke {
				a.addSend(r)
			}
			b.lineSends = append(b.lineSends, r)
			if k.noteSend(vid, op.Type, m.Offset) {
				// Read before this line: before its invoke too, unless the invoke
				// sent the value itself (see Add).
				if op.Type == history.Invoke || op.F != history.FSend {
					a.sentAfterRead = true
				}
				b.lineSentRead = true
			}
			continue
		}
		if op.Type == history.Invoke {
			continue
		}
		for _, kr := range m.Reads {
			kid, k := a.keyAndID(kr.Key)
			st.RecordsRead += len(kr.Records)
			for _, r := range kr.Records {
				vid := k.intern(r.Value)
				b.lineReads = append(b.lineReads, rec{key: kid, val: vid, off: r.Offset})
				fl := k.fl(vid)
				*fl |= valRead
				if op.Type == history.OK {
					*fl |= valOKRead
				}
				if *fl&valWritten == 0 {
					*fl |= valFindReader
				}
			}
		}
	}
	if op.Type == history.Invoke { // a txn's: kept aside (see procData)
		if len(b.lineSends) > 0 {
			a.invokeSends[pos] = slices.Clone(b.lineSends)
		}
		return
	}
	if op.F == history.FTxn {
		a.txnBytes[pos] = int32(len(a.stage)) - a.stream.start
		if len(b.lineSends) > 0 && len(b.lineReads) > 0 {
			a.readsAndSends = true
		}
	}
	if len(b.lineReads) > 0 {
		a.addReads(b.lineReads)
	}
}

// copyRare deep-copies what the analyses use of a rare line (assign, subscribe and
// harness events), so that the caller may reuse op.
func copyRare(op *history.Op) *history.Op {
	c := &history.Op{Index: op.Index, Time: op.Time, Process: op.Process, Type: op.Type, F: op.F, SeekToBeginning: op.SeekToBeginning}
	c.Keys = append([]string(nil), op.Keys...)
	c.Offsets = append([]history.KeyOffset(nil), op.Offsets...)
	c.Replicas = append([]history.ReplicaChange(nil), op.Replicas...)
	if op.Rebalance != nil {
		r := *op.Rebalance
		r.Assigned = append([]string(nil), r.Assigned...)
		c.Rebalance = &r
	}
	if op.Fault != nil {
		f := *op.Fault
		c.Fault = &f
	}
	return c
}

// Result runs the analyses on the history added so far and returns the verdict. It
// runs them once: later calls return the same result, and Add fails after it.
func (b *Builder) Result() (*Result, error) {
	if b.err != nil {
		return nil, b.err
	}
	if b.res != nil {
		return b.res, nil
	}
	a := b.a
	opts := a.opts
	st := &a.res.Stats
	st.Sends, st.Polls = map[string]int{}, map[string]int{}
	for t := history.Invoke; t <= history.Event; t++ {
		if b.sends[t] > 0 {
			st.Sends[t.String()] = b.sends[t]
		}
		if b.polls[t] > 0 {
			st.Polls[t.String()] = b.polls[t]
		}
	}
	st.Keys = len(a.keys)
	b.lineSends, b.lineReads = nil, nil
	a.sendWatch, a.orderWatch = &b.sendW, &b.orderW
	b.orderW.procs, b.orderW.early = nil, nil
	a.thaw()
	for pid, inv := range b.pendingOf { // invokes never completed
		if inv == noPos {
			continue
		}
		st.Pending++
		if a.fc(inv) == fSend { // its records are its own, of unknown outcome
			a.invokeSends[inv] = slices.Clone(b.pendSends[pid])
			for _, r := range b.pendSends[pid] {
				*a.keys[r.key].fl(r.val) |= valFindReader
			}
		}
	}
	b.pendSends, b.lineSends, b.lineReads = nil, nil, nil // filing is over
	b.pendingOf, b.procDense, b.procIDs, b.groupIDs = nil, nil, nil, nil
	a.maxInstances = opts.MaxInstances
	if a.maxInstances == 0 {
		a.maxInstances = DefaultMaxInstances
	} else if a.maxInstances < 0 {
		a.maxInstances = int(^uint(0) >> 1)
	}
	if opts.Timings {
		st.AnalysisMillis = map[string]int64{}
	}
	timed := func(name string, fn func()) {
		start := time.Now()
		fn()
		if opts.Timings {
			st.AnalysisMillis[name] = time.Since(start).Milliseconds()
		}
	}
	a.values.finish(a.keys)
	timed("version-orders", a.versionOrders)
	// Longest first (as measured on logsim's histories), so that the cores finish
	// together.
	a.parallel([]job{
		{"realtime-lag", (*analysis).worstRealtimeLag},
		{"values", (*analysis).valueAnomalies},
		{"groups", (*analysis).groups},
		{"process-order", (*analysis).processOrder},
		{"cycles", (*analysis).cycles},
		{"realtime-send-order", (*analysis).realtimeSendOrder},
	})
	if opts.Linearizability {
		timed("linearizability", a.linearizability)
	}
	allowed := map[string]bool{}
	for _, t := range DefaultAllowed(opts.WWDeps) {
		allowed[t] = true
	}
	for _, t := range opts.Allow {
		allowed[t] = true
	}
	a.res.finish(allowed)
	b.res = a.res
	b.a = nil // the tables are no longer needed, even if the caller keeps b
	return b.res, nil
}

// Check judges a history. The history must be structurally valid (as the Reader and
// Writer of package history ensure); otherwise Check returns the first structural
// error. It is a Builder fed with ops.
func Check(ops []history.Op, opts Options) (*Result, error) {
	b := NewBuilder(opts)
	for i := range ops {
		if err := b.Add(&ops[i]); err != nil {
			return nil, err
		}
	}
	return b.Result()
}

// CheckReader checks the JSON Lines history read from r without keeping its
// operations: each line is parsed into one reused history.Op (history.Reader's
// ReadShared) and added to a Builder.
// name (usually the file name) prefixes errors, which name the line and column.
func CheckReader(r io.Reader, name string, opts Options) (*Result, error) {
	rd := history.NewReader(r, name)
	b := NewBuilder(opts)
	var op history.Op
	for {
		err := rd.ReadShared(&op) // Add copies what it keeps
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := b.Add(&op); err != nil {
			return nil, &history.Error{File: name, Line: rd.Line(), Msg: strings.TrimPrefix(err.Error(), "checker: ")}
		}
	}
	return b.Result()
}

// CheckFile checks a history file as CheckReader does: a .edn file as a Jepsen Kafka
// history (package checker/edn, read whole: such histories are small), anything else
// as logsim's JSON Lines, streamed.
func CheckFile(path string, opts Options) (*Result, error) {
	if strings.EqualFold(filepath.Ext(path), ".edn") {
		ops, err := edn.ReadFile(path)
		if err != nil {
			return nil, err
		}
		return Check(ops, opts)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return CheckReader(f, path, opts)
}

// offsetsOf appends the offsets of the commit completion at pos to buf (see
// fileOffsets).
func (a *analysis) offsetsOf(buf []keyOff, pos int32) []keyOff {
	s := a.dataSpan(pos)
	if len(s) == 0 {
		return buf
	}
	n, p := uvarint(s, 0)
	for range n {
		var k, o uint64
		k, p = uvarint(s, p)
		o, p = uvarint(s, p)
		buf = append(buf, keyOff{key: int32(k), off: unzig(o)})
	}
	return buf
}

// procIndex maps each client process to its id.
func (t *lineTable) procIndex() map[int64]int32 {
	m := make(map[int64]int32, len(t.procVals))
	for id, p := range t.procVals {
		m[p] = int32(id)
	}
	return m
}
