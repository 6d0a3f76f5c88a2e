package checker

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"logsim/checker/history"
)

// The linearizability check models each partition as one append-only log. A send is
// an append of its records at the offsets it was told; a poll reads records that
// must be contiguous entries of the log as it is at the poll's linearization point.
// Values are the key's value ids, so states compare in O(1).

type linInput struct {
	read bool
	// order is the partition's sorted distinct append offsets: appends must follow it,
	// which pins every acknowledged append to one place in the search.
	order *[]int64
	// offsets and vals: one record for an append (a send of one record), the records
	// returned for a read.
	offsets []int64
	vals    []uint64
	key     *keyState // for descriptions
	// one and oneVal back offsets and vals of an append without an allocation.
	one    [1]int64
	oneVal [1]uint64
}

// logArr is a log shared by every state that extends the same prefix: a state is
// (arr, n), its log is the first n entries. Appending at the tip extends in place;
// appending behind the tip copies the prefix. hash[i] hashes entries 0..i.
type logArr struct {
	offs []int64
	vals []uint64
	hash []uint64
}

type linState struct {
	arr *logArr
	n   int
}

func mix(h uint64, off int64, v uint64) uint64 {
	h ^= uint64(off)*0x9e3779b97f4a7c15 + v*0xc2b2ae3d27d4eb4f + 0x165667b19e3779f9
	h *= 0xff51afd7ed558ccd
	return h ^ h>>33
}

func (s linState) lastOffset() int64 {
	if s.n == 0 {
		return -1
	}
	return s.arr.offs[s.n-1]
}

func (s linState) hash() uint64 {
	if s.n == 0 {
		return 0
	}
	return s.arr.hash[s.n-1]
}

func linStep(state, input, output any) (bool, any) {
	s := state.(linState)
	in := input.(*linInput)
	if in.read {
		if len(in.offsets) == 0 {
			return true, s
		}
		offs := s.arr.offs[:s.n]
		i := sort.Search(len(offs), func(i int) bool { return offs[i] >= in.offsets[0] })
		for j := range in.offsets {
			if i+j >= s.n || offs[i+j] != in.offsets[j] || s.arr.vals[i+j] != in.vals[j] {
				return false, s
			}
		}
		return true, s
	}
	order := *in.order
	for j, o := range in.offsets {
		if s.n+j >= len(order) || order[s.n+j] != o {
			return false, s
		}
	}
	arr := s.arr
	// Reuse the shared array when it already continues with exactly these entries.
	reuse := len(arr.offs) >= s.n+len(in.offsets)
	for j := 0; reuse && j < len(in.offsets); j++ {
		reuse = arr.offs[s.n+j] == in.offsets[j] && arr.vals[s.n+j] == in.vals[j]
	}
	if reuse {
		return true, linState{arr: arr, n: s.n + len(in.offsets)}
	}
	if len(arr.offs) != s.n {
		arr = &logArr{
			offs: append([]int64(nil), arr.offs[:s.n]...),
			vals: append([]uint64(nil), arr.vals[:s.n]...),
			hash: append([]uint64(nil), arr.hash[:s.n]...),
		}
	}
	h := s.hash()
	for j, o := range in.offsets {
		h = mix(h, o, in.vals[j])
		arr.offs = append(arr.offs, o)
		arr.vals = append(arr.vals, in.vals[j])
		arr.hash = append(arr.hash, h)
	}
	return true, linState{arr: arr, n: s.n + len(in.offsets)}
}

func linModel() porcupine.Model {
	return porcupine.Model{
		Init: func() any { return linState{arr: &logArr{}} },
		Step: linStep,
		Equal: func(a, b any) bool {
			x, y := a.(linState), b.(linState)
			if x.n != y.n || x.hash() != y.hash() {
				return false
			}
			if x.arr == y.arr {
				return true
			}
			for i := 0; i < x.n; i++ {
				if x.arr.offs[i] != y.arr.offs[i] || x.arr.vals[i] != y.arr.vals[i] {
					return false
				}
			}
			return true
		},
		Hash: func(s any) uint64 { return s.(linState).hash() },
		DescribeOperation: func(input, output any) string {
			in := input.(*linInput)
			var b strings.Builder
			if in.read {
				b.WriteString("poll →")
			} else {
				b.WriteString("send")
			}
			for j, o := range in.offsets {
				if j == 8 {
					fmt.Fprintf(&b, " … (%d records)", len(in.offsets))
					break
				}
				fmt.Fprintf(&b, " %s@%d", in.key.value(int32(in.vals[j])), o)
			}
			if in.read && len(in.offsets) == 0 {
				b.WriteString(" nothing")
			}
			return b.String()
		},
		DescribeState: func(state any) string {
			s := state.(linState)
			if s.n == 0 {
				return "empty log"
			}
			return fmt.Sprintf("%d records, last offset %d", s.n, s.lastOffset())
		},
	}
}

// linPlan lists, per key, what contributes porcupine operations: send invokes (their
// completion, if any, says how they ended) and runs of ok polls' records. Per-key
// histories are built from it one at a time, so that only the partitions being
// checked are in memory.
type linPlan struct {
	positions map[int32][]int32 // per key, positions of send invokes
	// pollRecs holds, per key, runs (start, end) of that key's records in
	// ok polls, with the poll's position: polls read many keys, and each key's history
	// needs only its own records.
	pollRecs map[int32][]linRun
	skipKeys map[int32]bool // keys written by transactions (not modelled)
	clients  map[int64]int  // process -> porcupine client id
	txns     int
}

// linRun is a run of one poll's records of one key: dataSpan(pos)[lo:hi], a header
// and its values (see addReads).
type linRun struct {
	pos, lo, hi int32
}

// linPlan finds, in one pass over the history, what each key's porcupine history
// is built from.
func (a *analysis) linPlan() *linPlan {
	var sbuf []rec
	pl := &linPlan{positions: map[int32][]int32{}, pollRecs: map[int32][]linRun{}, skipKeys: map[int32]bool{}, clients: map[int64]int{}}
	for pos := range a.n() {
		op := a.op(pos)
		switch {
		case op.Type == history.Event:
			continue
		case op.F == fTxn && op.Type == history.Invoke:
			pl.txns++
			for _, r := range a.sendsOf(&sbuf, pos) {
				pl.skipKeys[r.key] = true
			}
			continue
		case op.F == fSend && op.Type == history.Invoke:
		case op.F == fPoll && op.Type == history.OK:
		default:
			continue
		}
		if _, ok := pl.clients[op.Process]; !ok {
			pl.clients[op.Process] = len(pl.clients)
		}
		if op.F == fPoll {
			// One run of the line's data per run of reads (a poll line holds only
			// reads): each key's history decodes only its own.
			s := a.dataSpan(pos)
			for p := 0; p < len(s); {
				kid, _, _, end := readRun(s, p)
				pl.pollRecs[kid] = append(pl.pollRecs[kid], linRun{pos: pos, lo: int32(p), hi: int32(end)})
				p = end
			}
			continue
		}
		last := int32(-1)
		for _, r := range a.sendsOf(&sbuf, pos) {
			if r.key != last && !slices.Contains(pl.positions[r.key][max(0, len(pl.positions[r.key])-1):], pos) {
				pl.positions[r.key] = append(pl.positions[r.key], pos)
			}
			last = r.key
		}
	}
	return pl
}

// linCounts are what building one partition's history counted.
type linCounts struct {
	settled, dropped, trivialPolls int
}

// linHistory builds the porcupine history of one key.
func (a *analysis) linHistory(pl *linPlan, kid int32, cnt *linCounts) []porcupine.Operation {
	var sbuf []rec // sends of the line at hand (see sendsOf)
	k := a.keys[kid]
	order := new([]int64)
	var out []porcupine.Operation
	var inputs []linInput
	newInput := func() *linInput {
		if len(inputs) == cap(inputs) {
			inputs = make([]linInput, 0, 1024) // chunks: fewer, larger allocations
		}
		inputs = inputs[:len(inputs)+1]
		return &inputs[len(inputs)-1]
	}
	nextClient := len(pl.clients)
	// appended maps an offset to the append of it: value and return time.
	type appendAt struct {
		val uint64
		ret int64
	}
	appended := map[int64]appendAt{}
	for _, pos := range pl.positions[kid] {
		op := a.op(pos)

		// A send: its completion says how it ended; a pending one is unknown.
		c := a.complOf(pos)
		if c != noPos && a.typ(c) == history.Fail {
			continue // definitely not appended: dropped (a poll of it fails the check)
		}
		ok := c != noPos && a.typ(c) == history.OK
		src := pos // the completion, or the invoke if pending
		if c != noPos {
			src = c
		}
		// Operations are named by their completion's index (the invoke's if pending).
		index := a.opIndex(src)
		sends := a.sendsOf(&sbuf, src)
		for _, r := range sends {
			if r.key != kid {
				continue
			}
			off := r.off
			returnAt := int64(math.MaxInt64)
			cid := pl.clients[op.Process]
			if ok {
				returnAt = a.time(c)
			}
			if off < 0 || !ok {
				// Settle from what was read: the record took effect at the offset a poll
				// saw it, no later than that poll returned.
				fr := a.firstReader(kid, r.val)
				if fr == noPos {
					if !ok {
						cnt.dropped++
					}
					continue
				}
				ro := a.readOffset(fr, kid, r.val)
				if ro < 0 {
					continue
				}
				if off < 0 {
					off = ro
				}
				if !ok {
					cnt.settled++
					returnAt = max(a.time(fr), op.Time)
					cid = nextClient // a settled send may overlap its process's later ops
					nextClient++
				}
			}
			// One append per record: another producer's record may land between two
			// records of one send (int-send-skip), so they are not one atomic append.
			in := newInput()
			*in = linInput{order: order, one: [1]int64{off}, oneVal: [1]uint64{uint64(r.val)}, key: k}
			in.offsets, in.vals = in.one[:], in.oneVal[:]
			*order = append(*order, off)
			out = append(out, porcupine.Operation{ClientId: cid, Input: in, Call: op.Time, Return: returnAt, Metadata: index})
			if prev, dup := appended[off]; !dup || prev.ret > returnAt {
				appended[off] = appendAt{val: uint64(r.val), ret: returnAt}
			}
		}
	}
	sort.Slice(*order, func(i, j int) bool { return (*order)[i] < (*order)[j] })
	*order = slices.Compact(*order)
	rank := make(map[int64]int, len(*order))
	for i, o := range *order {
		rank[o] = i
	}
	runs := pl.pollRecs[kid]
	var rbuf []rec
	for i := 0; i < len(runs); {
		// One poll may hold several runs of this key (several poll micro-operations).
		pos := runs[i].pos
		op := a.op(pos)
		call := a.time(a.invokeOf(pos))
		in := newInput()
		*in = linInput{read: true, key: k}
		// A poll that returned contiguous records of the partition, each appended
		// (with that value) by a send that had returned before the poll began, is legal
		// wherever it is placed in any linearization of the sends: it needs no search.
		trivial := true
		for ; i < len(runs) && runs[i].pos == pos; i++ {
			rbuf = decodeReads(rbuf[:0], a.dataSpan(pos)[runs[i].lo:runs[i].hi])
			for _, r := range rbuf {
				if r.off < 0 {
					continue
				}
				if trivial {
					ap, ok := appended[r.off]
					trivial = ok && ap.val == uint64(r.val) && ap.ret < call
					if n := len(in.offsets); trivial && n > 0 {
						trivial = rank[r.off] == rank[in.offsets[n-1]]+1
					}
				}
				in.offsets = append(in.offsets, r.off)
				in.vals = append(in.vals, uint64(r.val))
			}
		}
		if len(in.offsets) == 0 || trivial {
			cnt.trivialPolls += min(len(in.offsets), 1)
			continue
		}
		out = append(out, porcupine.Operation{ClientId: pl.clients[op.Process], Input: in, Call: call, Return: op.Time, Metadata: op.Index})
	}
	return out
}

// linearizability runs porcupine on each partition, in parallel, within the timeout.
func (a *analysis) linearizability() {
	st := &LinStats{}
	a.res.Stats.Linearizability = st
	pl := a.linPlan()
	st.SkippedTxns = pl.txns
	var kids []int32
	for kid := range pl.positions {
		if !pl.skipKeys[kid] {
			kids = append(kids, kid)
		}
	}
	for kid := range pl.pollRecs {
		if _, sent := pl.positions[kid]; !sent && !pl.skipKeys[kid] {
			kids = append(kids, kid)
		}
	}
	sort.Slice(kids, func(i, j int) bool { return a.keys[kids[i]].name < a.keys[kids[j]].name })
	var deadline time.Time
	if a.opts.Timeout > 0 {
		deadline = time.Now().Add(a.opts.Timeout)
	}
	remaining := func() (time.Duration, bool) {
		if deadline.IsZero() {
			return 0, true
		}
		d := time.Until(deadline)
		return d, d > 0
	}
	maxOps := a.opts.PorcupineMaxOps
	if maxOps == 0 {
		maxOps = DefaultPorcupineMaxOps
	} else if maxOps < 0 {
		maxOps = math.MaxInt
	}
	results := make([]porcupine.CheckResult, len(kids))
	direct := make([]bool, len(kids))
	sizes := make([]int, len(kids))
	counts := make([]linCounts, len(kids))
	illegal := make([][]porcupine.Operation, len(kids)) // kept to visualize
	model := linModel()
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				h := a.linHistory(pl, kids[i], &counts[i])
				sizes[i] = len(h)
				if len(h) > maxOps {
					direct[i] = true
					results[i] = porcupine.Illegal
					if linDirect(h) {
						results[i] = porcupine.Ok
					} else {
						illegal[i] = h
					}
					continue
				}
				d, ok := remaining()
				if !ok {
					results[i] = porcupine.Unknown
					continue
				}
				results[i] = porcupine.CheckOperationsTimeout(model, h, d)
				if results[i] == porcupine.Illegal {
					illegal[i] = h
				}
				if a.opts.crossCheck && results[i] != porcupine.Unknown && linDirect(h) != (results[i] == porcupine.Ok) {
					panic(fmt.Sprintf("checker: porcupine says %s for partition %s, the direct algorithm disagrees", results[i], a.keys[kids[i]].name))
				}
			}
		}()
	}
	for i := range kids {
		work <- i
	}
	close(work)
	wg.Wait()
	verdict := LinOK
	for i, r := range results {
		if sizes[i] == 0 {
			continue
		}
		st.Partitions++
		st.Operations += sizes[i]
		st.SettledUnknown += counts[i].settled
		st.DroppedUnknown += counts[i].dropped
		st.PrecheckedPolls += counts[i].trivialPolls
		if direct[i] {
			st.DirectPartitions++
		}
		name := a.keys[kids[i]].name
		switch r {
		case porcupine.Illegal:
			verdict = LinIllegal
			st.IllegalKeys = append(st.IllegalKeys, name)
		case porcupine.Unknown:
			if verdict == LinOK {
				verdict = LinUnknown
			}
			st.UnknownKeys = append(st.UnknownKeys, name)
		}
	}
	a.res.Linearizable = verdict
	for i, r := range results {
		if r != porcupine.Illegal {
			continue
		}
		kid := kids[i]
		ops := illegal[i]
		an := &Anomaly{Key: a.keys[kid].name}
		file := ""
		if a.opts.OutDir != "" && direct[i] {
			an.Explanation = " (decided without porcupine, too large to visualize)"
		} else if a.opts.OutDir != "" {
			var err error
			file, err = a.visualize(model, kid, ops)
			if err != nil {
				file = ""
				an.Explanation = fmt.Sprintf(" (writing the visualization failed: %v)", err)
			} else {
				an.File = file
				st.Visualizations = append(st.Visualizations, file)
			}
		}
		where := ""
		if file != "" {
			where = " Porcupine's visualization of the longest partial linearizations is in " + file + "."
		}
		why := ""
		if ok, reason := linExplain(ops); !ok {
			why = " For example, " + reason + "."
		}
		an.Explanation = fmt.Sprintf("Partition %s cannot be explained as one append-only log consistent with real time: there is no order of its %s in which every poll returns contiguous records of the log at that moment.%s%s%s",
			a.keys[kid].name, plural(len(ops), "send or poll", "sends and polls"), why, where, an.Explanation)
		a.add(TypeNonlinearizable, an)
	}
}

// visualize writes porcupine's HTML visualization of one partition, annotated with
// the faults of the run and the events of that partition.
func (a *analysis) visualize(model porcupine.Model, kid int32, ops []porcupine.Operation) (string, error) {
	_, info := porcupine.CheckOperationsVerbose(model, ops, a.opts.Timeout)
	info.AddAnnotations(a.annotations(a.keys[kid].name))
	if err := os.MkdirAll(a.opts.OutDir, 0o755); err != nil {
		return "", err
	}
	name := strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r == ' ' {
			return '_'
		}
		return r
	}, a.keys[kid].name)
	path := filepath.Join(a.opts.OutDir, "linearizability-"+name+".html")
	if err := porcupine.VisualizePath(model, info, path); err != nil {
		return "", err
	}
	return path, nil
}

// annotations turns fault events into spans, and the partition's leader, truncate and
// log-start events into points, for the visualization.
func (a *analysis) annotations(key string) []porcupine.Annotation {
	var out []porcupine.Annotation
	open := map[string]int32{}
	var names []string
	end := int64(0)
	if n := a.n(); n > 0 {
		end = a.time(n - 1)
	}
	for i := range a.n() {
		if a.typ(i) != history.Event {
			continue
		}
		op := a.rare[i]
		switch op.F {
		case history.FFault:
			f := op.Fault
			if f.Action == "start" {
				if _, ok := open[f.Name]; !ok {
					names = append(names, f.Name)
				}
				open[f.Name] = i
				continue
			}
			if s, ok := open[f.Name]; ok {
				out = append(out, faultAnnotation(a.rare[s], op.Time))
				delete(open, f.Name)
			}
		case history.FLeader, history.FTruncate:
			for _, rc := range op.Replicas {
				if rc.Key != key {
					continue
				}
				desc := fmt.Sprintf("leader: broker %d, epoch %d", rc.Node, rc.Epoch)
				if op.F == history.FTruncate {
					desc = fmt.Sprintf("broker %d truncated to offset %d (epoch %d)", rc.Node, rc.Offset, rc.Epoch)
				}
				out = append(out, porcupine.Annotation{Tag: "partition " + key, Start: op.Time, End: op.Time, Description: desc, Details: fmt.Sprintf("history index %d", op.Index)})
			}
		case history.FLogStart:
			for _, ko := range op.Offsets {
				if ko.Key == key {
					out = append(out, porcupine.Annotation{Tag: "partition " + key, Start: op.Time, End: op.Time, Description: fmt.Sprintf("log start → %d", ko.Offset), Details: fmt.Sprintf("history index %d", op.Index)})
				}
			}
		}
	}
	for _, n := range names {
		if s, ok := open[n]; ok {
			out = append(out, faultAnnotation(a.rare[s], end))
		}
	}
	return out
}

func faultAnnotation(start *history.Op, end int64) porcupine.Annotation {
	return porcupine.Annotation{
		Tag: "faults", Start: start.Time, End: end,
		Description: start.Fault.Name, Details: start.Fault.Detail,
		BackgroundColor: "#FEB5DA",
	}
}
