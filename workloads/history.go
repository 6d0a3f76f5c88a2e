package workloads

import (
	"errors"
	"fmt"
	"time"

	"logsim/broker/client"
	"logsim/broker/proto"
	"logsim/checker/history"
)

// History records a run's history as the client hosts and the harness see it, in the
// format of the history specification (JSON Lines, version 1). Lines are encoded and
// written as they happen, so memory does not grow with the run. Times are the
// simulator's exact clock (never a node's skewed one), so they never decrease.
//
// A History is driven from inside the simulation's event loop only. A write the
// history Writer rejects is a harness bug: it panics, which the simulator turns into a
// failed run with a reproduction command.
//
// The simulation's thread is a run's bottleneck, so the frequent lines (sends, polls,
// commits) are recorded as compact entries (pipe.go) and made into history.Ops where
// they are consumed: on the pipe's goroutine in the Background, otherwise as each
// line is written.
type History struct {
	w        *history.Writer
	val      history.Validator // without a Writer: the checks the Writer would make
	sink     Sink
	pipe     *Conveyor[*lineBatch] // Background: the Writer and the Sink run on a goroutine of their own
	now      func() time.Duration
	nextProc int64
	ops      int64

	// buf holds the line being written and the arenas it points into: a batch of
	// lines the pipe hands over when full, in the Background; otherwise one line,
	// emptied once written.
	buf   *lineBatch
	ob    opBuilder                       // without a pipe: builds each line's Op as it is written
	keys  map[proto.TopicPartition]string // history keys, formatted once per partition
	order []proto.TopicPartition
}

// Sink receives every line as it is written: the checker's Builder, which judges the
// run as it goes instead of holding the whole history in memory. The History reuses
// the Op and its slices once Add returns, so a Sink copies what it keeps. Add
// validates the line as the history's next one, as a Writer would (a History without
// a Writer leaves that to its Sink rather than checking every line twice).
type Sink interface {
	Add(op *history.Op) error
}

// Feed makes the History hand every line, numbered, to s as well as writing it.
func (h *History) Feed(s Sink) { h.sink = s }

// Background moves the building of the lines' Ops, the Writer's encoding and the
// Sink's checking to a goroutine of their own, fed batches of compact lines (pipe.go),
// so that on a second core they run beside the simulation. Call it after Feed and
// before the first line; Close then waits for them and ends the goroutine. An error
// of the Writer or the Sink surfaces (as the panic of a harness bug) a few batches of
// lines after the line that caused it, and at Flush and Close.
func (h *History) Background() {
	if h.pipe == nil && (h.w != nil || h.sink != nil) {
		h.pipe = newPipe(h.w, h.sink)
		h.buf = h.pipe.Current()
	}
}

// NewHistory returns a History writing to w, stamping lines with now. With w nil the
// lines are validated as a Writer would, numbered, and not encoded at all: for a run
// that only feeds them to the checker (Feed).
func NewHistory(w *history.Writer, now func() time.Duration) *History {
	return &History{w: w, now: now, buf: &lineBatch{}}
}

// NewProcess returns a process number never used before. Clients take a new one after
// a crash and after an info completion, as the specification asks.
func (h *History) NewProcess() int64 {
	p := h.nextProc
	h.nextProc++
	return p
}

// Lines is the number of lines written.
func (h *History) Lines() int64 { return h.ops }

// Flush writes buffered lines. In the Background it first waits until the Writer and
// the Sink have every line written so far.
func (h *History) Flush() error { return h.settle((*Conveyor[*lineBatch]).Flush) }

// Close flushes and, in the Background, ends the goroutine. No line may follow.
func (h *History) Close() error { return h.settle((*Conveyor[*lineBatch]).Close) }

// settle waits for the pipe (flushing or closing it), then flushes the Writer.
func (h *History) settle(wait func(*Conveyor[*lineBatch]) error) error {
	if h.pipe != nil {
		err := wait(h.pipe)
		h.buf = h.pipe.Current()
		if err != nil {
			return err
		}
	}
	if h.w == nil {
		return nil
	}
	return h.w.Flush()
}

// line starts a line of kind in buf, stamped now.
func (h *History) line(kind lineKind, proc int64, t history.Type) *line {
	b := h.buf
	if len(b.lines) == 0 {
		b.first = h.ops // numbered as the Writer would; it and the Sink validate
	}
	b.lines = append(b.lines, line{kind: kind, typ: t, proc: proc, time: int64(h.now())})
	return &b.lines[len(b.lines)-1]
}

// reset starts a line kept as a whole Op in buf: the rare lines.
func (h *History) reset(proc int64, t history.Type, f string) *history.Op {
	b := h.buf
	l := h.line(lineOp, proc, t)
	l.a = int64(len(b.ops))
	b.ops = append(b.ops, history.Op{Time: l.time, Process: proc, Type: t, F: f})
	return &b.ops[len(b.ops)-1]
}

// write numbers the line just recorded and hands it on.
func (h *History) write() {
	if h.pipe != nil {
		h.ops++
		if err := h.handOver(); err != nil {
			// An earlier line's error: it names that line's index.
			panic(fmt.Sprintf("workloads: history: %v", err))
		}
		return
	}
	defer h.buf.reset()
	op := h.ob.build(h.buf, len(h.buf.lines)-1) // Index h.ops
	var err error
	switch {
	case h.w != nil:
		err = h.w.Append(op)
	case h.sink != nil: // the Sink validates
	default:
		err = h.val.Check(op)
	}
	if err != nil {
		panic(fmt.Sprintf("workloads: history: %v (line: %s)", err, op.String()))
	}
	h.ops++
	if h.sink != nil {
		if err := h.sink.Add(op); err != nil {
			panic(fmt.Sprintf("workloads: history: %v (line: %s)", err, op.String()))
		}
	}
}

// Key is the history key of a partition: TOPIC/P.
func Key(tp proto.TopicPartition) string { return tp.String() }

// handOver hands the pipe's batch over once it is full. It returns the first error
// the Writer or the Sink met so far (they run a few thousand lines behind).
func (h *History) handOver() error {
	p := h.pipe
	if p.Closed() {
		h.buf.reset()
		return errors.New("a line written after Close")
	}
	if len(h.buf.lines) < pipeLines && len(h.buf.recs) < pipeRecords {
		return p.Err()
	}
	err := p.HandOver()
	h.buf = p.Current()
	return err
}

// key is Key, formatted once per partition: the strings are shared by every line.
func (h *History) key(tp proto.TopicPartition) string {
	k, ok := h.keys[tp]
	if !ok {
		if h.keys == nil {
			h.keys = map[proto.TopicPartition]string{}
		}
		k = Key(tp)
		h.keys[tp] = k
	}
	return k
}

// SendInvoke records the invocation of a one-record send.
func (h *History) SendInvoke(proc int64, key string, value int64) {
	l := h.line(lineSend, proc, history.Invoke)
	l.a, l.b, l.str = history.NoOffset, value, key
	h.write()
}

// SendDone records a send's completion: t is OK, Fail or Info; offset is
// history.NoOffset when unknown; errName is the Kafka error name of fail and info.
func (h *History) SendDone(proc int64, t history.Type, key string, offset, value int64, errName string) {
	l := h.line(lineSend, proc, t)
	l.a, l.b, l.str = offset, value, key
	h.buf.setErr(l, errName)
	h.write()
}

// PollInvoke records the invocation of a poll.
func (h *History) PollInvoke(proc int64, group string) {
	l := h.line(linePoll, proc, history.Invoke)
	l.str = group
	h.write()
}

// PollDone records a poll's completion: the records it returned, grouped per key in the
// order returned, or a failure with errName.
func (h *History) PollDone(proc int64, group string, recs []client.ConsumerRecord, errName string) {
	t := history.OK
	if errName != "" {
		t = history.Fail
	}
	l := h.line(linePoll, proc, t)
	l.str = group
	b := h.buf
	b.setErr(l, errName)
	l.a = int64(len(b.runs))
	if t == history.OK && !h.runsInOrder(b, recs) {
		h.runsGrouped(b, recs)
	}
	l.b = int64(len(b.runs))
	h.write()
}

// runsInOrder appends recs to b's runs and records, one run per key, when a poll
// returns each partition's records together, as a rule: one pass. Otherwise it
// appends nothing and returns false.
func (h *History) runsInOrder(b *lineBatch, recs []client.ConsumerRecord) bool {
	runs, start := len(b.runs), len(b.recs)
	h.order = h.order[:0]
	for i := range recs {
		r := &recs[i]
		if i == 0 || r.TP != recs[i-1].TP {
			if containsTP(h.order, r.TP) {
				b.runs, b.recs = b.runs[:runs], b.recs[:start]
				return false
			}
			h.order = append(h.order, r.TP)
			if i > 0 {
				b.runs[len(b.runs)-1].end = int32(len(b.recs))
			}
			b.runs = append(b.runs, readRun{key: h.key(r.TP), start: int32(len(b.recs))})
		}
		b.recs = append(b.recs, readRec{offset: r.Offset, value: r.Value})
	}
	if len(b.runs) > runs {
		b.runs[len(b.runs)-1].end = int32(len(b.recs))
	}
	return true
}

// runsGrouped appends recs to b's runs and records grouped by key in order of first
// appearance, each key's records in the order returned.
func (h *History) runsGrouped(b *lineBatch, recs []client.ConsumerRecord) {
	h.order = h.order[:0]
	for i := range recs {
		if (i == 0 || recs[i].TP != recs[i-1].TP) && !containsTP(h.order, recs[i].TP) {
			h.order = append(h.order, recs[i].TP)
		}
	}
	for _, tp := range h.order {
		start := len(b.recs)
		for i := range recs {
			if recs[i].TP == tp {
				b.recs = append(b.recs, readRec{offset: recs[i].Offset, value: recs[i].Value})
			}
		}
		b.runs = append(b.runs, readRun{key: h.key(tp), start: int32(start), end: int32(len(b.recs))})
	}
}

func containsTP(s []proto.TopicPartition, tp proto.TopicPartition) bool {
	for _, x := range s {
		if x == tp {
			return true
		}
	}
	return false
}

// KeyOffsets converts a commit's offsets to the history's form, once for both of the
// commit's lines (the lines share the slice, which nothing modifies).
func (h *History) KeyOffsets(offs []proto.OffsetCommitPartition) []history.KeyOffset {
	out := make([]history.KeyOffset, len(offs))
	for i, o := range offs {
		out[i] = history.KeyOffset{Key: h.key(o.TopicPartition), Offset: o.CommittedOffset}
	}
	return out
}

// CommitInvoke records the invocation of an offset commit of offs (from KeyOffsets).
func (h *History) CommitInvoke(proc int64, group string, offs []history.KeyOffset) {
	h.commit(proc, history.Invoke, group, offs, "")
}

// CommitDone records a commit's completion (OK, Fail or Info) of offs (from
// KeyOffsets).
func (h *History) CommitDone(proc int64, t history.Type, group string, offs []history.KeyOffset, errName string) {
	h.commit(proc, t, group, offs, errName)
}

func (h *History) commit(proc int64, t history.Type, group string, offs []history.KeyOffset, errName string) {
	b := h.buf
	l := h.line(lineCommit, proc, t)
	l.a, l.str = int64(len(b.offs)), group
	b.setErr(l, errName)
	b.offs = append(b.offs, offs)
	h.write()
}

// Assign records an assign operation (invoke and ok at once: assigning is local).
func (h *History) Assign(proc int64, tps []proto.TopicPartition, seekToBeginning bool) {
	keys := make([]string, len(tps))
	for i, tp := range tps {
		keys[i] = h.key(tp)
	}
	for _, t := range []history.Type{history.Invoke, history.OK} {
		op := h.reset(proc, t, history.FAssign)
		op.Keys, op.SeekToBeginning = keys, seekToBeginning
		h.write()
	}
}

// Subscribe records a subscribe operation (invoke and ok at once).
func (h *History) Subscribe(proc int64, group string, topics []string) {
	for _, t := range []history.Type{history.Invoke, history.OK} {
		op := h.reset(proc, t, history.FSubscribe)
		op.Group, op.Keys = group, topics
		h.write()
	}
}

// Rebalance records the harness event of a consumer's new assignment.
func (h *History) Rebalance(group string, proc int64, generation int32, tps []proto.TopicPartition) {
	keys := make([]string, len(tps))
	for i, tp := range tps {
		keys[i] = h.key(tp)
	}
	op := h.reset(history.NoProcess, history.Event, history.FRebalance)
	op.Rebalance = &history.Rebalance{Group: group, Process: proc, Generation: int64(generation), Assigned: keys}
	h.write()
}

// Leader records that broker node became the leader of tp in epoch.
func (h *History) Leader(tp proto.TopicPartition, node, epoch int32) {
	op := h.reset(history.NoProcess, history.Event, history.FLeader)
	op.Replicas = []history.ReplicaChange{{Key: h.key(tp), Node: int64(node), Offset: history.NoOffset, Epoch: int64(epoch)}}
	h.write()
}

// Truncate records that broker node's replica of tp truncated its log to offset.
func (h *History) Truncate(tp proto.TopicPartition, node, epoch int32, offset int64) {
	op := h.reset(history.NoProcess, history.Event, history.FTruncate)
	op.Replicas = []history.ReplicaChange{{Key: h.key(tp), Node: int64(node), Offset: offset, Epoch: int64(epoch)}}
	h.write()
}

// LogStart records that retention moved the log start offset of tp to offset.
func (h *History) LogStart(tp proto.TopicPartition, offset int64) {
	op := h.reset(history.NoProcess, history.Event, history.FLogStart)
	op.Offsets = []history.KeyOffset{{Key: h.key(tp), Offset: offset}}
	h.write()
}

// Fault records that a fault started or stopped ("start" or "stop").
func (h *History) Fault(name, action, detail string) {
	op := h.reset(history.NoProcess, history.Event, history.FFault)
	op.Fault = &history.Fault{Name: name, Action: action, Detail: detail}
	h.write()
}
