package workloads

import (
	"fmt"

	"logsim/checker/history"
)

// The History's pipe is a Conveyor of line batches (Background): the History builds
// each line in the current batch (nothing is copied), and the goroutine hands the
// lines to the Writer (encoding) and the Sink (the checker's Builder). The lines reach
// them in the order written, so what they produce is the same as without a pipe; the
// simulation never waits for them except when every batch is out (back-pressure) and
// at Flush and Close.

// Batches of up to pipeLines lines or about pipeRecords polled records (a final
// read's polls return hundreds each; their arena would otherwise grow to hold
// millions), pipeBatches of them: enough for the simulation to run ahead by a few
// thousand lines while the consumers catch up, in a few megabytes.
const (
	pipeLines   = 2048
	pipeRecords = 16384
	pipeBatches = 4
)

// lineBatch is a batch of lines and the arenas their Mops, reads and records point
// into, all reused once the batch is emptied. The other slices and pointers of a line
// (Keys, Offsets, Replicas, Rebalance, Fault) are made afresh for each line and never
// changed, so a consumer may keep them.
type lineBatch struct {
	ops   []history.Op
	mops  []history.Mop
	reads []history.KeyRecords
	recs  []history.Record
}

// newPipe starts the conveyor that hands lines to w and sink.
func newPipe(w *history.Writer, sink Sink) *Conveyor[*lineBatch] {
	batches := make([]*lineBatch, pipeBatches)
	for i := range batches {
		batches[i] = &lineBatch{ops: make([]history.Op, 0, pipeLines)}
	}
	return NewConveyor(batches, (*lineBatch).reset, func(b *lineBatch) error {
		for i := range b.ops {
			if err := consumeLine(w, sink, &b.ops[i]); err != nil {
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
	b.ops, b.mops, b.reads, b.recs = b.ops[:0], b.mops[:0], b.reads[:0], b.recs[:0]
}

// mop returns m in the batch's arena, as a line's Mops.
func (b *lineBatch) mop(m history.Mop) []history.Mop {
	b.mops = append(b.mops, m)
	n := len(b.mops)
	return b.mops[n-1 : n : n]
}
