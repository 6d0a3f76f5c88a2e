package workloads

import "fmt"

// Conveyor hands batches of work from the simulation to a goroutine of its own, which
// consumes them in order and hands them back to be filled again. A fixed set of
// batches circulates, so the simulation runs at most that many batches ahead and
// allocates nothing once they exist. It carries the History's lines (Background) and
// the runner's metrics, so that on a second core they are encoded, checked and
// recorded beside the simulation.
//
// The consumer's first error, or its panic, stops the consuming (later batches only
// come back); the error reaches the simulation's side at a later HandOver, Flush or
// Close, where it fails the run, instead of ending the process from a goroutine
// nobody recovers.
type Conveyor[B any] struct {
	cur    B
	full   chan B     // to the consumer
	free   chan B     // back from it, consumed
	failed chan error // the consumer's first error, sent once
	err    error      // that error, once received on this side
	reset  func(B)
	closed bool
}

// NewConveyor starts the consumer goroutine on batches, which must be empty; reset
// empties a consumed batch before it is filled again.
func NewConveyor[B any](batches []B, reset func(B), consume func(B) error) *Conveyor[B] {
	c := &Conveyor[B]{full: make(chan B, len(batches)), free: make(chan B, len(batches)),
		failed: make(chan error, 1), reset: reset}
	for _, b := range batches {
		c.free <- b
	}
	c.cur = <-c.free
	go func() {
		stopped := false
		for b := range c.full {
			if !stopped {
				if err := consumeRecovering(consume, b); err != nil {
					c.failed <- err
					stopped = true
				}
			}
			c.free <- b
		}
	}()
	return c
}

// consumeRecovering turns a panic of consume into its error.
func consumeRecovering[B any](consume func(B) error, b B) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return consume(b)
}

// Current is the batch being filled.
func (c *Conveyor[B]) Current() B { return c.cur }

// Err is the consumer's first error as far as this side has seen it (at the last
// HandOver, Flush or Close).
func (c *Conveyor[B]) Err() error { return c.err }

// Closed reports whether Close has run.
func (c *Conveyor[B]) Closed() bool { return c.closed }

// take returns a consumed batch, emptied, noting the consumer's error: it is sent
// before the batch that met it comes back, so it is seen by then.
func (c *Conveyor[B]) take() B {
	b := <-c.free
	c.reset(b)
	if c.err == nil {
		select {
		case c.err = <-c.failed:
		default:
		}
	}
	return b
}

// HandOver sends the current batch to the consumer and takes an empty one, waiting
// when every batch is out. It returns the consumer's first error so far.
func (c *Conveyor[B]) HandOver() error {
	c.full <- c.cur
	c.cur = c.take()
	return c.err
}

// Flush hands over the current batch and waits until every batch is back: the
// consumer is then idle, and what it fills (a Writer's buffer, a Builder, a Recorder)
// is safe to use from this side until the next HandOver. It returns the consumer's
// first error.
func (c *Conveyor[B]) Flush() error {
	if c.closed {
		return c.err
	}
	c.full <- c.cur
	held := make([]B, cap(c.free))
	for i := range held {
		held[i] = c.take()
	}
	for _, b := range held[1:] {
		c.free <- b
	}
	c.cur = held[0]
	return c.err
}

// Close flushes and ends the consumer goroutine. It returns the consumer's first
// error.
func (c *Conveyor[B]) Close() error {
	err := c.Flush()
	if !c.closed {
		c.closed = true
		close(c.full)
	}
	return err
}
