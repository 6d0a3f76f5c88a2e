package checker

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"

	"logsim/checker/history"
)

// genConfig configures histories generated from a correct sequential model of
// partitioned logs: every operation takes effect at one instant between its invoke
// and its completion, in a single global order, so the history is valid and
// linearizable by construction.
type genConfig struct {
	seed      uint64
	lines     int   // history lines to produce (approximately, final reads included)
	keys      int   // partitions
	procs     int   // concurrent clients
	maxDelay  int64 // nanoseconds, for each of invoke->effect and effect->completion
	retention bool  // move log starts forward now and then
	groups    bool  // a quarter of the clients subscribe to all topics in group "g" and commit
}

type genEvent struct {
	t    int64
	seq  int64
	kind int // 0 invoke, 1 take effect, 2 complete, 3 retention
	proc int
}

type genHeap []genEvent

func (h genHeap) Len() int { return len(h) }
func (h genHeap) Less(i, j int) bool {
	if h[i].t != h[j].t {
		return h[i].t < h[j].t
	}
	return h[i].seq < h[j].seq
}
func (h genHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *genHeap) Push(x any)   { *h = append(*h, x.(genEvent)) }
func (h *genHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

type genProc struct {
	id       int64
	assigned []int
	pos      map[int]int64
	op       *history.Op // completion being built
	outcome  int         // 0 ok, 1 info applied, 2 info not applied, 3 fail
	final    bool        // this is the final reader
	maxPoll  int
	member   bool                // subscribed to group "g"
	commit   []history.KeyOffset // positions to commit after an ok poll
}

type genLog struct {
	vals     []history.Value
	logStart int64
}

func generate(cfg genConfig) []history.Op {
	rng := rand.New(rand.NewPCG(cfg.seed, 0x5eed))
	logs := make([]genLog, cfg.keys)
	keyName := func(k int) string { return fmt.Sprintf("t%d/%d", k%4, k) }
	var out []history.Op
	emit := func(op history.Op) {
		op.Index = int64(len(out))
		out = append(out, op)
	}
	var h genHeap
	seq := int64(0)
	push := func(t int64, kind, proc int) {
		seq++
		heap.Push(&h, genEvent{t: t, seq: seq, kind: kind, proc: proc})
	}
	nextID := int64(0)
	procs := make([]*genProc, cfg.procs+1)
	for i := range cfg.procs {
		procs[i] = &genProc{id: nextID, pos: map[int]int64{}, maxPoll: 1 + rng.IntN(8)}
		nextID++
		push(int64(rng.IntN(1000)), 0, i)
	}
	if cfg.retention {
		push(10*cfg.maxDelay, 3, -1)
	}
	// The consumer group: members in join order, committed offsets per key. Every
	// membership change is an eager rebalance: each member gets keys k with
	// k % len(members) == its rank, positioned at the committed offsets.
	var members []int
	committed := map[int]int64{}
	rebalance := func(t int64) {
		for rank, mi := range members {
			m := procs[mi]
			m.assigned, m.pos = nil, map[int]int64{}
			var names []string
			for k := rank; k < cfg.keys; k += len(members) {
				m.assigned = append(m.assigned, k)
				m.pos[k] = committed[k]
				names = append(names, keyName(k))
			}
			emit(history.Op{Time: t, Process: history.NoProcess, Type: history.Event, F: history.FRebalance,
				Rebalance: &history.Rebalance{Group: "g", Process: m.id, Generation: int64(len(out)), Assigned: names}})
		}
	}
	owns := func(m *genProc, k int) bool { return slices.Contains(m.assigned, k) }
	value := int64(0)
	delay := func() int64 { return 1 + rng.Int64N(cfg.maxDelay) }
	budget := cfg.lines // the final reads come on top
	active := cfg.procs
	finalStarted := false
	startFinal := func(t int64) {
		finalStarted = true
		all := make([]int, cfg.keys)
		for k := range all {
			all[k] = k
		}
		p := &genProc{id: nextID, pos: map[int]int64{}, final: true, maxPoll: 64, assigned: all}
		nextID++
		procs[cfg.procs] = p
		names := make([]string, len(all))
		for i, k := range all {
			names[i] = keyName(k)
		}
		emit(history.Op{Time: t, Process: p.id, Type: history.Invoke, F: history.FAssign, Keys: names, SeekToBeginning: true})
		emit(history.Op{Time: t, Process: p.id, Type: history.OK, F: history.FAssign, Keys: names, SeekToBeginning: true})
		push(t+1, 0, cfg.procs)
	}
	for h.Len() > 0 {
		e := heap.Pop(&h).(genEvent)
		if e.kind == 3 {
			if len(out) >= budget {
				continue
			}
			k := rng.IntN(cfg.keys)
			l := &logs[k]
			if end := int64(len(l.vals)); end > l.logStart {
				l.logStart += 1 + rng.Int64N(min(end-l.logStart, 20))
				emit(history.Op{Time: e.t, Process: history.NoProcess, Type: history.Event, F: history.FLogStart, Offsets: []history.KeyOffset{{Key: keyName(k), Offset: l.logStart}}})
			}
			push(e.t+10*cfg.maxDelay+rng.Int64N(30*cfg.maxDelay), 3, -1)
			continue
		}
		p := procs[e.proc]
		switch e.kind {
		case 0: // invoke
			if p.final {
				done := true
				for _, k := range p.assigned {
					if p.pos[k] < int64(len(logs[k].vals)) {
						done = false
					}
				}
				if done {
					continue
				}
			} else if len(out) >= budget {
				active--
				if active == 0 && !finalStarted {
					startFinal(e.t)
				}
				continue
			}
			var op history.Op
			r := rng.IntN(100)
			switch {
			case p.member && len(p.commit) > 0:
				op = history.Op{F: history.FCommit, Group: "g", Offsets: p.commit}
				p.commit = nil
			case cfg.groups && e.proc < max(1, cfg.procs/4) && !p.member && !p.final && len(p.assigned) == 0 && r < 30:
				// A quarter of the client slots consume through the group.
				op = history.Op{F: history.FSubscribe, Group: "g", Keys: []string{"t0", "t1", "t2", "t3"}}
			case p.final || (r < 50 && len(p.assigned) > 0):
				op = history.Op{F: history.FPoll, Mops: []history.Mop{history.Poll()}}
			case r < 94 || p.member || len(p.assigned) > 0 && r < 97:
				op = history.Op{F: history.FSend}
				for n := 1 + rng.IntN(2); n > 0; n-- {
					value++
					op.Mops = append(op.Mops, history.Send(keyName(rng.IntN(cfg.keys)), history.Int(value)))
				}
			default:
				op = history.Op{F: history.FAssign, SeekToBeginning: rng.IntN(2) == 0}
				for n := 1 + rng.IntN(4); n > 0; n-- {
					op.Keys = append(op.Keys, keyName(rng.IntN(cfg.keys)))
				}
			}
			if p.member && op.F == history.FPoll {
				op.Group = "g"
			}
			op.Time, op.Process, op.Type = e.t, p.id, history.Invoke
			emit(op)
			done := op
			done.Mops = append([]history.Mop(nil), op.Mops...)
			p.op = &done
			p.outcome = 0
			switch x := rng.IntN(100); {
			case p.final || op.F == history.FAssign || op.F == history.FSubscribe || op.F == history.FCommit:
			case x < 3:
				p.outcome = 1
			case x < 5 && op.F == history.FSend:
				p.outcome = 2
			case x < 8 && op.F == history.FSend:
				p.outcome = 3
			}
			push(e.t+delay(), 1, e.proc)
		case 1: // take effect
			op := p.op
			if p.outcome >= 2 {
				push(e.t+delay(), 2, e.proc)
				continue
			}
			switch op.F {
			case history.FSubscribe:
				p.member = true
				members = append(members, e.proc)
				rebalance(e.t)
			case history.FCommit:
				for _, ko := range op.Offsets {
					if !owns(p, keyOf(ko.Key)) {
						p.outcome = 3 // the generation moved on: ILLEGAL_GENERATION
					}
				}
				if p.outcome == 0 {
					for _, ko := range op.Offsets {
						committed[keyOf(ko.Key)] = ko.Offset
					}
				}
			case history.FSend:
				for i := range op.Mops {
					m := &op.Mops[i]
					k := keyOf(m.Key)
					l := &logs[k]
					*m = history.SendAt(m.Key, int64(len(l.vals)), m.Value)
					l.vals = append(l.vals, m.Value)
				}
			case history.FPoll:
				var reads []history.KeyRecords
				for _, k := range p.assigned {
					l := &logs[k]
					pos := max(p.pos[k], l.logStart)
					kr := history.KeyRecords{Key: keyName(k)}
					for n := 0; n < p.maxPoll && pos < int64(len(l.vals)); n++ {
						kr.Records = append(kr.Records, history.Record{Offset: pos, Value: l.vals[pos]})
						pos++
					}
					p.pos[k] = pos
					reads = append(reads, kr)
				}
				op.Mops = []history.Mop{history.Poll(reads...)}
			case history.FAssign:
				keep := map[int]int64{}
				var ks []int
				seen := map[int]bool{}
				for _, name := range op.Keys {
					k := keyOf(name)
					if seen[k] {
						continue
					}
					seen[k] = true
					ks = append(ks, k)
					if pos, ok := p.pos[k]; ok && !op.SeekToBeginning {
						keep[k] = pos
					}
				}
				p.assigned, p.pos = ks, keep
			}
			push(e.t+delay(), 2, e.proc)
		case 2: // complete
			op := p.op
			op.Time = e.t
			switch p.outcome {
			case 0:
				op.Type = history.OK
			case 1, 2:
				op.Type, op.Error = history.Info, "REQUEST_TIMED_OUT"
				for i := range op.Mops {
					if op.Mops[i].Kind == history.MopSend {
						op.Mops[i] = history.SendAt(op.Mops[i].Key, history.NoOffset, op.Mops[i].Value)
					}
				}
			case 3:
				op.Type, op.Error = history.Fail, "NOT_LEADER_OR_FOLLOWER"
				if op.F == history.FCommit {
					op.Error = "ILLEGAL_GENERATION"
				}
			}
			emit(*op)
			p.op = nil
			if p.member && op.F == history.FPoll && op.Type == history.OK {
				for _, kr := range op.Mops[0].Reads {
					if len(kr.Records) > 0 {
						p.commit = append(p.commit, history.KeyOffset{Key: kr.Key, Offset: p.pos[keyOf(kr.Key)]})
					}
				}
			}
			if op.Type == history.Info && p.member {
				// The client is gone: it leaves the group.
				members = slices.DeleteFunc(members, func(mi int) bool { return mi == e.proc })
				if len(members) > 0 {
					rebalance(e.t)
				}
			}
			if op.Type == history.Info {
				// The client is replaced, as in Jepsen: a new process, no positions.
				procs[e.proc] = &genProc{id: nextID, pos: map[int]int64{}, maxPoll: p.maxPoll}
				nextID++
			}
			push(e.t+rng.Int64N(cfg.maxDelay), 0, e.proc)
		}
	}
	return out
}

func keyOf(name string) int {
	var t, k int
	if _, err := fmt.Sscanf(name, "t%d/%d", &t, &k); err != nil {
		panic(err)
	}
	return k
}
