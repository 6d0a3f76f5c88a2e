package checker

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"logsim/checker/history"
)

// lastRef is a process's last operation touching a key, and the last value it
// read or sent there.
type lastRef struct {
	pos int32
	v   int32
	// For the orderWatch: the value's offset, if it is in the version order there
	// (read, or sent by an ok operation); else NoOffset.
	off int64
}

// keyRefs maps keys to lastRefs: a process touches few keys, so a short list
// searched in order beats a map (and each process would need two).
type keyRefs []keyRef

type keyRef struct {
	key int32
	ref lastRef
}

// get returns the entry of key.
func (r keyRefs) get(key int32) (lastRef, bool) {
	for _, e := range r {
		if e.key == key {
			return e.ref, true
		}
	}
	return lastRef{}, false
}

// find returns the index of key's entry, or -1.
func (r keyRefs) find(key int32) int {
	for i, e := range r {
		if e.key == key {
			return i
		}
	}
	return -1
}

// set sets the entry of key.
func (r *keyRefs) set(key int32, ref lastRef) {
	for i := range *r {
		if (*r)[i].key == key {
			(*r)[i].ref = ref
			return
		}
	}
	*r = append(*r, keyRef{key, ref})
}

// keep keeps the entries whose key keep accepts.
func (r *keyRefs) keep(keep func(key int32) bool) {
	*r = slices.DeleteFunc(*r, func(e keyRef) bool { return !keep(e.key) })
}

// procState is what the per-process walks remember about one process.
type procState struct {
	reads       keyRefs
	sends       keyRefs
	subscribed  bool
	assigned    map[int32]bool // keys of the last assign or rebalance
	rebalanced  map[int32]bool // keys whose assignment changed while an op was outstanding
	outstanding bool
}

func newProcState() *procState {
	return &procState{}
}

// keyVals groups one operation's reads or sends by key, in order.
type keyVals struct {
	key  int32
	vals []int32
}

func appendKeyVal(kvs []keyVals, key, v int32) []keyVals {
	for i := range kvs {
		if kvs[i].key == key {
			kvs[i].vals = append(kvs[i].vals, v)
			return kvs
		}
	}
	if len(kvs) < cap(kvs) { // reuse the value slice of an earlier operation
		kvs = kvs[:len(kvs)+1]
		last := &kvs[len(kvs)-1]
		last.key = key
		last.vals = append(last.vals[:0], v)
		return kvs
	}
	return append(kvs, keyVals{key: key, vals: []int32{v}})
}

func topicOf(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return key
}

// rebalance applies a rebalance event to the order state of the process it names: its
// reads of keys it no longer owns are forgotten, and keys it lost or gained while an
// operation was outstanding are marked rebalanced.
func (a *analysis) rebalance(ps *procState, assigned []string) {
	next := map[int32]bool{}
	for _, k := range assigned {
		next[a.key(k).kid] = true
	}
	if ps.outstanding {
		if ps.rebalanced == nil {
			ps.rebalanced = map[int32]bool{}
		}
		for k := range ps.assigned {
			ps.rebalanced[k] = true
		}
		for k := range next {
			ps.rebalanced[k] = true
		}
	}
	ps.reads.keep(func(k int32) bool { return next[k] })
	ps.assigned = next
}

// rescope applies an assign or subscribe to a process's order state: the keys it
// gives up are forgotten, a seek to the beginning forgets every read, and an assign
// records the keys the process may read.
func (a *analysis) rescope(ps *procState, op *history.Op) {
	a.keepKeys(&ps.reads, op)
	a.keepKeys(&ps.sends, op)
	if op.SeekToBeginning {
		ps.reads = ps.reads[:0]
	}
	ps.subscribed = op.F == history.FSubscribe
	if op.F == history.FAssign {
		ps.assigned = map[int32]bool{}
		for _, k := range op.Keys {
			ps.assigned[a.key(k).kid] = true
		}
	}
}

// keepKeys keeps the entries of m for keys named by op: keys of an assign, or keys of
// the subscribed topics (a subscribe names topics; Jepsen's names keys, so both match).
func (a *analysis) keepKeys(m *keyRefs, op *history.Op) {
	names := map[string]bool{}
	for _, k := range op.Keys {
		names[k] = true
	}
	m.keep(func(id int32) bool {
		name := a.keys[id].name
		return names[name] || (op.F == history.FSubscribe && names[topicOf(name)])
	})
}

// processOrderWalk walks each process's operations in history order and finds
// poll-skip, nonmonotonic-poll, nonmonotonic-send and the internal (within one
// operation) int-poll-skip, int-nonmonotonic-poll, int-send-skip and
// int-nonmonotonic-send (as the orderWatch does while lines are added).
func (a *analysis) processOrderWalk() {
	var rbuf, sbuf []rec // records of the line at hand (see readsOf)
	// Per process id (lineTable.procVals), then ids for processes named only by
	// rebalance events.
	procs := make([]*procState, len(a.procVals))
	procAt := func(id int32) *procState {
		ps := procs[id]
		if ps == nil {
			ps = newProcState()
			procs[id] = ps
		}
		return ps
	}
	ids := a.procIndex()
	proc := func(p int64) *procState {
		id, ok := ids[p]
		if !ok {
			id = int32(len(procs))
			ids[p] = id
			procs = append(procs, nil)
		}
		return procAt(id)
	}
	var reads, sends []keyVals
	for pos := range a.n() {
		typ, f := a.tf(pos)
		if typ == history.Event {
			if op := a.rare[pos]; op.F == history.FRebalance && op.Rebalance != nil {
				a.rebalance(proc(op.Rebalance.Process), op.Rebalance.Assigned)
			}
			continue
		}
		ps := procAt(a.procID(pos))
		if typ == history.Invoke {
			ps.outstanding = true
			ps.rebalanced = nil
			continue
		}
		ps.outstanding = false
		switch f {
		case fCrash:
			procs[a.procID(pos)] = newProcState()
			continue
		case fAssign, fSubscribe:
			if typ == history.Fail {
				continue
			}
			a.rescope(ps, a.rare[pos])
			continue
		case fSend, fPoll, fTxn:
		default:
			continue
		}
		reads, sends = reads[:0], sends[:0]
		for _, r := range a.sendsOf(&sbuf, pos) {
			sends = appendKeyVal(sends, r.key, r.val)
		}
		for _, r := range a.readsOf(&rbuf, pos) {
			reads = appendKeyVal(reads, r.key, r.val)
		}
		for _, kv := range reads {
			a.pollOrder(ps, pos, kv)
			a.intraOrder(pos, kv, true, ps.rebalanced[kv.key])
		}
		for _, kv := range sends {
			a.intraOrder(pos, kv, false, false)
			if typ != history.Fail {
				a.sendOrder(ps, pos, kv)
			}
		}
		if typ == history.OK {
			for _, kv := range reads {
				ps.reads.set(kv.key, lastRef{pos: pos, v: kv.vals[len(kv.vals)-1]})
			}
		}
		if typ != history.Fail {
			for _, kv := range sends {
				ps.sends.set(kv.key, lastRef{pos: pos, v: kv.vals[len(kv.vals)-1]})
			}
		}
	}
}

// skippedValues returns the values at dense indices (from, to), at most limit of them.
func (k *keyState) skippedValues(from, to int32, limit int) []history.Value {
	var out []history.Value
	for i := from + 1; i < to && len(out) < limit; i++ {
		out = append(out, k.value(k.rep(i)))
	}
	return out
}

const maxSkippedListed = 1000

// pollOrder compares where a poll of a key began with where the process's previous
// ok poll of that key ended.
func (a *analysis) pollOrder(ps *procState, pos int32, kv keyVals) {
	last, ok := ps.reads.get(kv.key)
	if !ok {
		return
	}
	a.pollPair(last, ps.subscribed, pos, kv.key, kv.vals[0])
}

// pollPair compares the first value v2 of key kid that the poll at pos read with the
// value last ended at by the process's previous ok poll of that key; subscribed
// tells whether the process was subscribed.
func (a *analysis) pollPair(last lastRef, subscribed bool, pos, kid, v2 int32) {
	k := a.keys[kid]
	v := last.v
	i, i2 := k.idx(v), k.idx(v2)
	if i < 0 || i2 < 0 || i2-i == 1 {
		return
	}
	delta := int(i2 - i)
	excuse := ""
	switch {
	case subscribed:
		excuse = "subscribed"
	case k.truncatedBetween(last.pos, pos):
		excuse = "truncated"
	}
	ops := []int64{a.opIndex(last.pos), a.opIndex(pos)}
	if delta > 1 {
		if k.offset(i2-1) < k.logStartAt(pos) {
			// Retention deleted every skipped record: the consumer could not read them.
			// Any that nobody read are expired-unconsumed; this is not a poll-skip.
			return
		}
		skipped := k.skippedValues(i, i2, maxSkippedListed)
		a.add(TypePollSkip, &Anomaly{
			Key: k.name, Delta: ptr(delta), Skipped: skipped, Ops: ops, Excused: excuse,
			Explanation: fmt.Sprintf("Process %d's poll of %s ended at value %s (offset %d, %s); its next poll began at value %s (offset %d, %s), skipping %s known to exist (values %s)%s.",
				a.process(pos), k.name, k.value(v), k.offset(i), a.describe(last.pos), k.value(v2), k.offset(i2), a.describe(pos), plural(delta-1, "record"), joinLimited(skipped, 8), excuseText(excuse)),
		})
		return
	}
	a.add(TypeNonmonotonicPoll, &Anomaly{
		Key: k.name, Values: []history.Value{k.value(v), k.value(v2)}, Delta: ptr(delta), Ops: ops, Excused: excuse,
		Explanation: fmt.Sprintf("Process %d's poll of %s ended at value %s (offset %d, %s); its next poll began at value %s (offset %d, %s), going back %s without a new assignment%s.",
			a.process(pos), k.name, k.value(v), k.offset(i), a.describe(last.pos), k.value(v2), k.offset(i2), a.describe(pos), plural(1-delta, "record"), excuseText(excuse)),
	})
}

func excuseText(excuse string) string {
	switch excuse {
	case "subscribed":
		return " (allowed: the consumer was subscribed, so rebalances may move its position)"
	case "truncated":
		return " (excused: the partition was truncated in between)"
	case "rebalanced":
		return " (excused: the consumer was rebalanced during the operation)"
	}
	return ""
}

// sendOrder compares a process's first send to a key in an operation with its last
// send to that key in an earlier operation.
func (a *analysis) sendOrder(ps *procState, pos int32, kv keyVals) {
	last, ok := ps.sends.get(kv.key)
	if !ok {
		return
	}
	a.sendPair(last, pos, kv.key, kv.vals[0])
}

// sendPair compares the first value v2 of key kid that the operation at pos sent
// with the value last its process sent there in an earlier operation.
func (a *analysis) sendPair(last lastRef, pos, kid, v2 int32) {
	k := a.keys[kid]
	v := last.v
	i, i2 := k.idx(v), k.idx(v2)
	if i < 0 || i2 < 0 || i2 > i {
		return
	}
	a.add(TypeNonmonotonicSend, &Anomaly{
		Key: k.name, Values: []history.Value{k.value(v), k.value(v2)}, Delta: ptr(int(i2 - i)),
		Ops: []int64{a.opIndex(last.pos), a.opIndex(pos)},
		Explanation: fmt.Sprintf("Process %d sent value %s to %s (%s), which landed at offset %d, then sent value %s (%s), which landed earlier, at offset %d: one producer's records were reordered.",
			a.process(pos), k.value(v), k.name, a.describe(last.pos), k.offset(i), k.value(v2), a.describe(pos), k.offset(i2)),
	})
}

// intraOrder checks consecutive reads (or sends) of one key within one operation.
func (a *analysis) intraOrder(pos int32, kv keyVals, isRead, rebalanced bool) {
	k := a.keys[kv.key]
	if len(kv.vals) < 2 {
		return
	}
	i2 := k.idx(kv.vals[0])
	for j := 1; j < len(kv.vals); j++ {
		i := i2 // each value's index is looked up once
		i2 = k.idx(kv.vals[j])
		a.intraPair(pos, k, kv.vals[j-1], kv.vals[j], i, i2, isRead, rebalanced)
	}
}

// intraPair checks consecutive reads (or sends) v and v2 of key k within the
// operation at pos, whose dense indices are i and i2.
func (a *analysis) intraPair(pos int32, k *keyState, v, v2, i, i2 int32, isRead, rebalanced bool) {
	if i < 0 || i2 < 0 || i2-i == 1 {
		return
	}
	if isRead && rebalanced {
		return // Jepsen: a rebalance during the op voids offset assumptions
	}
	delta := int(i2 - i)
	values := []history.Value{k.value(v), k.value(v2)}
	what := "sends"
	if isRead {
		what = "reads"
	}
	if delta > 1 {
		skipped := k.skippedValues(i, i2, maxSkippedListed)
		t := TypeIntSendSkip
		text := fmt.Sprintf("Within %s, consecutive sends to %s of values %s and %s landed at offsets %d and %d, with %s from others in between (values %s).",
			a.describe(pos), k.name, values[0], values[1], k.offset(i), k.offset(i2), plural(delta-1, "record"), joinLimited(skipped, 8))
		if isRead {
			t = TypeIntPollSkip
			text = fmt.Sprintf("Within %s, consecutive reads of %s returned values %s (offset %d) and %s (offset %d), skipping %s known to exist (values %s).",
				a.describe(pos), k.name, values[0], k.offset(i), values[1], k.offset(i2), plural(delta-1, "record"), joinLimited(skipped, 8))
		}
		a.add(t, &Anomaly{Key: k.name, Values: values, Delta: ptr(delta), Skipped: skipped, Op: ptr(a.opIndex(pos)), Explanation: text})
		return
	}
	t := TypeIntNonmonotonicSend
	if isRead {
		t = TypeIntNonmonotonicPoll
	}
	a.add(t, &Anomaly{
		Key: k.name, Values: values, Delta: ptr(delta), Op: ptr(a.opIndex(pos)),
		Explanation: fmt.Sprintf("Within %s, consecutive %s of %s went backwards: value %s is at offset %d but the next, %s, is at offset %d.",
			a.describe(pos), what, k.name, values[0], k.offset(i), values[1], k.offset(i2)),
	})
}

// realtimeSendOrderWalk finds, per partition, an ok send that began after another ok
// send to the same partition had completed, yet got a lower offset, with no truncation
// of the partition in between. A pair is also excused when the earlier record's
// offset was truncated away at any later time: a leader that was cut off keeps
// assigning offsets its successor reuses, and learns so (and truncates) only when it
// rejoins, after the later send. That record is a lost write, reported as such. It
// walks the whole history, as the sendOrderWatch does while lines are added, for a
// history whose candidates that watch could not keep.
func (a *analysis) realtimeSendOrderWalk() {
	var sbuf []rec                     // sends of the line at hand (see sendsOf)
	cuts := make([][]cut, len(a.keys)) // truncations per key, in history order
	for i := range a.n() {
		if a.typ(i) == history.Event && a.fc(i) == fTruncate {
			for _, rc := range a.rare[i].Replicas {
				id := a.keyID[rc.Key]
				cuts[id] = append(cuts[id], cut{pos: i, offset: rc.Offset})
			}
		}
	}
	maxAck := make([]ack, len(a.keys))
	for i := range maxAck {
		maxAck[i].offset = -1
	}
	truncs := make([]int32, len(a.keys))
	// Per process id, the snapshot taken at its outstanding invoke (buffers reused:
	// this runs once per send).
	snaps := make([][]keyAck, len(a.procVals))
	var reported []int32 // keys reported for the current operation
	for pos := range a.n() {
		typ, f := a.tf(pos)
		switch {
		case typ == history.Event:
			if f == fTruncate {
				for _, rc := range a.rare[pos].Replicas {
					id := a.keyID[rc.Key]
					truncs[id]++
					maxAck[id] = ack{offset: -1}
				}
			}
			continue
		case f != fSend && f != fTxn:
			continue
		}
		pid := a.procID(pos)
		if typ == history.Invoke {
			snap := snaps[pid][:0]
			for _, r := range a.sendsOf(&sbuf, pos) {
				id := r.key
				if maxAck[id].offset >= 0 {
					snap = append(snap, keyAck{key: id, offset: maxAck[id].offset, pos: maxAck[id].pos, v: maxAck[id].v, trunc: truncs[id]})
				}
			}
			snaps[pid] = snap
			continue
		}
		snap := snaps[pid]
		snaps[pid] = snap[:0]
		if typ != history.OK {
			continue
		}
		reported = reported[:0]
		sends := a.sendsOf(&sbuf, pos)
		for _, r := range sends {
			if r.off < 0 {
				continue
			}
			id := r.key
			for _, s := range snap {
				if s.key != id || s.offset <= r.off || s.trunc != truncs[id] || slices.Contains(reported, id) || truncatedLater(cuts[id], s.pos, s.offset) {
					continue
				}
				reported = append(reported, id)
				k := a.keys[id]
				v := k.value(r.val)
				a.add(TypeRealtimeSendOrder, &Anomaly{
					Key: k.name, Values: []history.Value{k.value(s.v), v}, Offsets: []int64{s.offset, r.off},
					Ops: []int64{a.opIndex(s.pos), a.opIndex(pos)},
					Explanation: fmt.Sprintf("Value %s was acknowledged at offset %d of %s (%s) before value %s was sent (%s), yet %s got the lower offset %d: acknowledged sends to one partition were reordered in real time.",
						k.value(s.v), s.offset, k.name, a.describe(s.pos), v, a.describe(pos), v, r.off),
				})
			}
		}
		for _, r := range sends {
			if r.off > maxAck[r.key].offset {
				maxAck[r.key] = ack{offset: r.off, pos: pos, v: r.val}
			}
		}
	}
}

// groups checks at-least-once delivery of each consumer group that commits offsets:
// every record from the group's start up to its final committed offset that some
// consumer read must have been returned to some member of the group. It also counts
// redeliveries.
func (a *analysis) groups() {
	type gk struct {
		group string
		key   int32
	}
	type commitState struct {
		first, last int64
		pos         int32
	}
	procGroup := make([]string, len(a.procVals)) // per process id; "" for none
	recv := map[gk]*offsetCounts{}
	commits := map[gk]*commitState{}
	next := 0        // the next entry of groupPos: lines come in order
	var kos []keyOff // a commit's offsets (see offsetsOf)
	// Nothing here is about sends: completions of everything else.
	a.scan(linesOf(completionTypes, fPoll, fTxn, fAssign, fSubscribe, fCommit, fCrash), func(i int32, tf uint8) {
		typ, f := history.Type(tf>>4&7), fCode(tf&0xf)
		for next < len(a.groupPos) && a.groupPos[next] < i { // a send's
			next++
		}
		opGroup := ""
		if next < len(a.groupPos) && a.groupPos[next] == i {
			opGroup = a.groupNames[a.groupID[next]]
			next++
		}
		proc := a.procID(i)
		g := opGroup
		if g == "" {
			g = procGroup[proc]
		}
		switch f {
		case fSubscribe:
			if typ != history.Fail && opGroup != "" {
				procGroup[proc] = opGroup
			}
		case fAssign, fCrash:
			if typ != history.Fail {
				procGroup[proc] = ""
			}
		case fCommit:
			if typ != history.OK || g == "" {
				return
			}
			kos = a.offsetsOf(kos[:0], i)
			for _, ko := range kos {
				id := ko.key
				c := commits[gk{g, id}]
				if c == nil {
					c = &commitState{first: ko.off}
					commits[gk{g, id}] = c
				}
				c.last, c.pos = ko.off, i
			}
		case fPoll, fTxn:
			if typ != history.OK || g == "" {
				return
			}
			// Only offsets count: a run's are consecutive (its values are not needed).
			s := a.readRuns(i)
			for p := 0; p < len(s); {
				key, first, vp, end := readRun(s, p)
				p = end
				if first < 0 {
					continue
				}
				m := recv[gk{g, key}]
				if m == nil {
					// Sized for the key's offsets from here on: no regrowth.
					k := a.keys[key]
					m = &offsetCounts{hint: int(k.numOffsets() - k.searchOffset(first))}
					recv[gk{g, key}] = m
				}
				for o, last := first, runLast(first, runCount(s[vp:end])); o <= last; o++ {
					m.add(o)
				}
			}
		}
	})
	redeliveries := map[string]int{}
	for g, m := range recv {
		m.each(func(_ int64, n int32) {
			if n > 1 {
				redeliveries[g.group] += int(n - 1)
			}
		})
	}
	if len(redeliveries) > 0 {
		a.res.Stats.Redeliveries = redeliveries
	}
	list := make([]gk, 0, len(commits))
	for g := range commits {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].group != list[j].group {
			return list[i].group < list[j].group
		}
		return a.keys[list[i].key].name < a.keys[list[j].key].name
	})
	for _, g := range list {
		c := commits[g]
		k := a.keys[g.key]
		got := recv[g]
		start := c.first
		got.each(func(o int64, _ int32) { start = min(start, o) })
		start = max(start, k.finalLogStart())
		var offs []int64
		var vals []history.Value
		for i := k.searchOffset(start); i < k.numOffsets() && k.offset(i) < c.last; i++ {
			o := k.offset(i)
			// Only records some consumer did read: a record nobody ever read is a
			// lost-write or unseen matter, not this group's.
			if got.get(o) == 0 && k.okRead(k.rep(i)) {
				offs = append(offs, o)
				vals = append(vals, k.value(k.rep(i)))
			}
		}
		if len(offs) == 0 {
			continue
		}
		n := len(offs)
		if n > maxSkippedListed {
			offs, vals = offs[:maxSkippedListed], vals[:maxSkippedListed]
		}
		a.add(TypeGroupLoss, &Anomaly{
			Group: g.group, Key: k.name, Count: ptr(n), Offsets: offs, Values: vals, Op: ptr(a.opIndex(c.pos)),
			Explanation: fmt.Sprintf("Consumer group %q committed offset %d of %s (%s), but no member of the group ever received %s below it (offsets %s; values %s): the group skipped them.",
				g.group, c.last, k.name, a.describe(c.pos), plural(n, "record"), joinLimited(offs, 8), joinLimited(vals, 8)),
		})
	}
}

// offsetCounts counts deliveries per offset: in an array from the first offset added
// (a group reads a partition's offsets densely), in a map outside it. The array
// counts up to maxDense (most offsets are delivered once or a few times), the map
// over the rest.
type offsetCounts struct {
	base  int64
	dense []uint8
	far   map[int64]int32 // counts outside the array, and beyond maxDense within it
	adds  int             // to bound the array
	hint  int             // the array's expected length, taken once half of it is needed
}

// maxDense is the highest count offsetCounts.dense holds.
const maxDense = math.MaxUint8

// add counts a delivery of offset o.
func (c *offsetCounts) add(o int64) {
	if c.adds == 0 {
		c.base = o
	}
	c.adds++
	i := o - c.base
	if size := grownLen(len(c.dense), i, c.adds, 1<<12, 64, c.hint); size > 0 {
		old := int64(len(c.dense))
		c.dense = append(c.dense, make([]uint8, size-len(c.dense))...)
		for o, n := range c.far { // offsets the array covers now move into it
			if j := o - c.base; j >= old && j < int64(len(c.dense)) {
				c.dense[j] = uint8(min(n, maxDense))
				if n -= maxDense; n > 0 {
					c.far[o] = n
				} else {
					delete(c.far, o)
				}
			}
		}
	}
	if i >= 0 && i < int64(len(c.dense)) && c.dense[i] < maxDense {
		c.dense[i]++
		return
	}
	if c.far == nil {
		c.far = map[int64]int32{}
	}
	c.far[o]++
}

// get returns the count of offset o (0 for a nil c).
func (c *offsetCounts) get(o int64) int32 {
	if c == nil {
		return 0
	}
	if i := o - c.base; i >= 0 && i < int64(len(c.dense)) && c.dense[i] < maxDense {
		return int32(c.dense[i])
	} else if i >= 0 && i < int64(len(c.dense)) {
		return maxDense + c.far[o]
	}
	return c.far[o]
}

// each calls fn for every offset counted (not in order).
func (c *offsetCounts) each(fn func(o int64, n int32)) {
	if c == nil {
		return
	}
	for i, n := range c.dense {
		switch o := c.base + int64(i); n {
		case 0:
		case maxDense:
			fn(o, maxDense+c.far[o])
		default:
			fn(o, int32(n))
		}
	}
	for o, n := range c.far {
		if i := o - c.base; i < 0 || i >= int64(len(c.dense)) {
			fn(o, n)
		}
	}
}
