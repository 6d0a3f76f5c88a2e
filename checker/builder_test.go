package checker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/checker/history"
)

// logsimShaped streams a history shaped like a logsim run's to emit, building every
// line in one reused Op as workloads.History does: producers send one record per
// operation (invoke, then ok with its offset), a consumer of group "g" polls runs of
// 10 to 50 records of one partition and commits after each poll, and a final reader
// reads every partition again from the beginning, 50 records a poll. Every record is
// read twice. It returns the number of records sent.
func logsimShaped(records, keys int, emit func(op *history.Op)) int {
	var op history.Op
	var mops [1]history.Mop
	var reads [1]history.KeyRecords
	var recs []history.Record
	var offs [1]history.KeyOffset
	names := make([]string, keys)
	for k := range names {
		names[k] = fmt.Sprintf("orders/%d", k)
	}
	index, now := int64(0), int64(0)
	line := func(proc int64, t history.Type, f string) *history.Op {
		op = history.Op{Index: index, Time: now, Process: proc, Type: t, F: f}
		index++
		now += 1000
		return &op
	}
	const consumer, drain = 1000, 1001
	o := line(consumer, history.Invoke, history.FSubscribe)
	o.Group, o.Keys = "g", []string{"orders"}
	emit(o)
	o = line(consumer, history.OK, history.FSubscribe)
	o.Group, o.Keys = "g", []string{"orders"}
	emit(o)
	// Record v goes to partition v%keys at offset v/keys: no per-record state.
	logEnd := make([]int, keys) // records per partition
	read := make([]int, keys)   // the consumer's position per partition
	poll := func(proc int64, group string, k, from, n int) {
		o := line(proc, history.Invoke, history.FPoll)
		o.Group = group
		mops[0] = history.Poll()
		o.Mops = mops[:]
		emit(o)
		recs = recs[:0]
		for off := from; off < from+n; off++ {
			recs = append(recs, history.Record{Offset: int64(off), Value: history.Int(int64(off*keys + k))})
		}
		o = line(proc, history.OK, history.FPoll)
		o.Group = group
		reads[0] = history.KeyRecords{Key: names[k], Records: recs}
		mops[0] = history.Poll(reads[:]...)
		o.Mops = mops[:]
		emit(o)
	}
	batch := 10
	for v := range records {
		k, p := v%keys, int64(v%16)
		o := line(p, history.Invoke, history.FSend)
		mops[0] = history.Send(names[k], history.Int(int64(v)))
		o.Mops = mops[:]
		emit(o)
		o = line(p, history.OK, history.FSend)
		mops[0] = history.SendAt(names[k], int64(logEnd[k]), history.Int(int64(v)))
		o.Mops = mops[:]
		emit(o)
		logEnd[k]++
		if logEnd[k]-read[k] < batch {
			continue
		}
		poll(consumer, "g", k, read[k], batch)
		read[k] += batch
		batch = 10 + (batch+7)%41
		for _, t := range []history.Type{history.Invoke, history.OK} {
			o = line(consumer, t, history.FCommit)
			o.Group = "g"
			offs[0] = history.KeyOffset{Key: names[k], Offset: int64(read[k])}
			o.Offsets = offs[:]
			emit(o)
		}
	}
	for k := range logEnd {
		if n := logEnd[k] - read[k]; n > 0 {
			poll(consumer, "g", k, read[k], n)
		}
	}
	all := make([]string, keys)
	copy(all, names)
	o = line(drain, history.Invoke, history.FAssign)
	o.Keys, o.SeekToBeginning = all, true
	emit(o)
	o = line(drain, history.OK, history.FAssign)
	o.Keys, o.SeekToBeginning = all, true
	emit(o)
	for k := range logEnd {
		for from := 0; from < logEnd[k]; from += 50 {
			poll(drain, "", k, from, min(50, logEnd[k]-from))
		}
	}
	return records
}

// deepCopyOp copies one line with all its slices.
func deepCopyOp(op *history.Op) history.Op {
	return deepCopy([]history.Op{*op})[0]
}

func TestBuilderCopiesWhatItKeeps(t *testing.T) {
	// The generator reuses one Op and its slices for every line: a Builder that kept
	// any of them would see later lines' contents.
	var kept []history.Op
	b := NewBuilder(Options{Linearizability: true})
	logsimShaped(3000, 4, func(op *history.Op) {
		kept = append(kept, deepCopyOp(op))
		require.NoError(t, b.Add(op))
		// Scribble over everything the caller owns.
		for i := range op.Mops {
			op.Mops[i].Key = "scribbled"
			op.Mops[i].Value = history.Int(-5)
			op.Mops[i].Offset = 99
			for j := range op.Mops[i].Reads {
				op.Mops[i].Reads[j].Key = "scribbled"
				for r := range op.Mops[i].Reads[j].Records {
					op.Mops[i].Reads[j].Records[r] = history.Record{Offset: 7, Value: history.Int(7)}
				}
			}
		}
		for i := range op.Keys {
			op.Keys[i] = "scribbled"
		}
		for i := range op.Offsets {
			op.Offsets[i] = history.KeyOffset{Key: "scribbled", Offset: 1}
		}
		op.Group = "scribbled"
	})
	got, err := b.Result()
	require.NoError(t, err)
	want, err := Check(kept, Options{Linearizability: true})
	require.NoError(t, err)
	require.True(t, want.Valid, "errors: %v", want.Errors)
	assert.Equal(t, resultJSON(t, want), resultJSON(t, got))
	assert.Equal(t, 3000*2, got.Stats.RecordsRead)
}

func resultJSON(t *testing.T, res *Result) string {
	t.Helper()
	b, err := json.Marshal(res)
	require.NoError(t, err)
	return string(b)
}

func TestBuilderMatchesCheckOnGeneratedHistories(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		ops := generate(genConfig{seed: seed, lines: 3000, keys: 1 + int(seed%4), procs: 6, maxDelay: 5000, retention: seed%2 == 0, groups: true})
		want, err := Check(ops, Options{Linearizability: true, WWDeps: true})
		require.NoError(t, err)
		// Fed one reused Op: each line copied into the same scratch Op first.
		b := NewBuilder(Options{Linearizability: true, WWDeps: true})
		var scratch history.Op
		for i := range ops {
			scratch = deepCopyOp(&ops[i])
			require.NoError(t, b.Add(&scratch))
			scratch.Mops, scratch.Keys, scratch.Offsets = nil, nil, nil
		}
		got, err := b.Result()
		require.NoError(t, err)
		assert.Equal(t, resultJSON(t, want), resultJSON(t, got), "seed %d", seed)
		// Result runs the analyses once; Add after it is refused.
		again, err := b.Result()
		require.NoError(t, err)
		assert.Same(t, got, again)
		assert.ErrorIs(t, b.Add(&scratch), errAfterResult)
	}
}

func TestBuilderErrorNamesTheIndex(t *testing.T) {
	b := NewBuilder(Options{})
	require.NoError(t, b.Add(&history.Op{Index: 0, Time: 5, Process: 1, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}}))
	err := b.Add(&history.Op{Index: 7, Time: 3, Process: 1, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll()}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "checker: operation at index 7: time 3 goes backwards")
	// The error sticks: the history is broken from there on.
	assert.Equal(t, err, b.Add(&history.Op{Index: 8, Time: 9, Process: 2, Type: history.Invoke, F: history.FPoll}))
	_, rerr := b.Result()
	assert.Equal(t, err, rerr)
}

func TestCheckReaderMatchesCheck(t *testing.T) {
	ops := generate(genConfig{seed: 3, lines: 2000, keys: 3, procs: 5, maxDelay: 5000, retention: true, groups: true})
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	for i := range ops {
		require.NoError(t, w.Write(&ops[i]))
	}
	require.NoError(t, w.Flush())
	want, err := Check(ops, DefaultOptions())
	require.NoError(t, err)
	got, err := CheckReader(bytes.NewReader(buf.Bytes()), "h.jsonl", DefaultOptions())
	require.NoError(t, err)
	assert.Equal(t, resultJSON(t, want), resultJSON(t, got))

	// Bad input: the error names the file and line.
	lines := strings.SplitAfter(buf.String(), "\n")
	lines[4] = strings.Replace(lines[4], `"time":`, `"time":-`, 1)
	_, err = CheckReader(strings.NewReader(strings.Join(lines, "")), "h.jsonl", DefaultOptions())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "h.jsonl:5")
}

func TestCheckFile(t *testing.T) {
	for _, f := range []string{"testdata/corpus/lost-write.jsonl", "testdata/corpus/jepsen-lost-write.edn"} {
		ops, err := ReadFile(f)
		require.NoError(t, err, f)
		want, err := Check(ops, DefaultOptions())
		require.NoError(t, err)
		got, err := CheckFile(f, DefaultOptions())
		require.NoError(t, err)
		assert.Equal(t, resultJSON(t, want), resultJSON(t, got), f)
	}
	_, err := CheckFile("testdata/corpus/does-not-exist.jsonl", DefaultOptions())
	require.Error(t, err)
}

// BenchmarkBuilderLogsimShaped streams a logsim-shaped history of a million records
// (about 2.2 lines each; see logsimShaped) through a Builder, with the options
// scenarios.Run uses (no porcupine), and reports the size of the Builder's tables
// once every line is added (tables-B/record, live heap after a collection), the
// check's peak heap per record and the records checked per second of wall time (see
// measureCheck), with the generation of the history (records/s) and without it
// (checker-records/s).
func BenchmarkBuilderLogsimShaped(b *testing.B) {
	const records = 1_000_000
	build := func() *Builder {
		bld := NewBuilder(Options{})
		logsimShaped(records, 16, func(op *history.Op) {
			if err := bld.Add(op); err != nil {
				b.Fatal(err)
			}
		})
		return bld
	}
	runtime.GC()
	base := liveHeap()
	bld := build()
	runtime.GC()
	tables := liveHeap() - base
	runtime.KeepAlive(bld)
	bld = nil
	// The generator's own time, to report the checker's rate alone as well.
	lines := 0
	start := time.Now()
	logsimShaped(records, 16, func(*history.Op) { lines++ })
	gen := time.Since(start)
	for b.Loop() {
		elapsed := measureCheck(b, records, func() (*Result, error) { return build().Result() })
		b.ReportMetric(float64(tables)/records, "tables-B/record")
		b.ReportMetric(records/(elapsed-gen).Seconds(), "checker-records/s")
		b.ReportMetric(float64(lines)/records, "lines/record")
	}
}

// measureCheck runs check as one iteration of a benchmark of a valid history of
// the given records, reports the peak heap per record it took (live and not yet
// collected, sampled) and the records checked per second of wall time, and returns
// that time.
func measureCheck(b *testing.B, records int, check func() (*Result, error)) time.Duration {
	runtime.GC()
	debug.FreeOSMemory()
	base := liveHeap()
	stop := samplePeakHeap()
	start := time.Now()
	res, err := check()
	elapsed := time.Since(start)
	peak := stop()
	require.NoError(b, err)
	require.True(b, res.Valid, "errors: %v", res.Errors)
	b.ReportMetric(float64(peak-base)/float64(records), "B/record")
	b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
	return elapsed
}

// TestFrontier checks frontier against the list of steps it stands for, with offsets
// dense, sparse and far from zero (which switch it to steps).
func TestFrontier(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		var f frontier
		var steps []step
		now, off := int32(0), int64(rng.IntN(5))-1
		if trial%3 == 0 {
			off = 1 << 40
		}
		for range rng.IntN(300) {
			now += int32(rng.IntN(3))
			switch rng.IntN(10) {
			case 0:
				off += 1 << 20 // a jump too far for the array
			case 1:
				off -= int64(rng.IntN(5)) // not a raise
			default:
				off += int64(rng.IntN(3))
			}
			f.raise(off, now, 0)
			if off >= 0 && (len(steps) == 0 || off > steps[len(steps)-1].off) {
				steps = append(steps, step{pos: now, off: off})
			}
		}
		for _, o := range []int64{0, 1, off - 1, off, off + 1, 1 << 40, 1<<40 + 3, int64(rng.IntN(1000))} {
			j := sort.Search(len(steps), func(j int) bool { return steps[j].off >= o })
			wantT, wantOK := noPos, j < len(steps)
			if wantOK {
				wantT = steps[j].pos
			}
			gotT, gotOK := f.reached(o)
			require.Equal(t, wantOK, gotOK, "trial %d offset %d", trial, o)
			require.Equal(t, wantT, gotT, "trial %d offset %d", trial, o)
		}
	}
}

// TestOffsetCounts checks offsetCounts against a map, offsets near and far.
func TestOffsetCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 100 {
		c := offsetCounts{hint: []int{0, 50, 5000}[trial%3]}
		want := map[int64]int32{}
		base := int64(rng.IntN(100))
		for range rng.IntN(2000) {
			o := base + int64(rng.IntN(50)) - 10
			if trial%4 == 3 { // counts beyond the array's 8 bits
				o = base + int64(rng.IntN(3)) - 1
			}
			switch rng.IntN(20) {
			case 0:
				o += 1 << 40
			case 1:
				o += int64(rng.IntN(1 << 16))
			}
			c.add(o)
			want[o]++
		}
		got := map[int64]int32{}
		c.each(func(o int64, n int32) { got[o] += n })
		require.Equal(t, len(want), len(got), "trial %d", trial)
		for o, n := range want {
			require.Equal(t, n, got[o], "trial %d offset %d", trial, o)
			require.Equal(t, n, c.get(o), "trial %d offset %d", trial, o)
		}
		require.Zero(t, c.get(-1<<50))
	}
	var none *offsetCounts
	require.Zero(t, none.get(3))
}

// TestVersionOrder checks a key's version order (offsets seen, the value representing
// each, every value's first and last dense index, count and by-value index) against a
// map-based model, with offsets near and far, duplicates and inconsistent offsets,
// and offsets all contiguous (an order that is its offset array: dense).
func TestVersionOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 100 {
		a := &analysis{keyID: map[string]int32{}}
		_, k := a.keyAndID("k")
		at := map[int64][]int32{}
		contiguous := trial%4 == 0
		for range rng.IntN(3000) {
			o := int64(rng.IntN(400))
			if contiguous {
				o = 7 + int64(rng.IntN(60))
			} else if rng.IntN(30) == 0 {
				o += 1 << 40
			}
			v := int32(o % 300)
			if rng.IntN(10) == 0 {
				v = int32(rng.IntN(300)) // another value at the offset, or a duplicate
			}
			for v >= k.nVals() {
				k.intern(history.Int(int64(k.nVals())))
			}
			k.observe(o, v)
			if !slices.Contains(at[o], v) {
				at[o] = append(at[o], v)
			}
		}
		k.buildOrder()
		offs := slices.Sorted(maps.Keys(at))
		n := int32(len(offs))
		require.Equal(t, n > 0 && offs[n-1]-offs[0]+1 == int64(n) && offs[n-1] < 1<<40, k.dense, "trial %d", trial)
		require.Equal(t, n, k.numOffsets(), "trial %d", trial)
		first, last, count, vo := map[int32]int32{}, map[int32]int32{}, map[int32]int32{}, map[int32]int32{}
		for i, o := range offs {
			require.Equal(t, o, k.offset(int32(i)))
			require.Equal(t, at[o][0], k.rep(int32(i)))
			require.Equal(t, int32(i), k.searchOffset(o))
			vo[at[o][0]] = int32(i)
			for _, v := range at[o] {
				if _, ok := first[v]; !ok {
					first[v] = int32(i)
				}
				last[v], count[v] = int32(i), count[v]+1
			}
		}
		for v := range k.nVals() {
			wantFirst, ok := first[v]
			if !ok {
				wantFirst = -1
			}
			wantLast, ok := last[v]
			if !ok {
				wantLast = -1
			}
			wantVO, ok := vo[v]
			if !ok {
				wantVO = -1
			}
			require.Equal(t, wantFirst, k.first(v), "trial %d value %d", trial, v)
			require.Equal(t, wantLast, k.last(v), "trial %d value %d", trial, v)
			require.Equal(t, count[v], k.appearances(v), "trial %d value %d", trial, v)
			require.Equal(t, wantVO, k.idx(v), "trial %d value %d", trial, v)
		}
	}
}

// TestLineTimes checks the line table's times, which a chunk keeps as 24-bit deltas
// from 32-bit anchors until a block of lines spans more than 16.7 ms (then 32-bit
// deltas), or the chunk more than 4.3 s (then whole).
func TestLineTimes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var lt lineTable
	var want []int64
	now := int64(0)
	for n := range 4 * linesPerChunk {
		switch {
		case n == linesPerChunk+100:
			now += 1 << 33 // the second chunk goes wide after 100 lines
		case n == 2*linesPerChunk+200:
			now += 1 << 25 // the third takes 32-bit deltas within a block
		case n%timeBlock == 0 && n/timeBlock%10 == 3:
			now += 1 << 25 // a block's anchor takes a long gap
		case rng.IntN(1000) == 0:
			now += 1 << 20
		default:
			now += int64(rng.IntN(3))
		}
		lt.addLine(now, 0, history.Invoke, fSend, noPos)
		want = append(want, now)
	}
	lt.thaw()
	for pos, w := range want {
		require.Equal(t, w, lt.time(int32(pos)), "line %d", pos)
	}
	for c, wide := range []bool{false, true, false, false} {
		assert.Equal(t, wide, lt.chunks[c].wide != nil, "chunk %d", c)
		assert.Equal(t, c == 2, lt.chunks[c].mid != nil, "chunk %d", c)
	}
}

// TestValueTable interns values shared by several keys (Jepsen's histories number
// each key's values from 1), strings and far values, and looks each up again; half
// way, keys beyond 8 bits of owner appear, which widens the slots that hold some
// already, and keys beyond 16 bits, which use their maps.
func TestValueTable(t *testing.T) {
	a := &analysis{keyID: map[string]int32{}}
	rng := rand.New(rand.NewPCG(9, 10))
	want := map[string]map[history.Value]int32{}
	names := []string{"k0", "k1", "k2", "k3", "k4"}
	for i := range 20000 {
		if i == 10000 {
			require.Nil(t, a.values.owners, "5 keys fit beside their ids")
			for j := range 0x10000 {
				a.key(fmt.Sprintf("pad%d", j))
			}
			names = append(names, "pad300", "pad70000", "far")
		}
		name := names[rng.IntN(len(names))]
		_, k := a.keyAndID(name)
		var v history.Value
		switch rng.IntN(10) {
		case 0:
			v = history.String(fmt.Sprint(rng.IntN(100)))
		case 1:
			v = history.Int(1<<40 + int64(rng.IntN(100)))
		case 2:
			v = history.Int(-int64(rng.IntN(100)))
		default:
			v = history.Int(int64(rng.IntN(5000)))
		}
		if want[name] == nil {
			want[name] = map[history.Value]int32{}
		}
		id, ok := want[name][v]
		if !ok {
			require.Equal(t, int32(-1), k.lookup(v))
			id = k.intern(v)
			require.Equal(t, int32(len(want[name])), id, "ids count from 0 per key")
			want[name][v] = id
		}
		require.Equal(t, id, k.intern(v))
		require.Equal(t, id, k.lookup(v))
	}
	assert.NotNil(t, a.values.owners, "keys beyond 8 bits widen the slots")
	assert.NotEmpty(t, a.keys[a.keyID["far"]].ints, "keys beyond 16 bits use their maps")
	a.values.finish(a.keys)
	for name, vals := range want {
		k := a.keys[a.keyID[name]]
		for v, id := range vals {
			require.Equal(t, v, k.value(id), "key %s id %d", name, id)
		}
	}
}

// TestWide16 checks the 16-bit line fields' switch to 32 bits.
func TestWide16(t *testing.T) {
	w := wide16{narrow: new([linesPerChunk]uint16)}
	for i := range int32(linesPerChunk) {
		w.set(i, i*3)
	}
	require.Nil(t, w.wide)
	w.set(7, 1<<20)
	require.NotNil(t, w.wide)
	for i := range int32(linesPerChunk) {
		want := i * 3
		if i == 7 {
			want = 1 << 20
		}
		require.Equal(t, want, w.get(i))
	}
}

// TestLargeLines checks lines with more records than 16 bits count (the line table's
// record starts go 32-bit) and a process id beyond 16 bits.
func TestLargeLines(t *testing.T) {
	const n = 70_000
	var ops []history.Op
	add := func(op history.Op) {
		op.Index, op.Time = int64(len(ops)), int64(len(ops))*10
		ops = append(ops, op)
	}
	var inv, done []history.Mop
	var recs []history.Record
	for v := range int64(n) {
		inv = append(inv, history.Send("t/0", history.Int(v)))
		done = append(done, history.SendAt("t/0", v, history.Int(v)))
		recs = append(recs, history.Record{Offset: v, Value: history.Int(v)})
	}
	const p = 1 << 20
	add(history.Op{Process: p, Type: history.Invoke, F: history.FSend, Mops: inv})
	add(history.Op{Process: p, Type: history.OK, F: history.FSend, Mops: done})
	add(history.Op{Process: 2, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}})
	add(history.Op{Process: 2, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll(history.KeyRecords{Key: "t/0", Records: recs})}})
	add(history.Op{Process: p, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("t/0", history.Int(n))}})
	add(history.Op{Process: p, Type: history.OK, F: history.FSend, Mops: []history.Mop{history.SendAt("t/0", n, history.Int(n))}})
	add(history.Op{Process: 2, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}})
	add(history.Op{Process: 2, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll(history.KeyRecords{Key: "t/0", Records: []history.Record{{Offset: n, Value: history.Int(n)}}})}})
	res, err := Check(ops, DefaultOptions())
	require.NoError(t, err)
	assert.True(t, res.Valid, "errors: %v", res.Errors)
	assert.Equal(t, n+1, res.Stats.RecordsRead)
	// The same history with the big poll missing a record in the middle.
	recs[n/2] = recs[n/2+1]
	res, err = Check(ops, DefaultOptions())
	require.NoError(t, err)
	assert.Contains(t, res.AnomalyTypes, TypeIntNonmonotonicPoll)
}

// TestFCodes checks that every name the history format defines has a code that
// names it back.
func TestFCodes(t *testing.T) {
	for _, name := range append(slices.Clone(history.ClientFs), history.EventFs...) {
		assert.Equal(t, name, fCodeOf(name).String())
	}
	assert.Equal(t, int(numFCodes), len(history.ClientFs)+len(history.EventFs))
	assert.Panics(t, func() { fCodeOf("nope") })
}

// TestReadRuns checks the run encoding of reads: consecutive offsets, gaps, unknown
// offsets, key changes, far offsets, and lines across chunks.
func TestReadRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var lt lineTable
	var want [][]rec
	for range 3 * linesPerChunk {
		lt.addLine(0, 0, history.OK, fPoll, noPos)
		var line []rec
		key, off := int32(rng.IntN(3)), int64(rng.IntN(100))
		for range rng.IntN(12) {
			switch rng.IntN(8) {
			case 0:
				key = int32(rng.IntN(3))
			case 1:
				off += int64(rng.IntN(5)) + 2
			case 2:
				off = history.NoOffset
			case 3:
				off = 1<<40 + int64(rng.IntN(5))
			}
			r := rec{key: key, val: int32(rng.IntN(1000)), off: off}
			switch rng.IntN(50) { // rare extremes of the value and offset differences
			case 0:
				r.val = math.MaxInt32
			case 1:
				r.off = math.MaxInt64 - int64(rng.IntN(3))
			}
			line = append(line, r)
			if off >= 0 {
				off++
			}
		}
		if rng.IntN(20) == 0 { // a long run: its length takes several bytes
			for j := range 300 {
				line = append(line, rec{key: 4, val: int32(rng.IntN(1 << 20)), off: 77 + int64(j)})
			}
		}
		lt.addReads(line)
		want = append(want, line)
	}
	lt.thaw()
	for pos, w := range want {
		got := decodeReads(nil, lt.dataSpan(int32(pos)))
		require.Equal(t, len(w), len(got), "line %d", pos)
		for j := range w {
			require.Equal(t, w[j], got[j], "line %d record %d", pos, j)
		}
		require.Equal(t, len(w) > 0, len(lt.dataSpan(int32(pos))) > 0)
	}
}

// TestValInfoSize pins valInfo's size: a history holds one per record sent.
func TestValInfoSize(t *testing.T) {
	assert.Equal(t, uintptr(4), unsafe.Sizeof(valInfo{}))
}

// BenchmarkCheckReaderLogsimShaped streams a logsim-shaped history of 200,000
// records from its JSON Lines text through CheckReader (as logsim check does with a
// file), and reports records per second and the peak heap per record beyond the text.
func BenchmarkCheckReaderLogsimShaped(b *testing.B) {
	const records = 200_000
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	logsimShaped(records, 16, func(op *history.Op) {
		if err := w.Write(op); err != nil {
			b.Fatal(err)
		}
	})
	require.NoError(b, w.Flush())
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		measureCheck(b, records, func() (*Result, error) {
			return CheckReader(bytes.NewReader(data), "bench.jsonl", Options{})
		})
	}
}

// TestFarPairs checks an invoke and completion further apart than 16 bits count,
// in both directions, and the 16-bit deltas' switch to 32.
func TestFarPairs(t *testing.T) {
	d := delta16{narrow: new([linesPerChunk]int16)}
	d.set(3, -7)
	require.Nil(t, d.wide)
	d.set(5, 1<<20)
	require.NotNil(t, d.wide)
	assert.Equal(t, int32(-7), d.get(3))
	assert.Equal(t, int32(1<<20), d.get(5))
	assert.Equal(t, noPos, d.pos(100, 0))
	assert.Equal(t, int32(93), d.pos(100, 3))

	var ops []history.Op
	add := func(op history.Op) {
		op.Index, op.Time = int64(len(ops)), int64(len(ops))
		ops = append(ops, op)
	}
	add(history.Op{Process: 0, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("k", history.Int(-1))}})
	for v := range int64(20_000) {
		add(history.Op{Process: 1, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("k", history.Int(v))}})
		add(history.Op{Process: 1, Type: history.OK, F: history.FSend, Mops: []history.Mop{history.SendAt("k", v, history.Int(v))}})
	}
	add(history.Op{Process: 0, Type: history.OK, F: history.FSend, Mops: []history.Mop{history.SendAt("k", 20_000, history.Int(-1))}})
	add(history.Op{Process: 2, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}})
	var recs []history.Record
	for v := range int64(20_000) {
		recs = append(recs, history.Record{Offset: v, Value: history.Int(v)})
	}
	recs = append(recs, history.Record{Offset: 20_000, Value: history.Int(-1)})
	add(history.Op{Process: 2, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll(history.KeyRecords{Key: "k", Records: recs})}})
	res, err := Check(ops, DefaultOptions())
	require.NoError(t, err)
	assert.True(t, res.Valid, "errors: %v", res.Errors)
	assert.Equal(t, LinOK, res.Linearizable)
	assert.Equal(t, map[string]int{"ok": 20_001}, res.Stats.Sends)
}

// TestSendEncoding checks sends of every offset width through the data stream.
func TestSendEncoding(t *testing.T) {
	var lt lineTable
	offs := []int64{0, 7, math.MaxUint32, math.MaxUint32 + 1, 1 << 40, history.NoOffset, math.MaxInt64, math.MinInt64}
	var want []rec
	lt.addLine(0, 0, history.OK, fSend, noPos)
	for i, off := range offs {
		for _, val := range []int32{int32(i), math.MaxInt32} {
			r := rec{key: int32(i * 1000), val: val, off: off}
			lt.addSend(r)
			want = append(want, r)
		}
	}
	lt.thaw()
	assert.Equal(t, want, decodeSends(nil, lt.dataSpan(0), lt.basesOf(0)))
}

// TestDataSpans checks each line's records through a chunk whose data stream
// outgrows 16-bit starts, with invokes and events (which keep a process instead)
// between the completions, and the process of every line.
func TestDataSpans(t *testing.T) {
	var lt lineTable
	want := map[int32][]rec{}
	procs := map[int32]int32{}
	var invs []int32
	for n := range 300 {
		proc := int32(n % 7)
		inv := lt.addLine(int64(n), proc, history.Invoke, fPoll, noPos)
		procs[inv] = proc
		invs = append(invs, inv)
		if n%5 == 0 {
			ev := lt.addLine(int64(n), 9, history.Event, fLeader, noPos)
			procs[ev] = 9
		}
		if len(invs) < 3 && n < 299 {
			continue
		}
		inv, invs = invs[0], invs[1:]
		pos := lt.addLine(int64(n), 0, history.OK, fPoll, inv)
		procs[pos] = procs[inv]
		var line []rec
		for j := range 1 + (n%3)*400 {
			line = append(line, rec{key: int32(n % 4), val: int32(j), off: int64(j)})
		}
		lt.addReads(line)
		want[pos] = line
	}
	for _, inv := range invs { // the last, pending
		want[inv] = nil
	}
	lt.thaw()
	require.NotNil(t, lt.chunks[0].procData.wide, "the stream should need 32-bit starts")
	for pos := range lt.n() {
		assert.Equal(t, want[pos], decodeReads(nil, lt.dataSpan(pos)), "line %d", pos)
		assert.Equal(t, procs[pos], lt.procID(pos), "line %d", pos)
	}
}

// TestCommitOffsets checks a commit completion's offsets through its data, with
// records after them (which no analysis reads on a commit line) and with none.
func TestCommitOffsets(t *testing.T) {
	a := NewBuilder(Options{}).a
	op := &history.Op{Offsets: []history.KeyOffset{{Key: "b", Offset: 7}, {Key: "a", Offset: 1 << 40}, {Key: "b", Offset: history.NoOffset}}}
	pos := a.addLine(0, 0, history.OK, fCommit, noPos)
	a.fileOffsets(op, true)
	a.addSend(rec{key: 3, val: 4, off: 5})
	empty := a.addLine(1, 0, history.OK, fCommit, noPos)
	a.fileOffsets(&history.Op{}, true)
	a.addLine(2, 0, history.Invoke, fCommit, noPos)
	a.fileOffsets(op, false)
	a.thaw()
	assert.Equal(t, []keyOff{{key: 0, off: 7}, {key: 1, off: 1 << 40}, {key: 0, off: history.NoOffset}}, a.offsetsOf(nil, pos))
	assert.Empty(t, a.offsetsOf(nil, empty))
	assert.Empty(t, a.offsetsOf(nil, empty+1))
}
