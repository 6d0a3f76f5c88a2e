package checker

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"logsim/checker/history"
)

// Dependency edge types.
const (
	edgeWW = 1 << iota
	edgeWR
	edgeProcess
	edgeRealtime
)

func edgeName(t uint8) string {
	switch t {
	case edgeWW:
		return "ww"
	case edgeWR:
		return "wr"
	case edgeProcess:
		return "process"
	}
	return "realtime"
}

// cycleClass is one of Elle's cycle anomalies: a cycle using only allowed edge types
// and at least one edge of each required type.
type cycleClass struct {
	name     string
	allowed  uint8
	required []uint8
}

var cycleClasses = []cycleClass{
	{TypeG0, edgeWW, []uint8{edgeWW}},
	{TypeG1c, edgeWW | edgeWR, []uint8{edgeWR}},
	{TypeG0Process, edgeWW | edgeProcess, []uint8{edgeProcess}},
	{TypeG1cProcess, edgeWW | edgeWR | edgeProcess, []uint8{edgeWR, edgeProcess}},
	{TypeG0Realtime, edgeWW | edgeProcess | edgeRealtime, []uint8{edgeRealtime}},
	{TypeG1cRealtime, edgeWW | edgeWR | edgeProcess | edgeRealtime, []uint8{edgeWR, edgeRealtime}},
}

// cycleSearchBudget bounds the edges the cycle searches visit in one check.
const cycleSearchBudget = 200_000_000

type edge struct {
	from, to int32
	typ      uint8 // the key and values of ww and wr edges are found again when reported
}

// depGraph is the dependency graph of completed send, poll and txn operations, plus
// barrier nodes that carry the realtime order in O(n) edges: every operation that
// completed before a barrier was created links to it, the barrier links to every
// operation invoked after it, and barriers link in a chain.
type depGraph struct {
	nodeOp []int32 // node -> history position; noPos for barriers
	edges  []edge
	start  []int32 // CSR: out-edges of node n are adj[start[n]:start[n+1]]
	adj    []int32 // edge indices
}

// vertexMap maps history positions to graph nodes (-1: not a vertex).
type vertexMap []int32

func (v vertexMap) get(pos int32) (int32, bool) {
	if pos < 0 {
		return -1, false
	}
	n := v[pos]
	return n, n >= 0
}

func (a *analysis) buildGraph() *depGraph {
	var rbuf []rec // reads of the line at hand (see readsOf)
	g := &depGraph{}
	vertex := make(vertexMap, a.n())
	for i := range vertex {
		vertex[i] = -1
	}
	isVertex := func(pos int32) bool {
		op := a.op(pos)
		if op.F != fSend && op.F != fPoll && op.F != fTxn {
			return false
		}
		return op.Type == history.OK || (op.Type == history.Info && a.mustHaveCommitted(pos))
	}
	for i := range a.n() {
		if a.typ(i).IsCompletion() && isVertex(i) {
			vertex[i] = int32(len(g.nodeOp))
			g.nodeOp = append(g.nodeOp, i)
		}
	}
	if len(g.nodeOp) == 0 {
		return g
	}
	// wr: the writer of each value to every other operation that polled it.
	for _, pos := range g.nodeOp {
		to := vertex[pos]
		var seen []int32
		for _, r := range a.readsOf(&rbuf, pos) {
			w := a.keys[r.key].vi(r.val).writer
			from, ok := vertex.get(w)
			if !ok || w == pos || slices.Contains(seen, from) {
				continue
			}
			seen = append(seen, from)
			g.edges = append(g.edges, edge{from: from, to: to, typ: edgeWR})
		}
	}
	// ww: consecutive values of each key's version order.
	if a.opts.WWDeps {
		for _, k := range a.keys {
			for i := int32(1); i < k.numOffsets(); i++ {
				v1, v2 := k.rep(i-1), k.rep(i)
				w1, w2 := k.vi(v1).writer, k.vi(v2).writer
				from, ok1 := vertex.get(w1)
				to, ok2 := vertex.get(w2)
				if ok1 && ok2 && from != to {
					g.edges = append(g.edges, edge{from: from, to: to, typ: edgeWW})
				}
			}
		}
	}
	// process and realtime orders.
	lastOf := map[int64]int32{}
	var completed []int32
	barrier := int32(-1)
	for pos := range a.n() {
		op := a.op(pos)
		switch {
		case op.Type == history.Invoke:
			c := a.complOf(pos)
			if c == noPos {
				continue
			}
			n, ok := vertex.get(c)
			if !ok {
				continue
			}
			if len(completed) > 0 {
				x := int32(len(g.nodeOp))
				g.nodeOp = append(g.nodeOp, noPos)
				if barrier >= 0 {
					g.edges = append(g.edges, edge{from: barrier, to: x, typ: edgeRealtime})
				}
				for _, c := range completed {
					g.edges = append(g.edges, edge{from: c, to: x, typ: edgeRealtime})
				}
				completed = completed[:0]
				barrier = x
			}
			if barrier >= 0 {
				g.edges = append(g.edges, edge{from: barrier, to: n, typ: edgeRealtime})
			}
		case op.Type.IsCompletion():
			n, ok := vertex.get(pos)
			if !ok {
				continue
			}
			completed = append(completed, n)
			if prev, ok := lastOf[op.Process]; ok {
				g.edges = append(g.edges, edge{from: prev, to: n, typ: edgeProcess})
			}
			lastOf[op.Process] = n
		}
	}
	// CSR.
	nn := len(g.nodeOp)
	g.start = make([]int32, nn+1)
	for _, e := range g.edges {
		g.start[e.from+1]++
	}
	for i := 0; i < nn; i++ {
		g.start[i+1] += g.start[i]
	}
	g.adj = make([]int32, len(g.edges))
	fill := append([]int32(nil), g.start[:nn]...)
	for i, e := range g.edges {
		g.adj[fill[e.from]] = int32(i)
		fill[e.from]++
	}
	return g
}

// sccs returns the strongly connected components with more than one node (Tarjan's
// algorithm, iterative so that long chains do not exhaust the stack).
func (g *depGraph) sccs() [][]int32 {
	n := len(g.nodeOp)
	index := make([]int32, n)
	low := make([]int32, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int32
	var out [][]int32
	type frame struct {
		node int32
		next int32 // next adjacency position
	}
	var call []frame
	counter := int32(0)
	for root := 0; root < n; root++ {
		if index[root] >= 0 {
			continue
		}
		call = append(call, frame{node: int32(root), next: g.start[root]})
		index[root], low[root] = counter, counter
		counter++
		stack = append(stack, int32(root))
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.node
			if f.next < g.start[v+1] {
				w := g.edges[g.adj[f.next]].to
				f.next++
				if index[w] < 0 {
					index[w], low[w] = counter, counter
					counter++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{node: w, next: g.start[w]})
				} else if onStack[w] && index[w] < low[v] {
					low[v] = index[w]
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].node
				if low[v] < low[p] {
					low[p] = low[v]
				}
			}
			if low[v] == index[v] {
				var comp []int32
				for {
					w := stack[len(stack)-1]
					stack = stack[:len(stack)-1]
					onStack[w] = false
					comp = append(comp, w)
					if w == v {
						break
					}
				}
				if len(comp) > 1 {
					out = append(out, comp)
				}
			}
		}
	}
	return out
}

func (a *analysis) cycles() {
	if !a.opts.WWDeps && a.acyclicByTime() {
		return
	}
	g := a.buildGraph()
	comps := g.sccs()
	if len(comps) == 0 {
		return
	}
	sort.Slice(comps, func(i, j int) bool { return minNode(comps[i]) < minNode(comps[j]) })
	budget := cycleSearchBudget
	for _, comp := range comps {
		found := false
		for _, cls := range cycleClasses {
			path := findCyclePath(g, comp, cls, &budget)
			if path == nil {
				continue
			}
			found = true
			a.reportCycle(g, cls.name, path)
		}
		if !found {
			// Every cycle here has a wr or ww edge, so some class matches it: only an
			// exhausted budget leaves a component unexplained. Say so rather than
			// staying silent.
			a.res.Stats.CycleSearchIncomplete = true
		}
	}
}

// acyclicByTime proves cheaply that the dependency graph has no cycle, which is the
// common case of histories without transactions: when no operation both sends and
// polls, a cycle alternates wr edges (writer W to reader R) with process/realtime
// paths (R completed before the next writer was invoked). If every reader completed
// after its writer was invoked, following the cycle gives inv(W1) < cmp(R1) <
// inv(W2) < ... < inv(W1), which is impossible. (Without ww edges: see WWDeps.)
// When no completion both read and sent, and every send of each value was filed
// before any read of it, every writer precedes its readers: no walk is needed.
func (a *analysis) acyclicByTime() bool {
	if !walkAll && !a.readsAndSends && !a.sentAfterRead {
		return true
	}
	var rbuf, sbuf []rec // records of the line at hand (see readsOf)
	for pos := range a.n() {
		reads := a.readsOf(&rbuf, pos)
		if len(reads) == 0 {
			continue
		}
		if len(a.sendsOf(&sbuf, pos)) > 0 {
			return false
		}
		for _, r := range reads {
			w := a.keys[r.key].vi(r.val).writer
			if w == noPos {
				continue
			}
			inv := w
			if a.typ(w) != history.Invoke {
				inv = a.invokeOf(w)
			}
			if inv > pos {
				return false // read from the future: build the graph and find the cycle
			}
		}
	}
	return true
}

func minNode(c []int32) int32 {
	m := c[0]
	for _, n := range c {
		m = min(m, n)
	}
	return m
}

// findCyclePath is a BFS over (node, required-types-seen) states that remembers each
// state's predecessor state, so that the cycle can be walked back.
func findCyclePath(g *depGraph, comp []int32, cls cycleClass, budget *int) []int32 {
	nreq := len(cls.required)
	full := uint8(1)<<nreq - 1
	local := make(map[int32]int32, len(comp))
	for i, n := range comp {
		local[n] = int32(i)
	}
	reqBits := func(t uint8) uint8 {
		var b uint8
		for i, r := range cls.required {
			if t == r {
				b |= 1 << i
			}
		}
		return b
	}
	// Every cycle of the class has an edge of the first required type, so trying the
	// source of each such edge as a start makes the search complete (within budget).
	var starts []int32
	for _, n := range comp {
		for p := g.start[n]; p < g.start[n+1]; p++ {
			e := g.edges[g.adj[p]]
			if _, in := local[e.to]; in && e.typ == cls.required[0] {
				starts = append(starts, n)
				break
			}
		}
	}
	nstates := len(comp) << nreq
	prevEdge := make([]int32, nstates)
	prevState := make([]int32, nstates)
	for _, s := range starts {
		for i := range prevEdge {
			prevEdge[i] = -1
		}
		start := local[s] << nreq
		prevEdge[start] = -2
		queue := []int32{start}
		for len(queue) > 0 {
			st := queue[0]
			queue = queue[1:]
			node := comp[st>>nreq]
			flags := uint8(st) & full
			for p := g.start[node]; p < g.start[node+1]; p++ {
				ei := g.adj[p]
				e := g.edges[ei]
				if e.typ&cls.allowed == 0 {
					continue
				}
				tl, in := local[e.to]
				if !in {
					continue
				}
				if *budget--; *budget < 0 {
					return nil
				}
				nf := flags | reqBits(e.typ)
				if e.to == s && nf == full {
					path := []int32{ei}
					for cur := st; prevEdge[cur] != -2; cur = prevState[cur] {
						path = append(path, prevEdge[cur])
					}
					for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
						path[i], path[j] = path[j], path[i]
					}
					return path
				}
				ns := tl<<nreq | int32(nf)
				if prevEdge[ns] == -1 {
					prevEdge[ns] = ei
					prevState[ns] = st
					queue = append(queue, ns)
				}
			}
		}
	}
	return nil
}

// reportCycle turns a cycle of edges into an anomaly, folding barrier nodes into
// realtime steps between operations.
func (a *analysis) reportCycle(g *depGraph, name string, path []int32) {
	// Rotate so that the cycle starts at its operation with the lowest history index
	// (never at a barrier), which makes reports deterministic.
	best, bestIdx := -1, int64(0)
	for i, ei := range path {
		if p := g.nodeOp[g.edges[ei].from]; p != noPos && (best < 0 || a.opIndex(p) < bestIdx) {
			best, bestIdx = i, a.opIndex(p)
		}
	}
	path = append(append([]int32(nil), path[best:]...), path[:best]...)
	var cycle []int64
	var steps []Step
	var text []string
	from := g.nodeOp[g.edges[path[0]].from]
	cycle = append(cycle, a.opIndex(from))
	for i := 0; i < len(path); i++ {
		e := g.edges[path[i]]
		typ := e.typ
		j := i
		for g.nodeOp[g.edges[path[j]].to] == noPos {
			j++
			typ = edgeRealtime
		}
		to := g.nodeOp[g.edges[path[j]].to]
		st := Step{Type: edgeName(typ)}
		fromDesc, toDesc := a.describe(from), a.describe(to)
		switch typ {
		case edgeWR:
			k, v := a.wrLabel(from, to)
			st.Key, st.Value = k.name, ptr(k.value(v))
			text = append(text, fmt.Sprintf("%s sent %s to %s, which %s polled", fromDesc, k.value(v), k.name, toDesc))
		case edgeWW:
			k, v1, v2 := a.wwLabel(from, to)
			st.Key, st.Value, st.Value2 = k.name, ptr(k.value(v1)), ptr(k.value(v2))
			text = append(text, fmt.Sprintf("%s sent %s to %s just before %s sent %s", fromDesc, k.value(v1), k.name, toDesc, k.value(v2)))
		case edgeProcess:
			text = append(text, fmt.Sprintf("%s came before %s in the same process", fromDesc, toDesc))
		default:
			text = append(text, fmt.Sprintf("%s completed before %s began", fromDesc, toDesc))
		}
		steps = append(steps, st)
		cycle = append(cycle, a.opIndex(to))
		from = to
		i = j
	}
	a.add(name, &Anomaly{
		Cycle: cycle, Steps: steps,
		Explanation: fmt.Sprintf("A dependency cycle (%s): %s; so each operation must precede itself.", name, strings.Join(text, "; ")),
	})
}

// wrLabel finds the key and value by which operation at position from wrote what the
// operation at position to read.
func (a *analysis) wrLabel(from, to int32) (*keyState, int32) {
	for _, r := range a.readsInto(nil, to) {
		if a.keys[r.key].vi(r.val).writer == from {
			return a.keys[r.key], r.val
		}
	}
	panic(fmt.Sprintf("checker: no wr dependency from position %d to %d", from, to))
}

// wwLabel finds the key and consecutive values by which operation from wrote just
// before operation to.
func (a *analysis) wwLabel(from, to int32) (*keyState, int32, int32) {
	for _, r := range a.sendsInto(nil, to) {
		k := a.keys[r.key]
		if k.vi(r.val).writer != to {
			continue
		}
		// A value may represent several offsets (a duplicate): try each.
		for i := int32(1); i < k.numOffsets(); i++ {
			if k.rep(i) == r.val && k.vi(k.rep(i-1)).writer == from {
				return k, k.rep(i - 1), r.val
			}
		}
	}
	panic(fmt.Sprintf("checker: no ww dependency from position %d to %d", from, to))
}
