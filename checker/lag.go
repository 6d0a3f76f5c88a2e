package checker

import (
	"sort"

	"logsim/checker/history"
)

// Lag is how far behind the log's tail a consumer's poll was, as Jepsen's
// realtime-lag measures it: a lower bound, the time since the highest offset the
// consumer had read (or the last offset below the log start, if higher) was known to
// be no longer the last.
type Lag struct {
	Time    int64  `json:"time"`    // when the poll was invoked, in nanoseconds
	Process int64  `json:"process"` // the consumer
	Key     string `json:"key"`     // the partition
	Lag     int64  `json:"lag"`     // nanoseconds
}

// worstRealtimeLag computes Jepsen's worst-realtime-lag, from the frontiers of known
// offsets versionOrders built (keyState.front: which line first made each key's
// known offsets reach o, and so when?).
func (a *analysis) worstRealtimeLag() {
	var sbuf []rec // sends of the line at hand (see sendsOf)
	var worst *Lag
	// Per process, the keys it follows and the highest offset it read of each (-1:
	// none yet). Few keys per process: a slice beats a map.
	type keyPos struct {
		kid int32
		off int64
	}
	positions := make([][]keyPos, len(a.procVals)) // per process id
	raise := func(ps []keyPos, kid int32, off int64) []keyPos {
		for j := range ps {
			if ps[j].kid == kid {
				ps[j].off = max(ps[j].off, off)
				return ps
			}
		}
		return append(ps, keyPos{kid, off})
	}
	a.scan(linesOf([]history.Type{history.OK}, fAssign, fSubscribe, fPoll, fTxn), func(i int32, tf uint8) {
		f := fCode(tf & 0xf)
		pid := a.procID(i)
		switch f {
		case fAssign:
			keys := a.rare[i].Keys
			prev := positions[pid]
			next := make([]keyPos, 0, len(keys))
			for _, k := range keys {
				kp := keyPos{kid: a.keyID[k], off: -1}
				for _, p := range prev {
					if p.kid == kp.kid {
						kp.off = p.off
					}
				}
				next = append(next, kp)
			}
			positions[pid] = next
		case fSubscribe:
			positions[pid] = nil
		case fPoll, fTxn:
			ps := positions[pid]
			s := a.readRuns(i)
			for p := 0; p < len(s); { // raise once per run, to its highest offset
				key, first, vp, end := readRun(s, p)
				ps = raise(ps, key, max(-1, runLast(first, runCount(s[vp:end]))))
				p = end
			}
			if f == fTxn {
				for _, r := range a.sendsOf(&sbuf, i) {
					ps = raise(ps, r.key, r.off)
				}
			}
			positions[pid] = ps
			invoked := a.time(a.invokeOf(i))
			for _, p := range ps {
				// Records below the log start are gone: a consumer there is not behind them.
				o := max(p.off, a.keys[p.kid].logStartAt(i)-1)
				// Offset o stopped being the last when o+1 was known.
				pos, ok := a.keys[p.kid].front.reached(o + 1)
				if !ok {
					continue
				}
				t := a.time(pos)
				if invoked <= t {
					continue
				}
				lag := invoked - t
				name := a.keys[p.kid].name
				if worst == nil || lag > worst.Lag || (lag == worst.Lag && (invoked < worst.Time || invoked == worst.Time && name < worst.Key)) {
					worst = &Lag{Time: invoked, Process: a.procVals[pid], Key: name, Lag: lag}
				}
			}
		}
	})
	a.res.Stats.WorstRealtimeLag = worst
}

// frontier is which line's records first made a key's known offsets reach each
// offset (lines are raised in history order, so their times never decrease): a list
// of (position, offset) steps, stored as one position per offset from the first step
// on (4 bytes an offset rather than 16 a step: offsets are dense), or as the steps
// themselves once the offsets jump too far for an array.
type frontier struct {
	base  int64   // offset of the first step
	poss  []int32 // poss[i]: the line that first made the frontier reach base+i
	steps []step  // the steps, when sparse
	top   int64   // highest offset known
	used  bool    // whether any offset is known
}

type step struct {
	pos int32
	off int64
}

// raise records that offset off was known from the line at pos; hint sizes the
// array.
func (f *frontier) raise(off int64, pos int32, hint int) {
	switch {
	case off < 0:
		return
	case !f.used:
		f.used, f.base, f.top = true, off, off
		f.poss = make([]int32, 1, max(hint, 1))
		f.poss[0] = pos
		return
	case off <= f.top:
		return
	case f.steps == nil && off-f.base < 2*int64(len(f.poss))+1<<16:
		for o := f.top + 1; o <= off; o++ {
			f.poss = append(f.poss, pos)
		}
	default:
		if f.steps == nil { // convert: one step per run of equal positions
			for i, pi := range f.poss {
				if i+1 == len(f.poss) || f.poss[i+1] != pi {
					f.steps = append(f.steps, step{pos: pi, off: f.base + int64(i)})
				}
			}
			f.poss = nil
		}
		f.steps = append(f.steps, step{pos: pos, off: off})
	}
	f.top = off
}

// reached returns the line that first made the frontier reach offset o or beyond.
func (f *frontier) reached(o int64) (int32, bool) {
	if !f.used || o > f.top {
		return noPos, false
	}
	if f.steps != nil {
		j := sort.Search(len(f.steps), func(j int) bool { return f.steps[j].off >= o })
		return f.steps[j].pos, true
	}
	return f.poss[max(0, o-f.base)], true
}
