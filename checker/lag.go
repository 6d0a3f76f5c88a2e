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

// worstRealtimeLag computes Jepsen's worst-realtime-lag.
func (a *analysis) worstRealtimeLag() {
	// When did each key first have an offset >= o? The frontier of known offsets only
	// grows, so it is a list of (time, offset) steps.
	type step struct {
		time int64
		off  int64
	}
	frontier := make([][]step, len(a.keys))
	known := func(kid int32, off int64, t int64) {
		f := frontier[kid]
		if off >= 0 && (len(f) == 0 || off > f[len(f)-1].off) {
			frontier[kid] = append(f, step{time: t, off: off})
		}
	}
	for i := range a.ops {
		op := &a.ops[i]
		if !op.Type.IsCompletion() {
			continue
		}
		for _, r := range a.sendsOf(int32(i)) {
			known(r.key, r.off, op.Time)
		}
		for _, r := range a.readsOf(int32(i)) {
			known(r.key, r.off, op.Time)
		}
	}
	// expired is the time offset o stopped being the last: when o+1 was known.
	expired := func(kid int32, next int64) (int64, bool) {
		f := frontier[kid]
		j := sort.Search(len(f), func(j int) bool { return f[j].off >= next })
		if j == len(f) {
			return 0, false
		}
		return f[j].time, true
	}
	var worst *Lag
	positions := map[int64]map[int32]int64{} // process -> key -> highest offset read (-1: none yet)
	for i := range a.ops {
		op := &a.ops[i]
		if op.Type != history.OK {
			continue
		}
		switch op.F {
		case history.FAssign:
			prev := positions[op.Process]
			next := map[int32]int64{}
			for _, k := range op.Keys {
				kid := a.keyID[k]
				if o, ok := prev[kid]; ok {
					next[kid] = o
				} else {
					next[kid] = -1
				}
			}
			positions[op.Process] = next
		case history.FSubscribe:
			positions[op.Process] = map[int32]int64{}
		case history.FPoll, history.FTxn:
			pos := positions[op.Process]
			if pos == nil {
				pos = map[int32]int64{}
				positions[op.Process] = pos
			}
			for _, r := range a.readsOf(int32(i)) {
				if o, ok := pos[r.key]; !ok || r.off > o {
					pos[r.key] = r.off
				}
			}
			if op.F == history.FTxn {
				for _, r := range a.sendsOf(int32(i)) {
					if o, ok := pos[r.key]; !ok || r.off > o {
						pos[r.key] = r.off
					}
				}
			}
			invoked := a.ops[a.invokeOf[i]].Time
			for kid, o := range pos {
				// Records below the log start are gone: a consumer there is not behind them.
				o = max(o, a.keys[kid].logStartAt(int32(i))-1)
				t, ok := expired(kid, o+1)
				if !ok || invoked <= t {
					continue
				}
				lag := invoked - t
				if worst == nil || lag > worst.Lag || (lag == worst.Lag && (invoked < worst.Time || invoked == worst.Time && a.keys[kid].name < worst.Key)) {
					worst = &Lag{Time: invoked, Process: op.Process, Key: a.keys[kid].name, Lag: lag}
				}
			}
		}
	}
	a.res.Stats.WorstRealtimeLag = worst
}
