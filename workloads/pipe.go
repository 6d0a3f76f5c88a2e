package workloads

import (
	"fmt"

	"logsim/checker/history"
)

// The History's pipe is a Conveyor of line batches (Background). The simulation's
// thread is the run's bottleneck, so it does as little per line as it can: it appends
// a compact, fixed-size entry (a line) to the current batch, and the goroutine makes
// each entry into a history.Op (opBuilder) and hands it to the Writer (encoding) and
// the Sink (the checker's Builder). The lines reach them in the order written, so what
// they produce is the same as without a pipe; the simulation never waits for them
// except when every batch is out (back-pressure) and at Flush and Close.

// Batches of up to pipeLines lines or about pipeRecords polled records (a final
// read's polls return hundreds each; their arena would otherwise grow to hold
// millions), pipeBatches of them: enough for the simulation to run ahead by a few
// thousand lines while the consumers catch up, in a few megabytes.
const (
	pipeLines   = 2048
	pipeRecords = 16384
	pipeBatches = 4
)

// lineKind tells how a line is kept in its batch.
type lineKind uint8

const (
	// lineOp is a whole history.Op in the batch's ops: the rare lines (assign,
	// subscribe, events), not worth an entry of their own.
	lineOp     lineKind = iota + 1
	lineSend            // a send's invoke or completion: key, offset, value
	linePoll            // a poll's invoke or completion: group and its reads' runs
	lineCommit          // a commit's invoke or completion: group and offsets
)

// line is one history line as the simulation records it: sends, polls and commits,
// the bulk of a history, take these few words instead of an Op and its Mop, which
// the goroutine builds (opBuilder). Its Index is the batch's first plus its position.
type line struct {
	kind lineKind
	typ  history.Type
	err  uint32 // the error name of a fail or info completion: errs[err-1]; 0 for none
	proc int64
	time int64
	// send: the offset (NoOffset in an invoke) and the value; poll: the range of
	// the batch's runs it read; commit: its offsets' position in offs; lineOp: the
	// Op's position in ops.
	a, b int64
	str  string // send: the key; poll, commit: the group
}

// setErr notes errName as l's error name.
func (b *lineBatch) setErr(l *line, errName string) {
	if errName != "" {
		b.errs = append(b.errs, errName)
		l.err = uint32(len(b.errs))
	}
}

// readRun is the records a poll returned for one key, a range of the batch's recs,
// in the line's order of keys.
type readRun struct {
	key        string
	start, end int32
}

// readRec is one polled record: its offset and (integer) value.
type readRec struct{ offset, value int64 }

// lineBatch is a batch of lines and the arenas they point into, all reused once the
// batch is emptied. The slices and pointers of a lineOp's Op (Keys, Offsets, Replicas,
// Rebalance, Fault) and a commit's offsets are made afresh for each line and never
// changed, so a consumer may keep them.
type lineBatch struct {
	first int64 // the Index of lines[0]
	lines []line
	ops   []history.Op
	offs  [][]history.KeyOffset
	errs  []string // error names, rare: kept aside, they would make every line longer
	runs  []readRun
	recs  []readRec
}

// newPipe starts the conveyor that hands lines to w and sink.
func newPipe(w *history.Writer, sink Sink) *Conveyor[*lineBatch] {
	batches := make([]*lineBatch, pipeBatches)
	for i := range batches {
		batches[i] = &lineBatch{lines: make([]line, 0, pipeLines)}
	}
	var ob opBuilder // the goroutine's: it builds every Op, in one place
	return NewConveyor(batches, (*lineBatch).reset, func(b *lineBatch) error {
		for i := range b.lines {
			if err := consumeLine(w, sink, ob.build(b, i)); err != nil {
				return err
			}
		}
		return nil
	})
}

// consumeLine hands one line on, turning a panic of a consumer (a broken invariant in
// the checker) into an error that names the line.
func consumeLine(w *history.Writer, sink Sink, op *history.Op) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic while consuming line %d: %v", op.Index, r)
		}
	}()
	if w != nil {
		if err := w.Append(op); err != nil {
			return err
		}
	}
	if sink != nil {
		return sink.Add(op)
	}
	return nil
}

// reset empties the batch for reuse.
func (b *lineBatch) reset() {
	b.lines, b.ops, b.offs, b.errs = b.lines[:0], b.ops[:0], b.offs[:0], b.errs[:0]
	b.runs, b.recs = b.runs[:0], b.recs[:0]
}

// opBuilder makes a batch's lines into history.Ops, one at a time, in one Op and
// arenas it reuses: a Sink copies what it keeps of a line (the Sink contract).
type opBuilder struct {
	op    history.Op
	mop   [1]history.Mop
	reads []history.KeyRecords
	recs  []history.Record
}

// build returns line i of b as an Op, valid until the next build.
func (ob *opBuilder) build(b *lineBatch, i int) *history.Op {
	l := &b.lines[i]
	index := b.first + int64(i)
	if l.kind == lineOp {
		op := &b.ops[l.a]
		op.Index = index
		return op
	}
	op := &ob.op
	*op = history.Op{Index: index, Time: l.time, Process: l.proc, Type: l.typ}
	if l.err != 0 {
		op.Error = b.errs[l.err-1]
	}
	switch l.kind {
	case lineSend:
		op.F = history.FSend
		if l.typ == history.Invoke {
			ob.mop[0] = history.Send(l.str, history.Int(l.b))
		} else {
			ob.mop[0] = history.SendAt(l.str, l.a, history.Int(l.b))
		}
		op.Mops = ob.mop[:]
	case linePoll:
		op.F, op.Group = history.FPoll, l.str
		if l.typ == history.Invoke {
			ob.mop[0] = history.Poll() // no reads: the invoke's absent results
		} else {
			ob.mop[0] = history.Poll(ob.readsOf(b, b.runs[l.a:l.b])...)
		}
		op.Mops = ob.mop[:]
	case lineCommit:
		op.F, op.Group, op.Offsets = history.FCommit, l.str, b.offs[l.a]
	default:
		panic(fmt.Sprintf("workloads: history: line %d of unknown kind %d", index, l.kind))
	}
	return op
}

// readsOf builds a poll completion's reads from its runs: never nil, so that a
// completion that read nothing is {}, not an invoke's absent results.
func (ob *opBuilder) readsOf(b *lineBatch, runs []readRun) []history.KeyRecords {
	if ob.reads == nil {
		ob.reads = make([]history.KeyRecords, 0, 8)
	}
	reads := ob.reads[:0]
	n := 0
	for _, r := range runs {
		n += int(r.end - r.start)
	}
	if cap(ob.recs) < n {
		ob.recs = make([]history.Record, 0, max(n, 2*cap(ob.recs))) // the runs' slices must not move
	}
	recs := ob.recs[:0]
	for _, r := range runs {
		start := len(recs)
		for _, x := range b.recs[r.start:r.end] {
			recs = append(recs, history.Record{Offset: x.offset, Value: history.Int(x.value)})
		}
		reads = append(reads, history.KeyRecords{Key: r.key, Records: recs[start:len(recs):len(recs)]})
	}
	ob.reads = reads
	return reads[:len(reads):len(reads)]
}
