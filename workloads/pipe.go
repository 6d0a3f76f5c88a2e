package workloads

import (
	"fmt"

	"logsim/checker/history"
)

// A pipe carries a History's lines, in batches, to a goroutine of its own that hands
// them to the Writer (encoding) and the Sink (the checker's Builder). The simulation
// only copies each line; on a machine with a second core the encoding and the
// checking run beside it instead of after every event. The lines reach the Writer
// and the Sink in the order written, so their output is the same as without a pipe.
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

// Batches of pipeLines lines, pipeBatches of them: enough for the simulation to run
// ahead by a few thousand lines while the consumers catch up.
const (
	pipeLines   = 2048
	pipeBatches = 4
)

// lineBatch is a batch of copied lines. The slices a line's Mops and reads point into
// are the batch's own arenas, reused once the batch comes back consumed.
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
	b.ops, b.mops, b.reads, b.recs = b.ops[:0], b.mops[:0], b.reads[:0], b.recs[:0]
	return b
}

// add copies op into the current batch, sending the batch when it is full. It returns
// the first error a consumer met so far (lines are checked a few thousand behind).
func (p *pipe) add(op *history.Op) error {
	if p.done {
		return fmt.Errorf("history line %d written after Close", op.Index)
	}
	p.cur.add(op)
	if len(p.cur.ops) == pipeLines {
		p.full <- p.cur
		p.cur = p.take()
	}
	return p.err
}

// add appends a copy of op whose slices the History reuses (Mops, their reads and
// records). The other slices and pointers (Keys, Offsets, Replicas, Rebalance, Fault)
// are made afresh for each line and never changed, so the copy shares them.
func (b *lineBatch) add(op *history.Op) {
	b.ops = append(b.ops, *op)
	if len(op.Mops) == 0 {
		return
	}
	start := len(b.mops)
	for _, m := range op.Mops {
		if len(m.Reads) > 0 {
			rs := len(b.reads)
			for _, kr := range m.Reads {
				s := len(b.recs)
				b.recs = append(b.recs, kr.Records...)
				b.reads = append(b.reads, history.KeyRecords{Key: kr.Key, Records: b.recs[s:len(b.recs):len(b.recs)]})
			}
			m.Reads = b.reads[rs:len(b.reads):len(b.reads)]
		}
		b.mops = append(b.mops, m)
	}
	b.ops[len(b.ops)-1].Mops = b.mops[start:len(b.mops):len(b.mops)]
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
