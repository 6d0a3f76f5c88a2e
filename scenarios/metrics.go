package scenarios

import (
	"fmt"
	"time"

	"logsim/reports"
)

// metrics adapts the reports Recorder to the workloads' Metrics: the Recorder's clock
// starts with the load phase.
//
// Once background is called, the clients' measurements (one or two per record) are
// queued in batches for a goroutine of their own that records them, so that filling
// the latency histograms overlaps the simulation as the history's checking does. The
// runner's own calls to the Recorder (samples, progress, fault windows, the finish)
// first sync, so the Recorder still sees every call in time order.
type metrics struct {
	r  *reports.Recorder
	t0 time.Duration

	cur  []measurement
	full chan []measurement // to the goroutine
	free chan []measurement // back from it, recorded
	// failed carries the first panic of the Recorder on the goroutine (a broken
	// invariant), raised again on the simulation's side at the next hand-over or sync.
	failed chan any
}

// measurement is one queued Metrics call.
type measurement struct {
	kind    measureKind
	bytes   int32
	t, sent time.Duration
	group   string
}

type measureKind uint8

const (
	publishSent measureKind = iota
	publishAcked
	publishFailed
	consumed
)

// Measurements are handed over in batches of measureBatch, measureBatches of them.
const (
	measureBatch   = 4096
	measureBatches = 3
)

func (m *metrics) rel(t time.Duration) time.Duration { return max(t-m.t0, 0) }

func (m *metrics) PublishSent(t, intended time.Duration, bytes int) {
	m.add(publishSent, t, intended, bytes, "")
}
func (m *metrics) PublishAcked(t, sent time.Duration, bytes int) {
	m.add(publishAcked, t, sent, bytes, "")
}
func (m *metrics) PublishFailed(t, sent time.Duration, bytes int) {
	m.add(publishFailed, t, sent, bytes, "")
}
func (m *metrics) Consumed(t time.Duration, group string, sent time.Duration, bytes int) {
	m.add(consumed, t, sent, bytes, group)
}

// add records a measurement, or queues it in the background.
func (m *metrics) add(k measureKind, t, sent time.Duration, bytes int, group string) {
	x := measurement{kind: k, bytes: int32(bytes), t: m.rel(t), sent: min(m.rel(sent), m.rel(t)), group: group}
	if m.full == nil {
		m.record(&x)
		return
	}
	m.cur = append(m.cur, x)
	if len(m.cur) == measureBatch {
		m.full <- m.cur
		m.cur = m.take()
	}
}

// record hands x to the Recorder.
func (m *metrics) record(x *measurement) {
	switch x.kind {
	case publishSent:
		m.r.PublishSent(x.t, x.sent, int(x.bytes))
	case publishAcked:
		m.r.PublishAcked(x.t, x.sent, int(x.bytes))
	case publishFailed:
		m.r.PublishFailed(x.t, x.sent, int(x.bytes))
	case consumed:
		m.r.Consumed(x.t, x.group, x.sent, int(x.bytes))
	}
}

// background starts the goroutine that records queued measurements.
func (m *metrics) background() {
	m.full = make(chan []measurement, measureBatches)
	m.free = make(chan []measurement, measureBatches)
	m.failed = make(chan any, 1)
	for range measureBatches {
		m.free <- make([]measurement, 0, measureBatch)
	}
	m.cur = m.take()
	go func() {
		stopped := false
		for batch := range m.full {
			if !stopped {
				if p := m.recordAll(batch); p != nil {
					m.failed <- p
					stopped = true
				}
			}
			m.free <- batch[:0]
		}
	}()
}

// recordAll records a batch, returning the Recorder's panic, if any.
func (m *metrics) recordAll(batch []measurement) (panicked any) {
	defer func() { panicked = recover() }()
	for i := range batch {
		m.record(&batch[i])
	}
	return nil
}

// take returns a recorded batch, raising the Recorder's panic here, on the
// simulation's side, where the simulator turns it into a failed run.
func (m *metrics) take() []measurement {
	b := <-m.free
	if err := m.check(); err != nil {
		panic(err.Error())
	}
	return b
}

// check returns the Recorder's panic on the goroutine, once, as an error.
func (m *metrics) check() error {
	select {
	case p := <-m.failed:
		return fmt.Errorf("reports: recording a measurement: %v", p)
	default:
		return nil
	}
}

// sync waits until every queued measurement is recorded: the Recorder may then be used
// directly. It returns the Recorder's panic on the goroutine as an error.
func (m *metrics) sync() error {
	if m == nil || m.full == nil {
		return nil
	}
	m.full <- m.cur
	held := make([][]measurement, measureBatches)
	for i := range held {
		held[i] = <-m.free
	}
	for _, b := range held[1:] {
		m.free <- b
	}
	m.cur = held[0]
	return m.check()
}

// syncOrPanic is sync for the simulation's callbacks, where a panic fails the run.
func (m *metrics) syncOrPanic() {
	if err := m.sync(); err != nil {
		panic(err.Error())
	}
}

// stop records what is queued and ends the goroutine; later measurements are recorded
// on the spot.
func (m *metrics) stop() error {
	if m.full == nil {
		return nil
	}
	err := m.sync()
	close(m.full)
	m.full = nil
	return err
}
