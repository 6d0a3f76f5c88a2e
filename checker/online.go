package checker

import (
	"fmt"
	"slices"

	"logsim/checker/history"
)

// sendOrderWatch runs realtime-send-order's walk while the Builder adds lines:
// whether a send began after another send to its partition was acknowledged at a
// higher offset, with no truncation in between, is known when its completion is
// added. Whether a truncation later removed the earlier record is not: such pairs
// are kept as candidates, which Result reports unless a later truncation excuses
// them (see realtimeSendOrder).
type sendOrderWatch struct {
	maxAck []ack // per key, the highest acknowledged send since its last truncation
	// snaps holds, per process id, what maxAck said at its outstanding invoke of the
	// keys it sends to (buffers reused: this runs once per send).
	snaps [][]keyAck
	cuts  [][]cut // per key, its truncations
	cands []sendCand
	// overflow is set once the candidates exceed maxSendCands: Result then walks
	// the history as a whole instead (realtimeSendOrderWalk).
	overflow bool
}

// ack is a key's highest acknowledged send: its offset, line and value.
type ack struct {
	offset int64
	pos    int32
	v      int32 // value id
}

// keyAck is a key's ack as an invoke saw it (a snapshot entry).
type keyAck struct {
	key    int32
	offset int64
	pos    int32
	v      int32 // value id
	trunc  int32
}

// cut is a truncation of a key: its line and the offset it truncated to.
type cut struct {
	pos    int32
	offset int64
}

// sendCand is a pair of sends realtime-send-order reports unless a later truncation
// excuses it: the earlier acknowledged at soff (value sv, line spos), the later (line
// pos) acknowledged at the lower roff (value rv).
type sendCand struct {
	pos, spos, key, sv, rv int32
	soff, roff             int64
}

// walkAll makes Result walk the whole history for every analysis that has a walk,
// rather than use what was found while lines were added: for tests, which compare
// the two.
var walkAll = false

// maxSendCands bounds the candidates kept (a variable for tests): at most one per
// operation and key, few in any history but one whose partitions reorder sends all
// the time.
var maxSendCands = 1 << 16

// grow extends the per-key and per-process tables to the keys and processes known.
func (w *sendOrderWatch) grow(a *analysis) {
	if len(w.maxAck) == len(a.keys) && len(w.snaps) == len(a.procVals) {
		return
	}
	for len(w.maxAck) < len(a.keys) {
		w.maxAck = append(w.maxAck, ack{offset: -1})
		w.cuts = append(w.cuts, nil)
	}
	for len(w.snaps) < len(a.procVals) {
		w.snaps = append(w.snaps, nil)
	}
}

// truncs is how many truncations key id has had so far.
func (w *sendOrderWatch) truncs(id int32) int32 { return int32(len(w.cuts[id])) }

// truncate files a truncate event at pos.
func (w *sendOrderWatch) truncate(a *analysis, op *history.Op, pos int32) {
	w.grow(a)
	for _, rc := range op.Replicas {
		id := a.keyID[rc.Key]
		w.cuts[id] = append(w.cuts[id], cut{pos: pos, offset: rc.Offset})
		w.maxAck[id] = ack{offset: -1}
	}
}

// invoke files a send or txn invoke of process id pid with the given sends.
func (w *sendOrderWatch) invoke(a *analysis, pid int32, sends []rec) {
	if len(w.maxAck) < len(a.keys) || len(w.snaps) < len(a.procVals) {
		w.grow(a)
	}
	snap := w.snaps[pid][:0]
	for _, r := range sends {
		if m := w.maxAck[r.key]; m.offset >= 0 {
			snap = append(snap, keyAck{key: r.key, offset: m.offset, pos: m.pos, v: m.v, trunc: w.truncs(r.key)})
		}
	}
	w.snaps[pid] = snap
}

// completion files a send or txn completion at pos of process id pid, of type typ,
// with the given sends.
func (w *sendOrderWatch) completion(a *analysis, pid, pos int32, typ history.Type, sends []rec) {
	if len(w.maxAck) < len(a.keys) || len(w.snaps) < len(a.procVals) {
		w.grow(a)
	}
	snap := w.snaps[pid]
	w.snaps[pid] = snap[:0]
	if typ != history.OK {
		return
	}
	if len(snap) > 0 && !w.overflow {
		first := len(w.cands)
		for _, r := range sends {
			if r.off < 0 {
				continue
			}
			id := r.key
			for _, s := range snap {
				// Every entry of a key in the snapshot is the same (maxAck at the
				// invoke): the first send it precedes is the one reported, if any.
				if s.key != id || s.offset <= r.off || s.trunc != w.truncs(id) || w.candFor(first, id) {
					continue
				}
				w.cands = append(w.cands, sendCand{pos: pos, spos: s.pos, key: id, sv: s.v, rv: r.val, soff: s.offset, roff: r.off})
			}
		}
		if len(w.cands) > maxSendCands {
			w.overflow, w.cands = true, nil
		}
	}
	for _, r := range sends {
		if r.off > w.maxAck[r.key].offset {
			w.maxAck[r.key] = ack{offset: r.off, pos: pos, v: r.val}
		}
	}
}

// candFor reports whether the candidates from first on (the operation's) name key.
func (w *sendOrderWatch) candFor(first int, key int32) bool {
	for _, c := range w.cands[first:] {
		if c.key == key {
			return true
		}
	}
	return false
}

// realtimeSendOrder reports the candidates of the sendOrderWatch, in history order,
// that no later truncation excuses: one that removed the earlier record's offset
// after it was acknowledged.
func (a *analysis) realtimeSendOrder() {
	w := a.sendWatch
	if w.overflow || walkAll {
		a.realtimeSendOrderWalk()
		return
	}
	for _, c := range w.cands {
		if truncatedLater(w.cuts[c.key], c.spos, c.soff) {
			continue
		}
		k := a.keys[c.key]
		v := k.value(c.rv)
		a.add(TypeRealtimeSendOrder, &Anomaly{
			Key: k.name, Values: []history.Value{k.value(c.sv), v}, Offsets: []int64{c.soff, c.roff},
			Ops: []int64{a.opIndex(c.spos), a.opIndex(c.pos)},
			Explanation: fmt.Sprintf("Value %s was acknowledged at offset %d of %s (%s) before value %s was sent (%s), yet %s got the lower offset %d: acknowledged sends to one partition were reordered in real time.",
				k.value(c.sv), c.soff, k.name, a.describe(c.spos), v, a.describe(c.pos), v, c.roff),
		})
	}
}

// truncatedLater reports whether one of a key's truncations cuts, after the line at
// after, removed offset.
func truncatedLater(cuts []cut, after int32, offset int64) bool {
	for _, c := range cuts {
		if c.pos > after && c.offset <= offset {
			return true
		}
	}
	return false
}

// orderWatch runs processOrder's per-process walk while the Builder adds lines. Each
// comparison it makes is of two values of one key: where one ended and the next
// began, or two consecutive values within an operation. Their dense indices are not
// known before the history is complete, but their offsets are, and two values each
// seen at one offset only (no value of the key is seen at several: no duplicate) are
// in order when their offsets are: consecutive reads at offsets o and o+1, a
// process's sends acknowledged at increasing offsets. Only the other pairs (the
// suspects) are kept, in history order, for Result to judge (processOrder); if some
// value turns out to be seen at several offsets, Result walks the whole history
// instead (processOrderWalk).
type orderWatch struct {
	procs []*procState // per process id; nil until its first line
	// early holds the states of processes named by rebalance events before their
	// first line.
	early    map[int64]*procState
	suspects []orderSuspect
	// overflow is set once the suspects exceed their bound (see addSuspect).
	overflow bool
	grouped  []rec   // scratch: a line's records grouped by key
	segs     []int32 // scratch: where each key's records begin in grouped
}

// orderSuspect is one comparison processOrder must judge with the version order.
type orderSuspect struct {
	kind uint8 // suspectPoll, ...
	// flag is whether the process was subscribed (suspectPoll), or rebalanced during
	// the operation (suspectIntraRead).
	flag bool
	pos  int32 // the operation
	key  int32
	last int32 // the earlier operation (suspectPoll, suspectSend)
	v    int32 // the earlier value
	v2   int32 // the later value
}

const (
	suspectPoll = iota
	suspectIntraRead
	suspectIntraSend
	suspectSend
)

// maxSuspects returns the most suspects an orderWatch keeps, with nRecs records
// filed, before it gives up on a history for Result to walk whole: one per 16
// records, and at least 65536 (a variable for tests).
var maxSuspects = func(nRecs int) int { return max(1<<16, nRecs/16) }

// addSuspect keeps a suspect, unless there are too many to keep: a history whose
// offsets are mostly unknown.
func (w *orderWatch) addSuspect(a *analysis, s orderSuspect) {
	if w.overflow {
		return
	}
	if len(w.suspects) >= maxSuspects(a.nRecs) {
		w.overflow, w.suspects = true, nil
		return
	}
	w.suspects = append(w.suspects, s)
}

// state returns the state of process id pid, whose number is process.
func (w *orderWatch) state(pid int32, process int64) *procState {
	for int(pid) >= len(w.procs) {
		w.procs = append(w.procs, nil)
	}
	ps := w.procs[pid]
	if ps == nil {
		if ps = w.early[process]; ps != nil {
			delete(w.early, process)
		} else {
			ps = newProcState()
		}
		w.procs[pid] = ps
	}
	return ps
}

// line files a client line at pos of process id pid (whose number is process):
// sends and reads are its records (for completions of sends, polls and txns).
func (w *orderWatch) line(a *analysis, op *history.Op, pid, pos int32, f fCode, sends, reads []rec) {
	ps := w.state(pid, op.Process)
	typ := op.Type
	if typ == history.Invoke {
		ps.outstanding = true
		ps.rebalanced = nil
		return
	}
	ps.outstanding = false
	switch f {
	case fCrash:
		w.procs[pid] = newProcState()
		return
	case fAssign, fSubscribe:
		if typ == history.Fail {
			return
		}
		a.rescope(ps, op)
		return
	case fSend, fPoll, fTxn:
	default:
		return
	}
	// As processOrder: each key's reads (in the order of their keys' first reads),
	// then each key's sends, then the process's last values.
	if len(reads) > 0 {
		w.reads(a, ps, pos, typ, reads)
	}
	if len(sends) > 0 {
		w.sends(a, ps, pos, typ, sends)
	}
}

// reads files the reads of a poll or txn completion at pos, of type typ, of the
// process whose state is ps.
func (w *orderWatch) reads(a *analysis, ps *procState, pos int32, typ history.Type, reads []rec) {
	reads = w.group(reads)
	rsegs := len(w.segs)
	for j := range rsegs - 1 {
		s, e := w.segs[j], w.segs[j+1]
		key := reads[s].key
		if last, ok := ps.reads.get(key); ok && !(last.off >= 0 && reads[s].off == last.off+1) {
			w.addSuspect(a, orderSuspect{kind: suspectPoll, flag: ps.subscribed, pos: pos, key: key, last: last.pos, v: last.v, v2: reads[s].val})
		}
		for i := s + 1; i < e; i++ {
			if p := reads[i-1].off; !(p >= 0 && reads[i].off == p+1) {
				w.addSuspect(a, orderSuspect{kind: suspectIntraRead, flag: ps.rebalanced[key], pos: pos, key: key, v: reads[i-1].val, v2: reads[i].val})
			}
		}
	}
	if typ == history.OK {
		for j := range rsegs - 1 {
			r := reads[w.segs[j+1]-1]
			ps.reads.set(r.key, lastRef{pos: pos, v: r.val, off: r.off})
		}
	}
}

// sends files the sends of a send or txn completion at pos, of type typ, of the
// process whose state is ps.
func (w *orderWatch) sends(a *analysis, ps *procState, pos int32, typ history.Type, sends []rec) {
	sends = w.group(sends)
	ok := typ == history.OK // its sends are in the version order at their offsets
	for j := range len(w.segs) - 1 {
		s, e := w.segs[j], w.segs[j+1]
		key := sends[s].key
		for i := s + 1; i < e; i++ {
			if p := sends[i-1].off; !(ok && p >= 0 && sends[i].off == p+1) {
				w.addSuspect(a, orderSuspect{kind: suspectIntraSend, pos: pos, key: key, v: sends[i-1].val, v2: sends[i].val})
			}
		}
		if typ == history.Fail {
			continue
		}
		// The process's last send to the key is compared, then replaced (after every
		// key's: a key's entry is not looked at again within the operation).
		j := ps.sends.find(key)
		if j >= 0 {
			if last := ps.sends[j].ref; !(ok && last.off >= 0 && sends[s].off > last.off) {
				w.addSuspect(a, orderSuspect{kind: suspectSend, pos: pos, key: key, last: last.pos, v: last.v, v2: sends[s].val})
			}
		} else {
			j = len(ps.sends)
			ps.sends = append(ps.sends, keyRef{key: key})
		}
		r := sends[e-1]
		off := r.off
		if !ok {
			off = history.NoOffset // not in the version order for certain
		}
		ps.sends[j].ref = lastRef{pos: pos, v: r.val, off: off}
	}
}

// group returns recs with each key's records together, keys in the order of their
// first records (recs itself when they are already), and sets segs to where each
// key's records begin, and then len(recs).
func (w *orderWatch) group(recs []rec) []rec {
	w.segs = w.segs[:0]
	if len(recs) == 1 { // a logsim send's
		w.segs = append(w.segs, 0, 1)
		return recs
	}
	together := true
	for j := range recs {
		if j > 0 && recs[j].key == recs[j-1].key {
			continue
		}
		for _, s := range w.segs {
			if recs[s].key == recs[j].key {
				together = false
			}
		}
		w.segs = append(w.segs, int32(j))
	}
	if !together {
		w.grouped = w.grouped[:0]
		var keys []int32
		for _, s := range w.segs {
			if !slices.Contains(keys, recs[s].key) {
				keys = append(keys, recs[s].key)
			}
		}
		w.segs = w.segs[:0]
		for _, k := range keys {
			w.segs = append(w.segs, int32(len(w.grouped)))
			for _, r := range recs {
				if r.key == k {
					w.grouped = append(w.grouped, r)
				}
			}
		}
		recs = w.grouped
	}
	w.segs = append(w.segs, int32(len(recs)))
	return recs
}

// processOrder judges the suspects of the orderWatch in history order (the other
// comparisons hold), or walks the whole history when that is not enough: a value
// seen at several offsets, or too many suspects.
func (a *analysis) processOrder() {
	w := a.orderWatch
	if w.overflow || walkAll || slices.ContainsFunc(a.keys, func(k *keyState) bool { return len(k.multi) > 0 }) {
		a.processOrderWalk()
		return
	}
	for _, s := range w.suspects {
		switch s.kind {
		case suspectPoll:
			a.pollPair(lastRef{pos: s.last, v: s.v}, s.flag, s.pos, s.key, s.v2)
		case suspectIntraRead, suspectIntraSend:
			k := a.keys[s.key]
			a.intraPair(s.pos, k, s.v, s.v2, k.idx(s.v), k.idx(s.v2), s.kind == suspectIntraRead, s.flag)
		case suspectSend:
			a.sendPair(lastRef{pos: s.last, v: s.v}, s.pos, s.key, s.v2)
		}
	}
}
