package checker

import (
	"slices"
	"sort"

	"logsim/checker/history"
)

// valInfo is what the analyses know about one value of one key. It is kept small
// (4 bytes; its flags are in keyState.flags): a history has one per record sent.
// The Builder does not keep it while lines are added (only valWritten): Result
// finds each value's writer again from the sends in the line table (replayWrites,
// from versionOrders).
// What only values seen at several offsets need lives in keyState.multi; the first
// line that read a value, which few analyses need, in analysis.firstReaders; what is
// needed only once the history is complete (the value itself, its first dense
// index), in arrays built then: keyState.nums, keyState.firsts.
type valInfo struct {
	writer int32 // position of the send's last completion; of its first invoke when it never completed
}

// Value flags (keyState.fl).
const (
	valStr    uint8 = 1 << iota // num indexes a string
	valOKRead                   // some ok poll/txn returned the value
	valRep                      // the value represents the offset at its first dense index
	valMulti                    // the value appears at several offsets: see keyState.multi
	valWide                     // the value's high 32 bits are in keyState.numHi
	valRead                     // some completion returned the value
	// valFindReader marks a value whose first reader analyses will ask for (see
	// analysis.firstReader): a send of it failed, or its offset or outcome is
	// unknown, or it was read with no send of it filed yet.
	valFindReader
	valWritten // a send of the value was filed (it has a writer)
)

// okRead reports whether some ok poll/txn returned value id.
func (k *keyState) okRead(id int32) bool { return *k.fl(id)&valOKRead != 0 }

// num returns value id's integer, or its string's index (once valueTable.finish has
// run).
func (k *keyState) num(id int32) int64 {
	n := int64(k.nums[id>>valBits][id&(valsPerChunk-1)])
	if *k.fl(id)&valWide != 0 {
		n |= int64(k.numHi[id]) << 32
	}
	return n
}

// multiInfo is the version order of a value that appears at several offsets.
type multiInfo struct {
	vo   int32 // dense index where the value represents its offset, or -1
	last int32 // latest dense index of any appearance
	n    int32 // offsets it appears at
}

// keyState holds one key's values, version order and events.
type keyState struct {
	name   string
	kid    int32       // this key's id
	values *valueTable // shared by all keys
	// ints and strs map values to ids when the shared table cannot (split by form:
	// hashing an int64 is much cheaper than hashing a Value).
	ints map[int64]int32
	strs map[string]int32
	// info holds the values' valInfo by id, in chunks of valsPerChunk, built by
	// replayWrites once the history is complete.
	info [][]valInfo
	// flags holds the value flags by id, in chunks of valsPerChunk (the first grows
	// up to that size): a history has millions, and a growing slice would copy them
	// and leave garbage several times their size.
	flags [][]uint8
	// nums holds each value's low 32 bits, or its string's index in valueTable.strs,
	// chunked as info; the high bits, rarely not zero, are in numHi (see num). Built
	// by valueTable.finish from the maps and the slots, which know them until then.
	nums [][]uint32
	// firsts holds each value's earliest dense index of any appearance, or -1,
	// chunked as info; allocated by buildOrder (see first).
	firsts [][]int32
	nInfo  int32
	// sendOffs holds the send offset of values completed by more than one send (see
	// sendOffset); the others derive it from their writer.
	sendOffs map[int32]int64
	multi    map[int32]multiInfo
	numHi    map[int32]int32 // high 32 bits of values (valWide)
	// at[o] is 1 + the id of the first value seen at offset o, 0 if none, for offsets
	// below len(at) (offsets are dense from the log start: an array beats a map);
	// atFar holds offsets beyond it, and more further distinct values at an offset.
	at    []int32
	atFar map[int64]int32
	more  map[int64][]int32
	seen  int // observations, to bound the array
	// The version order, after buildOrder: offsets in ascending order and byIndex[i]
	// the value representing dense index i, or, when dense, offsets denseBase, +1, ...
	// with their values in at (see buildOrder). Read through offset and rep.
	offsets   []int64
	byIndex   []int32
	dense     bool
	denseBase int64
	nOffs     int32
	// logStarts are (position, log start) pairs from log-start events, in history order;
	// the offset is the running maximum.
	logStarts []posOffset
	truncs    []int32 // positions of truncate events
	// front is which line first made the key's known offsets reach each offset:
	// every completion's sends and reads raise it (built by versionOrders, for
	// worstRealtimeLag). Here rather than in a slice of all keys': versionOrders's
	// cores raise the fronts of different keys, and neighbours in a slice would
	// share cache lines.
	front frontier
}

type posOffset struct {
	pos    int32
	offset int64
}

// valueTable maps small non-negative integer values straight to value ids: in
// logsim's histories values are ids unique across the whole history, and an array
// lookup is several times cheaper than a map's. Value n's slot holds 1 + its id in the
// key that took the slot and 1 + that key's id (its owner); a value whose slot another
// key took goes to the key's map. While every owner fits in 8 bits and every id + 1
// in 24 (logsim's histories have few partitions), a slot holds both in 32 bits;
// otherwise (widen) owners take 16 bits in owners, and keys beyond those use their
// maps. Slots come in chunks allocated when a value in them is first interned, so that
// the table never copies itself to grow nor keeps more than a chunk of spare room. It
// also holds the string values, which keyState.nums refers to by index (see finish).
type valueTable struct {
	slots  [][]uint32 // chunks of slotsPerChunk; nil where no value was interned
	owners [][]uint16 // chunked as slots, once widened; nil before
	count  int        // values interned, to bound the chunks
	strs   []string
}

// slotBits sets the slots per chunk of valueTable (16 KB a chunk).
const (
	slotBits      = 12
	slotsPerChunk = 1 << slotBits
	slotMask      = slotsPerChunk - 1
)

// A slot of a table not widened is owner<<slotIDBits | 1+id.
const (
	slotIDBits = 24
	slotIDMask = 1<<slotIDBits - 1
)

// entry returns the owner and 1 + the value id in integer value n's slot: zeros when
// it has none.
func (t *valueTable) entry(n int64) (own, id1 uint32) {
	c := n >> slotBits
	if n < 0 || c >= int64(len(t.slots)) || t.slots[c] == nil {
		return 0, 0
	}
	s := t.slots[c][n&slotMask]
	if t.owners == nil {
		return s >> slotIDBits, s & slotIDMask
	}
	return uint32(t.owners[c][n&slotMask]), s
}

// claim gives integer value n's slot to value id of key kid if the slot is free and
// within reach of the values interned so far (ids are dense in logsim's histories;
// values far beyond, or negative, go to the keys' maps), allocating its chunk, and
// reports whether it did.
func (t *valueTable) claim(n int64, kid, id int32) bool {
	own, id1 := uint32(kid)+1, uint32(id)+1
	if n < 0 || own > 0xffff {
		return false
	}
	c, j := int(n>>slotBits), n&slotMask
	if c >= len(t.slots) || t.slots[c] == nil {
		if n >= 2*int64(t.count)+1<<16 {
			return false
		}
		for len(t.slots) <= c {
			t.slots = append(t.slots, nil)
			if t.owners != nil {
				t.owners = append(t.owners, nil)
			}
		}
		t.slots[c] = make([]uint32, slotsPerChunk)
		if t.owners != nil {
			t.owners[c] = make([]uint16, slotsPerChunk)
		}
	}
	if t.slots[c][j] != 0 {
		return false
	}
	if t.owners == nil && (own > 0xff || id1 > slotIDMask) {
		t.widen()
	}
	if t.owners == nil {
		t.slots[c][j] = own<<slotIDBits | id1
		return true
	}
	t.slots[c][j], t.owners[c][j] = id1, uint16(own)
	return true
}

// widen moves the owners out of the slots, for an owner or an id that does not fit
// beside the other.
func (t *valueTable) widen() {
	t.owners = make([][]uint16, len(t.slots))
	for c, slots := range t.slots {
		if slots == nil {
			continue
		}
		owners := make([]uint16, slotsPerChunk)
		for j, s := range slots {
			owners[j], slots[j] = uint16(s>>slotIDBits), s&slotIDMask
		}
		t.owners[c] = owners
	}
}

// finish builds every key's nums once the history is complete: the slots and the
// maps know each value's number, the Builder's tables do not keep it.
func (t *valueTable) finish(keys []*keyState) {
	for _, k := range keys {
		k.nums = make([][]uint32, len(k.flags))
		for c, fl := range k.flags {
			k.nums[c] = make([]uint32, len(fl))
		}
		for n, id := range k.ints {
			k.nums[id>>valBits][id&(valsPerChunk-1)] = uint32(n)
		}
		for str, id := range k.strs {
			k.nums[id>>valBits][id&(valsPerChunk-1)] = uint32(len(t.strs))
			t.strs = append(t.strs, str)
		}
	}
	for c, slots := range t.slots {
		for j, s := range slots {
			if s == 0 {
				continue
			}
			n := int64(c<<slotBits + j)
			own, id1 := t.entry(n)
			id := int32(id1) - 1
			keys[own-1].nums[id>>valBits][id&(valsPerChunk-1)] = uint32(n)
		}
	}
	// No value is interned from now on: what finds ids by value can go.
	t.slots, t.owners = nil, nil
	for _, k := range keys {
		k.ints, k.strs = nil, nil
	}
}

// grownLen returns the length to which an array indexed by offsets (or ids) grows to
// hold index i: at least twice its length cur and minLen, and at once the expected
// length hint when it is needed half way (most arrays then never regrow nor keep
// spare room). It returns 0 when i is in the array already or too far for it: beyond
// 2n+slack, n the entries added so far, as the array must stay within a few times
// what it holds (such far indices go to a map).
func grownLen(cur int, i int64, n int, slack int64, minLen, hint int) int {
	if i < int64(cur) || i >= 2*int64(n)+slack {
		return 0
	}
	size := max(2*cur, int(i)+1, minLen)
	if 2*size >= hint {
		size = max(size, hint)
	}
	return size
}

// lookup returns the id of a known value (-1 if unknown).
func (k *keyState) lookup(v history.Value) int32 {
	if !v.IsString() {
		if own, id1 := k.values.entry(v.Int()); id1 != 0 && own == uint32(k.kid)+1 {
			return int32(id1) - 1
		}
	}
	var id int32
	var ok bool
	if v.IsString() {
		id, ok = k.strs[v.Str()]
	} else {
		id, ok = k.ints[v.Int()]
	}
	if !ok {
		return -1
	}
	return id
}

// intern returns the id of a value, adding it if needed.
func (k *keyState) intern(v history.Value) int32 {
	id := k.lookup(v)
	if id >= 0 {
		return id
	}
	t := k.values
	id = k.nInfo
	flags := uint8(0)
	n := v.Int()
	switch {
	case v.IsString():
		if k.strs == nil {
			k.strs = map[string]int32{}
		}
		k.strs[v.Str()] = id
		n, flags = 0, valStr
	default:
		if t.claim(n, k.kid, id) {
			break
		}
		if k.ints == nil {
			k.ints = map[int64]int32{}
		}
		k.ints[n] = id
	}
	t.count++
	if hi := int32(n >> 32); hi != 0 {
		flags |= valWide
		if k.numHi == nil {
			k.numHi = map[int32]int32{}
		}
		k.numHi[id] = hi
	}
	if c := int(id >> valBits); c == len(k.flags) {
		size := valsPerChunk
		if c == 0 {
			size = 8 // keys with few values stay small
		}
		k.flags = append(k.flags, make([]uint8, 0, size))
	}
	k.flags[id>>valBits] = append(k.flags[id>>valBits], flags)
	k.nInfo++
	return id
}

// valBits sets the values per chunk of keyState.info.
const (
	valBits      = 12
	valsPerChunk = 1 << valBits
)

// vi returns the valInfo of value id.
func (k *keyState) vi(id int32) *valInfo { return &k.info[id>>valBits][id&(valsPerChunk-1)] }

// nVals is the number of values of the key.
func (k *keyState) nVals() int32 { return k.nInfo }

// first returns the earliest dense index at which value id appears, or -1 (once
// buildOrder has run).
func (k *keyState) first(id int32) int32 { return k.firsts[id>>valBits][id&(valsPerChunk-1)] }

// fl returns the flags of value id.
func (k *keyState) fl(id int32) *uint8 { return &k.flags[id>>valBits][id&(valsPerChunk-1)] }

// value returns the value with id.
func (k *keyState) value(id int32) history.Value {
	if *k.fl(id)&valStr != 0 {
		return history.String(k.values.strs[k.num(id)])
	}
	return history.Int(k.num(id))
}

// noteSend files the flags of a send of value id (offset off) on a line of type t,
// as the Builder adds it: the writer itself is found by replayWrites. It reports
// whether the value was read before.
func (k *keyState) noteSend(id int32, t history.Type, off int64) (readBefore bool) {
	fl := k.fl(id)
	readBefore = *fl&valRead != 0
	if t == history.Fail || t == history.Info || (t == history.OK && off < 0) {
		*fl |= valFindReader
	}
	*fl |= valWritten
	return readBefore
}

// newValInfos allocates every value's valInfo, without a writer, once the history
// is complete: replayWrites files the writers.
func (a *analysis) newValInfos() {
	for _, k := range a.keys {
		k.info = make([][]valInfo, len(k.flags))
		for c, fl := range k.flags {
			info := make([]valInfo, len(fl))
			for j := range info {
				info[j].writer = noPos
			}
			k.info[c] = info
		}
	}
}

// replayWrites files the sends of the line at pos, of type t, as wrote does. Called
// for every line with sends in history order (by versionOrders), it gives the same
// writers and sendOffs as filing them while the lines were added would.
func (a *analysis) replayWrites(pos int32, t history.Type, sends []rec) {
	for _, r := range sends {
		a.wrote(a.keys[r.key], r.val, pos, t, r.off)
	}
}

// wrote files a send of value id at pos (offset off), as a completion or an invoke.
// The writer is the last completion, or the first invoke of a value never completed.
func (a *analysis) wrote(k *keyState, id, pos int32, t history.Type, off int64) {
	vi := k.vi(id)
	if t == history.Invoke {
		if vi.writer == noPos {
			vi.writer = pos
		}
		return
	}
	if w := vi.writer; w != noPos && w != pos && a.typ(w) != history.Invoke {
		// Completed again: from now on keep the send offset explicitly, as the
		// writer's own records no longer tell it.
		if _, ok := k.sendOffs[id]; !ok {
			if k.sendOffs == nil {
				k.sendOffs = map[int32]int64{}
			}
			k.sendOffs[id] = a.sendOffsetIn(w, k.kid, id)
		}
	}
	vi.writer = pos
	if _, ok := k.sendOffs[id]; ok && off >= 0 {
		k.sendOffs[id] = off
	}
}

// sendOffsetIn is the offset the completion at pos last reported for value id of key
// kid, or NoOffset.
func (a *analysis) sendOffsetIn(pos, kid, id int32) int64 {
	off := history.NoOffset
	for _, r := range a.sendsInto(nil, pos) {
		if r.key == kid && r.val == id && r.off >= 0 {
			off = r.off
		}
	}
	return off
}

// sendOffset is the offset reported for value id by the last completion of a send of
// it that reported one, or NoOffset.
func (a *analysis) sendOffset(k *keyState, id int32) int64 {
	if off, ok := k.sendOffs[id]; ok {
		return off
	}
	if w := k.vi(id).writer; w != noPos && a.typ(w).IsCompletion() {
		return a.sendOffsetIn(w, k.kid, id)
	}
	return history.NoOffset
}

// observe records that value id was seen at offset.
func (k *keyState) observe(offset int64, id int32) {
	if offset < 0 {
		return
	}
	k.seen++
	// Most keys have one value per offset: the values' count is the hint.
	if size := grownLen(len(k.at), offset, k.seen, 1<<12, 256, int(k.nInfo)); size > 0 {
		k.at = append(k.at, make([]int32, size-len(k.at))...)
		for o, id := range k.atFar { // offsets the array covers now move into it
			if o < int64(len(k.at)) {
				k.at[o] = id + 1
				delete(k.atFar, o)
			}
		}
	}
	var first int32
	if offset < int64(len(k.at)) {
		first = k.at[offset] - 1
		if first < 0 {
			k.at[offset] = id + 1
			return
		}
	} else {
		f, ok := k.atFar[offset]
		if !ok {
			if k.atFar == nil {
				k.atFar = map[int64]int32{}
			}
			k.atFar[offset] = id
			return
		}
		first = f
	}
	if first == id {
		return
	}
	if k.more == nil {
		k.more = map[int64][]int32{}
	}
	for _, o := range k.more[offset] {
		if o == id {
			return
		}
	}
	k.more[offset] = append(k.more[offset], id)
}

// firstAt returns the first value seen at offset o (-1 if none).
func (k *keyState) firstAt(o int64) int32 {
	if o < int64(len(k.at)) {
		return k.at[o] - 1
	}
	if id, ok := k.atFar[o]; ok {
		return id
	}
	return -1
}

// buildOrder sorts the offsets seen and gives each value its dense indices. When the
// offsets seen are every offset from the first to the last, all within the array (the
// common case), the order is the array itself: offset i is first+i and its value
// at[first+i]-1, and no list is built.
func (k *keyState) buildOrder() {
	k.firsts = make([][]int32, len(k.flags))
	for c, fl := range k.flags {
		k.firsts[c] = make([]int32, len(fl))
		for j := range k.firsts[c] {
			k.firsts[c][j] = -1
		}
	}
	lo, hi, n := -1, -1, 0
	for o, e := range k.at {
		if e != 0 {
			if lo < 0 {
				lo = o
			}
			hi, n = o, n+1
		}
	}
	if len(k.atFar) == 0 && n == hi-lo+1 {
		k.dense, k.denseBase, k.nOffs = true, int64(max(lo, 0)), int32(n)
		if cap(k.at) > hi+1+(hi+1)/4 { // return the array's growth room
			k.at = slices.Clone(k.at[:hi+1])
		}
	} else {
		k.offsets = make([]int64, 0, n+len(k.atFar))
		for o, e := range k.at {
			if e != 0 {
				k.offsets = append(k.offsets, int64(o))
			}
		}
		if len(k.atFar) > 0 {
			far := make([]int64, 0, len(k.atFar))
			for o := range k.atFar {
				far = append(far, o)
			}
			sort.Slice(far, func(i, j int) bool { return far[i] < far[j] })
			k.offsets = append(k.offsets, far...) // all beyond len(at)
		}
		k.nOffs = int32(len(k.offsets))
		k.byIndex = make([]int32, len(k.offsets))
		for i, o := range k.offsets {
			k.byIndex[i] = k.firstAt(o)
		}
	}
	for i := range k.nOffs {
		k.seenAt(k.rep(i), i, true)
		for _, id := range k.more[k.offset(i)] {
			k.seenAt(id, i, false)
		}
	}
}

// numOffsets is the number of offsets in the version order.
func (k *keyState) numOffsets() int32 { return k.nOffs }

// offset returns the offset at dense index i.
func (k *keyState) offset(i int32) int64 {
	if k.dense {
		return k.denseBase + int64(i)
	}
	return k.offsets[i]
}

// rep returns the value that represents dense index i (the first seen there).
func (k *keyState) rep(i int32) int32 {
	if k.dense {
		return k.at[k.denseBase+int64(i)] - 1
	}
	return k.byIndex[i]
}

// searchOffset returns the first dense index whose offset is o or more.
func (k *keyState) searchOffset(o int64) int32 {
	if k.dense {
		return int32(min(max(o-k.denseBase, 0), int64(k.nOffs)))
	}
	return int32(sort.Search(len(k.offsets), func(i int) bool { return k.offsets[i] >= o }))
}

// seenAt records that value id appears at dense index idx, representing it if rep.
func (k *keyState) seenAt(id, idx int32, rep bool) {
	first, fl := &k.firsts[id>>valBits][id&(valsPerChunk-1)], k.fl(id)
	if *first < 0 {
		*first = idx
		if rep {
			*fl |= valRep
		}
		return
	}
	var m multiInfo
	if *fl&valMulti == 0 {
		*fl |= valMulti
		m = multiInfo{vo: -1, last: *first, n: 1}
		if *fl&valRep != 0 {
			m.vo = *first
		}
		if k.multi == nil {
			k.multi = map[int32]multiInfo{}
		}
	} else {
		m = k.multi[id]
	}
	m.last, m.n = idx, m.n+1
	if rep {
		m.vo = idx
	}
	k.multi[id] = m
}

// idx is the dense index of a value (Jepsen's by-value), or -1.
func (k *keyState) idx(id int32) int32 {
	if id < 0 {
		return -1
	}
	switch fl := *k.fl(id); {
	case fl&valMulti != 0:
		return k.multi[id].vo
	case fl&valRep != 0:
		return k.first(id)
	}
	return -1
}

// last is the latest dense index at which a value appears, or -1.
func (k *keyState) last(id int32) int32 {
	if *k.fl(id)&valMulti != 0 {
		return k.multi[id].last
	}
	return k.first(id)
}

// appearances is the number of offsets at which value id appears.
func (k *keyState) appearances(id int32) int32 {
	switch {
	case *k.fl(id)&valMulti != 0:
		return k.multi[id].n
	case k.first(id) >= 0:
		return 1
	}
	return 0
}

// finalLogStart is the highest log start offset recorded for the key (0 if none).
func (k *keyState) finalLogStart() int64 {
	if len(k.logStarts) == 0 {
		return 0
	}
	return k.logStarts[len(k.logStarts)-1].offset
}

// logStartAt is the log start offset in effect at history position pos.
func (k *keyState) logStartAt(pos int32) int64 {
	i := sort.Search(len(k.logStarts), func(i int) bool { return k.logStarts[i].pos > pos })
	if i == 0 {
		return 0
	}
	return k.logStarts[i-1].offset
}

// truncatedBetween reports whether the key was truncated at a position in (from, to).
func (k *keyState) truncatedBetween(from, to int32) bool {
	i := sort.Search(len(k.truncs), func(i int) bool { return k.truncs[i] > from })
	return i < len(k.truncs) && k.truncs[i] < to
}
