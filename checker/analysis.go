package checker

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"logsim/checker/history"
)

// noPos marks a missing history position.
const noPos int32 = -1

// analysis is the state shared by the analyses of one history, filed by a Builder.
type analysis struct {
	// The line table's records are every send micro-operation and every record
	// returned by a poll, with key and value ids resolved once: the analyses iterate
	// these instead of looking values up again.
	lineTable
	opts     Options
	keys     []*keyState
	keyID    map[string]int32
	keyCache [64]*keyState // see keyAndID
	res      *Result
	// maxInstances bounds the instances kept per anomaly type.
	maxInstances int
	values       valueTable      // the value ids of all keys (see valueTable)
	txnBytes     map[int32]int32 // txn lines: the bytes of their data that are sends
	// invokeSends holds the records of send invokes that their completion does not
	// repeat, or that never completed (see lineTable.shareSends), and of txn invokes.
	invokeSends map[int32][]rec
	// rare holds deep copies of the lines whose details some analysis needs beyond
	// their records: assign, subscribe and harness events.
	rare map[int32]*history.Op
	// Consumer groups of completion lines (groupPos ascending, groupID into
	// groupNames): few lines have them.
	groupPos, groupID []int32
	groupNames        []string
	// firstReaders holds the first line that read each value marked valFindReader
	// (filled by versionOrders).
	firstReaders map[keyVal]int32
	// readsAndSends is set when a completion both read and sent, sentAfterRead when
	// a value was read before a send of it was invoked (see acyclicByTime).
	readsAndSends, sentAfterRead bool
	// sendWatch holds what realtime-send-order found while lines were added.
	sendWatch *sendOrderWatch
	// orderWatch holds what process-order found while lines were added.
	orderWatch *orderWatch
}

// keyVal names a value of a key by ids.
type keyVal struct{ key, val int32 }

// firstReader returns the first completion that returned value id of key kid, or
// noPos, for a value marked valFindReader (see scanFirstReader for others).
func (a *analysis) firstReader(kid, id int32) int32 {
	if pos, ok := a.firstReaders[keyVal{kid, id}]; ok {
		return pos
	}
	return noPos
}

// scanFirstReader returns the first completion that returned value id of key kid, or
// noPos, searching the history: for lost-write's example of a read, once per key.
func (a *analysis) scanFirstReader(kid, id int32) int32 {
	if *a.keys[kid].fl(id)&valRead == 0 {
		return noPos
	}
	for pos := range a.n() {
		if t := a.typ(pos); t != history.Invoke && t != history.Event {
			if _, found := a.findRead(pos, kid, id); found {
				return pos
			}
		}
	}
	return noPos
}

// rec is one sent or read record with interned key and value.
type rec struct {
	key, val int32
	off      int64 // offset, or NoOffset
}

// sendsInto appends the send records of the line at pos to buf and returns it. For
// a send invoke its completion repeats, they are the completion's: the same keys and
// values, with the offsets the completion reported (the invoke's were unknown).
func (a *analysis) sendsInto(buf []rec, pos int32) []rec {
	typ, f := a.tf(pos)
	switch f {
	case fSend:
		if typ == history.Invoke {
			if a.sendsShared(pos) {
				return a.completionSends(buf, a.complOf(pos))
			}
			return append(buf, a.invokeSends[pos]...)
		}
		return a.completionSends(buf, pos)
	case fTxn:
		if typ == history.Invoke {
			return append(buf, a.invokeSends[pos]...)
		}
		return decodeSends(buf, a.dataSpan(pos)[:a.txnBytes[pos]], a.basesOf(pos))
	}
	return buf
}

// sendsOf returns the send records of the line at pos (see sendsInto), decoded into
// *buf, which it reuses: the caller owns the buffer (parallel analyses each have one).
func (a *analysis) sendsOf(buf *[]rec, pos int32) []rec {
	*buf = a.sendsInto((*buf)[:0], pos)
	return *buf
}

// readsInto appends the records the line at pos read (polls and txns) to buf and
// returns it.
func (a *analysis) readsInto(buf []rec, pos int32) []rec {
	return decodeReads(buf, a.readRuns(pos))
}

// readRuns returns the read runs of the line at pos: all of a poll's data, a txn's
// after its sends, none of other lines'.
func (a *analysis) readRuns(pos int32) []byte {
	switch a.fc(pos) {
	case fPoll:
		return a.dataSpan(pos)
	case fTxn:
		return a.dataSpan(pos)[a.txnBytes[pos]:]
	}
	return nil
}

// readsOf returns the records the line at pos read (polls and txns), decoded into
// *buf, which it reuses: the caller owns the buffer (parallel analyses each have one).
func (a *analysis) readsOf(buf *[]rec, pos int32) []rec {
	*buf = a.readsInto((*buf)[:0], pos)
	return *buf
}

// key returns the state of the key named name, adding the key if needed.
func (a *analysis) key(name string) *keyState {
	_, k := a.keyAndID(name)
	return k
}

// keyAndID returns a key's id and state, adding the key if needed.
func (a *analysis) keyAndID(name string) (int32, *keyState) {
	// A small cache indexed by the name's length and last byte catches most lookups
	// (keys such as "orders/7" differ there) before hashing the name; comparing an
	// interned name with itself is one pointer test. (Each parallel analysis has its
	// own copy of analysis, so of this cache.)
	slot := 0
	if n := len(name); n > 0 {
		slot = (n*7 + int(name[n-1])) & (len(a.keyCache) - 1)
	}
	if k := a.keyCache[slot]; k != nil && k.name == name {
		return k.kid, k
	}
	id, ok := a.keyID[name]
	if !ok {
		id = int32(len(a.keys))
		a.keyID[name] = id
		a.keys = append(a.keys, &keyState{name: name, kid: id, values: &a.values})
	}
	a.keyCache[slot] = a.keys[id]
	return id, a.keys[id]
}

// add counts an anomaly of type t and keeps it within maxInstances.
func (a *analysis) add(t string, an *Anomaly) {
	a.res.Stats.AnomalyCounts[t]++
	list := a.res.Anomalies[t]
	if len(list) >= a.maxInstances {
		// Keep the first instances, but never drop one that counts against validity
		// in favour of an excused one.
		if an.Excused != "" {
			return
		}
		for i := len(list) - 1; i >= 0; i-- {
			if list[i].Excused != "" {
				list[i] = an
				return
			}
		}
		return
	}
	a.res.Anomalies[t] = append(list, an)
}

// job is one analysis that only reads the shared state filed by the Builder and
// versionOrders, and reports into its own Result.
type job struct {
	name string
	fn   func(*analysis)
}

// parallel runs independent analyses on the available cores and merges what they
// found in a fixed order (each anomaly type comes from one analysis), so that the
// result does not depend on scheduling.
func (a *analysis) parallel(jobs []job) {
	subs := make([]analysis, len(jobs))
	ms := make([]int64, len(jobs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, j := range jobs {
		subs[i] = *a
		subs[i].res = &Result{Anomalies: map[string][]*Anomaly{}, Stats: Stats{AnomalyCounts: map[string]int{}}}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			j.fn(&subs[i])
			ms[i] = time.Since(start).Milliseconds()
		}()
	}
	wg.Wait()
	for i, j := range jobs {
		sub := subs[i].res
		for t, list := range sub.Anomalies {
			if len(a.res.Anomalies[t]) > 0 {
				panic(fmt.Sprintf("checker: anomaly type %s found by two analyses", t))
			}
			a.res.Anomalies[t] = list
			a.res.Stats.AnomalyCounts[t] = sub.Stats.AnomalyCounts[t]
		}
		if sub.Stats.Redeliveries != nil {
			a.res.Stats.Redeliveries = sub.Stats.Redeliveries
		}
		if sub.Stats.WorstRealtimeLag != nil {
			a.res.Stats.WorstRealtimeLag = sub.Stats.WorstRealtimeLag
		}
		a.res.Stats.CycleSearchIncomplete = a.res.Stats.CycleSearchIncomplete || sub.Stats.CycleSearchIncomplete
		if a.opts.Timings {
			a.res.Stats.AnalysisMillis[j.name] = ms[i]
		}
	}
}

// indexEvent registers the keys a harness event names and files its log starts and
// truncations with their keys.
func (a *analysis) indexEvent(op *history.Op, pos int32) {
	if op.Rebalance != nil {
		for _, k := range op.Rebalance.Assigned {
			a.key(k)
		}
	}
	for _, rc := range op.Replicas {
		a.key(rc.Key)
	}
	switch op.F {
	case history.FLogStart:
		for _, ko := range op.Offsets {
			k := a.key(ko.Key)
			o := ko.Offset
			if n := len(k.logStarts); n > 0 && k.logStarts[n-1].offset > o {
				o = k.logStarts[n-1].offset
			}
			k.logStarts = append(k.logStarts, posOffset{pos, o})
		}
	case history.FTruncate:
		for _, rc := range op.Replicas {
			k := a.key(rc.Key)
			k.truncs = append(k.truncs, pos)
		}
	}
}

// mustHaveCommitted is Jepsen's must-have-committed?: the writer completed ok, or
// completed info and one of its sent values was read by an ok operation.
func (a *analysis) mustHaveCommitted(pos int32) bool {
	switch a.typ(pos) {
	case history.OK:
		return true
	case history.Info:
		var arr [4]rec // most sends have one record: no allocation
		for _, r := range a.sendsInto(arr[:0], pos) {
			if a.keys[r.key].okRead(r.val) {
				return true
			}
		}
	}
	return false
}

// versionOrders folds every poll, and the sends of writers that must have committed,
// into a per-key log of offsets to values, and derives dense indices. On the way,
// it files every send's writer (see replayWrites), as it decodes the sends anyway.
// Keys are independent here: the cores share them out, each walking the history for
// its keys' records (the first reader of a value found by each is merged after).
func (a *analysis) versionOrders() {
	a.newValInfos()
	workers := min(runtime.GOMAXPROCS(0), len(a.keys), 2)
	if a.nRecs < versionOrdersPerWorker {
		workers = 1
	}
	// Give each key to the core with the fewest values so far: values stand for
	// records (a history's keys are usually alike, logsim's partitions are).
	owner := make([]uint8, len(a.keys))
	if workers > 1 {
		load := make([]int64, workers)
		order := make([]int32, len(a.keys))
		for i := range order {
			order[i] = int32(i)
		}
		sort.SliceStable(order, func(i, j int) bool { return a.keys[order[i]].nVals() > a.keys[order[j]].nVals() })
		for _, kid := range order {
			w := 0
			for j := range load {
				if load[j] < load[w] {
					w = j
				}
			}
			owner[kid] = uint8(w)
			load[w] += int64(a.keys[kid].nVals())
		}
	}
	found := make([]map[keyVal]int32, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { found[w] = a.versionOrdersOf(owner, uint8(w), workers == 1) })
	}
	wg.Wait()
	a.firstReaders = found[0]
	for _, m := range found[1:] {
		for kv, pos := range m {
			a.firstReaders[kv] = pos
		}
	}
	for _, k := range a.keys {
		k.buildOrder()
		if len(k.more) > 0 {
			a.inconsistentOffsets(k)
		}
		if len(k.multi) > 0 {
			a.duplicates(k)
		}
	}
}

// versionOrderLines are the lines versionOrders looks at: those with records.
var versionOrderLines = func() lineSet {
	s := linesOf(completionTypes, fSend, fPoll, fTxn)
	t := linesOf([]history.Type{history.Invoke}, fSend, fTxn)
	return lineSet{s[0] | t[0], s[1] | t[1]}
}()

// versionOrdersPerWorker is the fewest records worth a second core in
// versionOrders (a variable for tests).
var versionOrdersPerWorker = 1 << 16

// versionOrdersOf walks the history for versionOrders, for the keys whose owner is w
// (all when all is set), and returns the first readers it found.
func (a *analysis) versionOrdersOf(owner []uint8, w uint8, all bool) map[keyVal]int32 {
	var sbuf []rec
	firstReaders := map[keyVal]int32{}
	// Completions of others have no records; invokes of others no sends.
	a.scan(versionOrderLines, func(i int32, tf uint8) {
		t, f := history.Type(tf>>4&7), fCode(tf&0xf)
		if t == history.Invoke {
			// A send invoke its completion repeats is left out: its completion,
			// which files the same values, makes itself their writer whatever the
			// invoke did.
			if f == fTxn || (f == fSend && tf&sharedSends == 0) {
				for _, r := range a.sendsOf(&sbuf, i) {
					if all || owner[r.key] == w {
						a.wrote(a.keys[r.key], r.val, i, t, r.off)
					}
				}
			}
			return
		}
		if f == fSend && tf&oneSend != 0 && !all && owner[a.oneSendKey(i)] != w {
			return // another core's record, and a send has no reads
		}
		sends := a.sendsOf(&sbuf, i)
		mine := all
		for _, r := range sends {
			if all || owner[r.key] == w {
				k := a.keys[r.key]
				a.wrote(k, r.val, i, t, r.off)
				k.front.raise(r.off, i, int(k.nVals()))
				mine = true
			}
		}
		if mine && (t == history.OK || a.mustHaveCommitted(i)) {
			for _, r := range sends {
				if all || owner[r.key] == w {
					a.keys[r.key].observe(r.off, r.val)
				}
			}
		}
		// Runs of other keys are skipped whole (see decodeReads).
		s := a.readRuns(i)
		for p := 0; p < len(s); {
			key, first, vp, end := readRun(s, p)
			p = end
			if !all && owner[key] != w {
				continue
			}
			k := a.keys[key]
			off, step := first, int64(1)
			if first < 0 { // NoOffset: every record of the run has it
				step = 0
			}
			// A run's offsets are consecutive and raised at one time: raising its
			// first and its last is raising each.
			hint := int(k.nVals())
			k.front.raise(first, i, hint)
			k.front.raise(runLast(first, runCount(s[vp:end])), i, hint)
			pred := first
			for vp < end {
				var u uint64
				u, vp = uvarint(s, vp)
				vid := pred + unzig(u)
				val := int32(vid)
				k.observe(off, val)
				if *k.fl(val)&valFindReader != 0 {
					if _, ok := firstReaders[keyVal{key, val}]; !ok {
						firstReaders[keyVal{key, val}] = i
					}
				}
				pred, off = vid+1, off+step
			}
		}
	})
	return firstReaders
}

// inconsistentOffsets reports every offset of k that holds several values.
func (a *analysis) inconsistentOffsets(k *keyState) {
	for i := range k.numOffsets() {
		o := k.offset(i)
		extra := k.more[o]
		if len(extra) == 0 {
			continue
		}
		vals := []history.Value{k.value(k.rep(i))}
		for _, id := range extra {
			vals = append(vals, k.value(id))
		}
		sortValues(vals)
		a.add(TypeInconsistentOffsets, &Anomaly{
			Key: k.name, Offset: ptr(o), Index: ptr(int(i)), Values: vals,
			Explanation: fmt.Sprintf("Offset %d of %s holds %d different values (%s): polls and acknowledged sends disagree about what the log contains there.",
				o, k.name, len(vals), joinLimited(vals, 8)),
		})
	}
}

// duplicates reports every value of k that appears at several offsets.
func (a *analysis) duplicates(k *keyState) {
	for id := range k.nVals() {
		n := k.appearances(id)
		if n < 2 {
			continue
		}
		var offs []int64
		for i := range k.numOffsets() {
			o := k.offset(i)
			if k.firstAt(o) == id || slices.Contains(k.more[o], id) {
				offs = append(offs, o)
			}
		}
		v := k.value(id)
		a.add(TypeDuplicate, &Anomaly{
			Key: k.name, Value: ptr(v), Count: ptr(int(n)), Offsets: offs,
			Explanation: fmt.Sprintf("Value %s appears %d times in %s, at offsets %s: it was sent once but appended more than once (e.g. a producer retry without idempotence).",
				v, n, k.name, joinLimited(offs, 8)),
		})
	}
}

// valueAnomalies finds lost-write, unseen, expired-unconsumed, G1a, unexpected-value
// and precommitted-read.
func (a *analysis) valueAnomalies() {
	for _, k := range a.keys {
		a.lostWrites(k)
		a.unseen(k)
		for id := range k.nVals() {
			vi := k.vi(id)
			if *k.fl(id)&valRead == 0 {
				continue
			}
			if vi.writer == noPos {
				r := a.firstReader(k.kid, id)
				off := a.readOffset(r, k.kid, id)
				a.add(TypeUnexpectedValue, &Anomaly{
					Key: k.name, Value: ptr(k.value(id)), Offset: optOffset(off), Reader: ptr(a.opIndex(r)),
					Explanation: fmt.Sprintf("%s returned value %s from %s%s, but no operation ever sent that value to that key.",
						a.describe(r), k.value(id), k.name, atOffset(off)),
				})
				continue
			}
			if a.typ(vi.writer) == history.Fail {
				// G1a: every ok read of a value whose send definitely failed.
				a.g1a(k, id)
			}
		}
	}
	a.scan(linesOf(completionTypes, fTxn), func(i int32, _ uint8) {
		sends := a.sendsInto(nil, i)
		var reported []int32
		for _, r := range a.readsInto(nil, i) {
			if slices.Contains(reported, r.key) || !slices.ContainsFunc(sends, func(w rec) bool { return w.key == r.key && w.val == r.val }) {
				continue
			}
			reported = append(reported, r.key)
			k := a.keys[r.key]
			v := k.value(r.val)
			a.add(TypePrecommittedRead, &Anomaly{
				Key: k.name, Value: ptr(v), Op: ptr(a.opIndex(i)),
				Explanation: fmt.Sprintf("Transaction %s polled value %s from %s, which it had itself sent: a consumer saw a record before its transaction committed.",
					a.describe(i), v, k.name),
			})
		}
	})
}

// g1a reports every ok poll or txn that returned value id of k, whose send
// definitely failed.
func (a *analysis) g1a(k *keyState, id int32) {
	var rbuf []rec // reads of the line at hand (see readsOf)
	vi := k.vi(id)
	for i := max(a.firstReader(k.kid, id), 0); i < a.n(); i++ {
		if f := a.fc(i); a.typ(i) != history.OK || (f != fPoll && f != fTxn) {
			continue
		}
		if !slices.ContainsFunc(a.readsOf(&rbuf, i), func(r rec) bool { return r.key == k.kid && r.val == id }) {
			continue
		}
		a.add(TypeG1a, &Anomaly{
			Key: k.name, Value: ptr(k.value(id)), Writer: ptr(a.opIndex(vi.writer)), Reader: ptr(a.opIndex(i)),
			Explanation: fmt.Sprintf("%s returned value %s from %s, but the send of that value definitely failed (%s): an aborted read.",
				a.describe(i), k.value(id), k.name, a.describe(vi.writer)),
		})
	}
}

// lostWrites is Jepsen's lost-write: every value whose last appearance in the version
// order is at or below the highest position any ok poll is known to have reached must
// have been read by some ok poll, if its writer must have committed. Values below the
// key's final log start are expired-unconsumed instead.
func (a *analysis) lostWrites(k *keyState) {
	bound := int32(-1)
	for id := range k.nVals() {
		if first := k.first(id); k.okRead(id) && first > bound {
			bound = first
		}
	}
	if bound < 0 {
		return
	}
	logStart := k.finalLogStart()
	maxRead, found := noPos, false // searched for once a lost write needs it
	var lost []int32
	for id := range k.nVals() {
		vi := k.vi(id)
		if last := k.last(id); k.okRead(id) || last < 0 || last > bound || vi.writer == noPos || !a.mustHaveCommitted(vi.writer) {
			continue
		}
		lost = append(lost, id)
	}
	sort.Slice(lost, func(i, j int) bool { return k.first(lost[i]) < k.first(lost[j]) })
	var expired []int32
	for _, id := range lost {
		vi := k.vi(id)
		if k.offset(k.last(id)) < logStart {
			expired = append(expired, id)
			continue
		}
		an := &Anomaly{
			Key: k.name, Value: ptr(k.value(id)), Index: ptr(int(k.first(id))), MaxReadIndex: ptr(int(bound)),
			Writer: ptr(a.opIndex(vi.writer)),
		}
		if rep := k.rep(bound); !found && rep >= 0 {
			maxRead, found = a.scanFirstReader(k.kid, rep), true
		}
		maxReadText := ""
		if maxRead != noPos {
			an.MaxRead = ptr(a.opIndex(maxRead))
			maxReadText = fmt.Sprintf(" (e.g. %s read offset %d)", a.describe(maxRead), k.offset(bound))
		}
		an.Explanation = fmt.Sprintf("Value %s was acknowledged at offset %d of %s by %s, but no poll ever returned it, although polls read past it%s: an acknowledged write was lost.",
			k.value(id), k.offset(k.first(id)), k.name, a.describe(vi.writer), maxReadText)
		a.add(TypeLostWrite, an)
	}
	a.expired(k, expired, logStart)
}

// expired reports records that retention deleted before anyone read them.
func (a *analysis) expired(k *keyState, ids []int32, logStart int64) {
	if len(ids) == 0 {
		return
	}
	vals := make([]history.Value, 0, min(len(ids), 32))
	for _, id := range ids[:min(len(ids), 32)] {
		vals = append(vals, k.value(id))
	}
	a.add(TypeExpiredUnconsumed, &Anomaly{
		Key: k.name, Count: ptr(len(ids)), Values: vals, LogStart: ptr(logStart),
		Explanation: fmt.Sprintf("%s of %s (values %s) were never read before retention moved the log start to offset %d: deleted by policy, not lost.",
			plural(len(ids), "record"), k.name, joinLimited(vals, 8), logStart),
	})
}

// unseen is Jepsen's unseen: values sent by ok operations that no ok operation ever
// polled, reported per key.
func (a *analysis) unseen(k *keyState) {
	logStart := k.finalLogStart()
	var unseen []history.Value
	expired := 0
	var lastTime int64
	for id := range k.nVals() {
		vi := k.vi(id)
		if k.okRead(id) || vi.writer == noPos || a.typ(vi.writer) != history.OK {
			continue
		}
		if so := a.sendOffset(k, id); so >= 0 && so < logStart {
			expired++
			continue
		}
		unseen = append(unseen, k.value(id))
		lastTime = max(lastTime, a.time(vi.writer))
	}
	if len(unseen) == 0 {
		return
	}
	sortValues(unseen)
	an := &Anomaly{
		Key: k.name, Count: ptr(len(unseen)), Values: unseen, Time: ptr(lastTime),
		Explanation: fmt.Sprintf("On %s, %s never returned by any poll (values %s); the last was acknowledged at %s.",
			k.name, plural(len(unseen), "acknowledged record was", "acknowledged records were"), joinLimited(unseen, 8), fmtTime(lastTime)),
	}
	if len(unseen) > 1000 {
		an.Values = unseen[:1000]
	}
	a.add(TypeUnseen, an)
}

// readOffset finds the offset at which the line at pos returned value vid of key
// kid, or NoOffset (see findRead).
func (a *analysis) readOffset(pos, kid, vid int32) int64 {
	off, _ := a.findRead(pos, kid, vid)
	return off
}

// findRead finds the offset at which the line at pos returned value vid of key kid,
// and whether it did. It searches the line's read runs in place: it runs once per
// unsettled send.
func (a *analysis) findRead(pos, kid, vid int32) (int64, bool) {
	s := a.readRuns(pos)
	for p := 0; p < len(s); {
		key, first, vp, end := readRun(s, p)
		if key == kid {
			pred := first
			for j := 0; vp < end; j++ {
				var u uint64
				u, vp = uvarint(s, vp)
				v := pred + unzig(u) // see addReads
				if v == int64(vid) {
					return runOffset(first, j), true
				}
				pred = v + 1
			}
		}
		p = end
	}
	return history.NoOffset, false
}

// describe names an operation for people: what it was, who did it, where and when.
func (a *analysis) describe(pos int32) string {
	op := a.op(pos)
	verb := op.F.String()
	t := op.Time
	if inv := a.invokeOf(pos); inv != noPos {
		t = a.time(inv)
		return fmt.Sprintf("process %d's %s (index %d, invoked at %s, %s at %s)", op.Process, verb, op.Index, fmtTime(t), op.Type, fmtTime(op.Time))
	}
	return fmt.Sprintf("process %d's %s (index %d, %s at %s)", op.Process, verb, op.Index, op.Type, fmtTime(t))
}

func fmtTime(ns int64) string {
	return time.Duration(ns).String()
}

func optOffset(o int64) *int64 {
	if o < 0 {
		return nil
	}
	return ptr(o)
}

func atOffset(o int64) string {
	if o < 0 {
		return ""
	}
	return fmt.Sprintf(" at offset %d", o)
}

func sortValues(vs []history.Value) {
	sort.Slice(vs, func(i, j int) bool { return vs[i].Compare(vs[j]) < 0 })
}

// plural says "1 record" or "2 records"; with a third argument, it chooses between
// the two forms given ("1 record was", "2 records were").
func plural(n int, one string, many ...string) string {
	if n == 1 {
		return "1 " + one
	}
	if len(many) > 0 {
		return fmt.Sprintf("%d %s", n, many[0])
	}
	return fmt.Sprintf("%d %ss", n, one)
}

// joinLimited lists xs separated by commas: the first limit of them, then how many more.
func joinLimited[T any](xs []T, limit int) string {
	var b strings.Builder
	for i, x := range xs {
		if i == limit {
			fmt.Fprintf(&b, ", ... (%d more)", len(xs)-limit)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, x)
	}
	return b.String()
}
