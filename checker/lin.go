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
				fmt.Fprintf(&b, " %s@%d", in.key.info[in.vals[j]].v, o)
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

// linHistory builds each key's porcupine history.
func (a *analysis) linHistory(st *LinStats) (map[int32][]porcupine.Operation, map[int32]bool) {
	byKey := map[int32][]porcupine.Operation{}
	skipKeys := map[int32]bool{}
	orders := map[int32]*[]int64{}
	orderOf := func(kid int32) *[]int64 {
		o := orders[kid]
		if o == nil {
			o = new([]int64)
			orders[kid] = o
		}
		return o
	}
	var arena []linInput
	newInput := func() *linInput {
		if len(arena) == cap(arena) {
			arena = make([]linInput, 0, 4096) // chunks: fewer, larger allocations
		}
		arena = arena[:len(arena)+1]
		return &arena[len(arena)-1]
	}
	clients := map[int64]int{}
	nextClient := 0
	client := func(p int64) int {
		c, ok := clients[p]
		if !ok {
			c = nextClient
			nextClient++
			clients[p] = c
		}
		return c
	}
	for i := range a.ops {
		op := &a.ops[i]
		if op.Type == history.Event {
			continue
		}
		if op.F == history.FTxn && op.Type == history.Invoke {
			st.SkippedTxns++
			for _, r := range a.sendsOf(int32(i)) {
				skipKeys[r.key] = true
			}
			continue
		}
		// Sends are taken from invokes so that pending ones (never completed) count.
		if op.F == history.FSend && op.Type == history.Invoke {
			c := a.complOf[i]
			if c != noPos && a.ops[c].Type == history.Fail {
				continue
			}
			done := &a.ops[i]
			ok := c != noPos && a.ops[c].Type == history.OK
			if c != noPos {
				done = &a.ops[c]
			}
			sends := a.sendsOf(int32(i))
			if c != noPos {
				sends = a.sendsOf(c)
			}
			for _, r := range sends {
				k := a.keys[r.key]
				vi := &k.info[r.val]
				off := r.off
				returnAt := int64(math.MaxInt64)
				if ok {
					returnAt = done.Time
				}
				cid := client(op.Process)
				if off < 0 || !ok {
					// Settle from what was read: the record took effect at the offset a
					// poll saw it, no later than that poll returned.
					if vi.firstReader == noPos {
						if !ok {
							st.DroppedUnknown++
						}
						continue
					}
					ro := a.readOffset(vi.firstReader, k.name, vi.v)
					if ro < 0 {
						continue
					}
					if off < 0 {
						off = ro
					}
					if !ok {
						st.SettledUnknown++
						returnAt = max(a.ops[vi.firstReader].Time, op.Time)
						cid = nextClient // a settled send may overlap its process's later ops
						nextClient++
					}
				}
				// One append per record: another producer's record may land between two
				// records of one send (int-send-skip), so they are not one atomic append.
				in := newInput()
				*in = linInput{order: orderOf(r.key), one: [1]int64{off}, oneVal: [1]uint64{uint64(r.val)}, key: k}
				in.offsets, in.vals = in.one[:], in.oneVal[:]
				*in.order = append(*in.order, off)
				byKey[r.key] = append(byKey[r.key], porcupine.Operation{ClientId: cid, Input: in, Call: op.Time, Output: nil, Return: returnAt, Metadata: int64(op.Index)})
			}
			continue
		}
		if op.F != history.FPoll || op.Type != history.OK {
			continue
		}
		inv := a.invokeOf[i]
		ins := map[int32]*linInput{}
		var order []int32
		for _, r := range a.readsOf(int32(i)) {
			if r.off < 0 {
				continue
			}
			in := ins[r.key]
			if in == nil {
				in = newInput()
				*in = linInput{read: true, key: a.keys[r.key]}
				ins[r.key] = in
				order = append(order, r.key)
			}
			in.offsets = append(in.offsets, r.off)
			in.vals = append(in.vals, uint64(r.val))
		}
		for _, kid := range order {
			byKey[kid] = append(byKey[kid], porcupine.Operation{ClientId: client(op.Process), Input: ins[kid], Call: a.ops[inv].Time, Output: nil, Return: op.Time, Metadata: int64(op.Index)})
		}
	}
	for _, o := range orders {
		sort.Slice(*o, func(i, j int) bool { return (*o)[i] < (*o)[j] })
		*o = slices.Compact(*o)
	}
	return byKey, skipKeys
}

// linearizability runs porcupine on each partition, in parallel, within the timeout.
func (a *analysis) linearizability() {
	st := &LinStats{}
	a.res.Stats.Linearizability = st
	byKey, skipKeys := a.linHistory(st)
	var kids []int32
	for kid, ops := range byKey {
		if skipKeys[kid] || len(ops) == 0 {
			continue
		}
		kids = append(kids, kid)
		st.Operations += len(ops)
	}
	sort.Slice(kids, func(i, j int) bool { return a.keys[kids[i]].name < a.keys[kids[j]].name })
	st.Partitions = len(kids)
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
	hists := make([][]porcupine.Operation, len(kids))
	for i, kid := range kids {
		hists[i] = byKey[kid]
	}
	byKey = nil
	results := make([]porcupine.CheckResult, len(kids))
	model := linModel()
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				d, ok := remaining()
				if !ok {
					results[i] = porcupine.Unknown
					continue
				}
				results[i] = porcupine.CheckOperationsTimeout(model, hists[i], d)
				if results[i] != porcupine.Illegal {
					hists[i] = nil // kept only to visualize; let the memory go
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
		ops := hists[i]
		an := &Anomaly{Key: a.keys[kid].name}
		file := ""
		if a.opts.OutDir != "" {
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
		an.Explanation = fmt.Sprintf("Partition %s cannot be explained as one append-only log consistent with real time: porcupine found no order of its %d sends and polls in which every poll returns contiguous records of the log at that moment.%s%s",
			a.keys[kid].name, len(ops), where, an.Explanation)
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
	if len(a.ops) > 0 {
		end = a.ops[len(a.ops)-1].Time
	}
	for i := range a.ops {
		op := &a.ops[i]
		if op.Type != history.Event {
			continue
		}
		switch op.F {
		case history.FFault:
			f := op.Fault
			if f.Action == "start" {
				if _, ok := open[f.Name]; !ok {
					names = append(names, f.Name)
				}
				open[f.Name] = int32(i)
				continue
			}
			if s, ok := open[f.Name]; ok {
				out = append(out, faultAnnotation(&a.ops[s], op.Time))
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
			out = append(out, faultAnnotation(&a.ops[s], end))
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
