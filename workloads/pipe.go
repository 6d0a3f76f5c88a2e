package workloads

import (
	"errors"
	"fmt"

	"logsim/checker/history"
)

// A pipe carries a History's lines, in batches, to a goroutine of its own that hands
// them to the Writer (encoding) and the Sink (the checker's Builder). The History
// builds each line in the current batch (nothing is copied); on a machine with a
// second core the encoding and the checking run beside the simulation instead of
// after every event. The lines reach the Writer and the Sink in the order written,
// so what they produce is the same as without a pipe.
//
// The simulation is unaffected: it never waits for the consumers except when every
// batch is full (back-pressure) and at flush, and nothing flows back to it but the
// first error.
type pipe struct {
	w    *history.Writer
	sink Sink
	cur  *lineBatch
	full chan *lineBatch // to the consumer goroutine
	free chan *lineBatch // back from it, consumed
	err  error           // the first error a consumer returned, once seen here
	done bool            // closed: the goroutine has ended
}

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
	err   error // set by the consumer goroutine: the first error, sticky
}

func newPipe(w *history.Writer, sink Sink) *pipe {
	p := &pipe{w: w, sink: sink, full: make(chan *lineBatch, pipeBatches), free: make(chan *lineBatch, pipeBatches)}
	for range pipeBatches {
		p.free <- &lineBatch{ops: make([]history.Op, 0, pipeLines)}
	}
	p.cur = p.take()
	go p.consume()
	return p
}

// consume is the consumer goroutine: it hands every line of every batch to the Writer
// and the Sink, stops handing them on at the first error (kept in every later batch)
// and sends each batch back.
func (p *pipe) consume() {
	var err error
	for b := range p.full {
		for i := 0; i < len(b.ops) && err == nil; i++ {
			err = p.consumeLine(&b.ops[i])
		}
		b.err = err
		p.free <- b
	}
}

// consumeLine hands one line on, turning a panic of a consumer (a broken invariant in
// the checker) into an error, so that it fails the run like any harness bug instead
// of ending the process from a goroutine nobody recovers.
func (p *pipe) consumeLine(op *history.Op) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic while consuming line %d: %v", op.Index, r)
		}
	}()
	if p.w != nil {
		if err := p.w.Append(op); err != nil {
			return err
		}
	}
	if p.sink != nil {
		return p.sink.Add(op)
	}
	return nil
}

// take returns a consumed batch, emptied, noting its error.
func (p *pipe) take() *lineBatch {
	b := <-p.free
	if b.err != nil && p.err == nil {
		p.err = b.err
	}
	b.reset()
	return b
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

// written notes that the History completed a line in cur, sending the batch when it
// is full. It returns the first error a consumer met so far (lines are consumed a few
// thousand behind).
func (p *pipe) written() error {
	if p.done {
		p.cur.reset()
		return errors.New("a line written after Close")
	}
	if len(p.cur.ops) == pipeLines || len(p.cur.recs) >= pipeRecords {
		p.full <- p.cur
		p.cur = p.take()
	}
	return p.err
}

// flush sends the current batch and waits until every batch is back: the consumers
// are then idle, and what they hold (the Writer's buffer, the Builder) is safe to use
// from this goroutine. It returns the first error.
func (p *pipe) flush() error {
	if p.done {
		return p.err
	}
	p.full <- p.cur
	held := make([]*lineBatch, pipeBatches)
	for i := range held {
		held[i] = p.take()
	}
	for _, b := range held[1:] {
		p.free <- b
	}
	p.cur = held[0]
	return p.err
}

// close flushes and ends the consumer goroutine.
func (p *pipe) close() error {
	err := p.flush()
	if !p.done {
		p.done = true
		close(p.full)
	}
	return err
}
