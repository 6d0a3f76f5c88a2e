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

	groups []string // the consumer groups named by measurements

	cur  []measurement
	full chan handoff       // to the goroutine
	free chan []measurement // back from it, recorded
	// failed carries the first panic of the Recorder on the goroutine (a broken
	// invariant), raised again on the simulation's side at the next hand-over or sync.
	failed chan any
}

// measurement is one queued Metrics call. It holds no pointer (the group is an index
// into metrics.groups), so queueing one costs the garbage collector nothing.
type measurement struct {
	kind    measureKind
	group   uint16
	bytes   int32
	t, sent time.Duration
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

// groupIndex returns group's index in m.groups, adding it (a run has a few groups).
func (m *metrics) groupIndex(group string) uint16 {
	for i, g := range m.groups {
		if g == group {
			return uint16(i)
		}
	}
	if len(m.groups) == 1<<16 {
		panic("scenarios: more than 65536 consumer groups in one run")
	}
	m.groups = append(m.groups, group)
	return uint16(len(m.groups) - 1)
}

// add records a measurement, or queues it in the background.
func (m *metrics) add(k measureKind, t, sent time.Duration, bytes int, group string) {
	x := measurement{kind: k, bytes: int32(bytes), t: m.rel(t), sent: min(m.rel(sent), m.rel(t))}
	if k == consumed {
		x.group = m.groupIndex(group)
	}
	if m.full == nil {
		m.record(&x, m.groups)
		return
	}
	m.cur = append(m.cur, x)
	if len(m.cur) == measureBatch {
		m.full <- handoff{m.cur, m.groups}
		m.cur = m.take()
	}
}

// handoff is a batch of measurements and the groups they name. groups is only ever
// appended to, so the goroutine may read the elements of the header it was handed
// while the simulation appends more.
type handoff struct {
	ms     []measurement
	groups []string
}

// record hands x to the Recorder.
func (m *metrics) record(x *measurement, groups []string) {
	switch x.kind {
	case publishSent:
		m.r.PublishSent(x.t, x.sent, int(x.bytes))
	case publishAcked:
		m.r.PublishAcked(x.t, x.sent, int(x.bytes))
	case publishFailed:
		m.r.PublishFailed(x.t, x.sent, int(x.bytes))
	case consumed:
		m.r.Consumed(x.t, groups[x.group], x.sent, int(x.bytes))
	}
}

// background starts the goroutine that records queued measurements.
func (m *metrics) background() {
	m.full = make(chan handoff, measureBatches)
	m.free = make(chan []measurement, measureBatches)
	m.failed = make(chan any, 1)
	for range measureBatches {
		m.free <- make([]measurement, 0, measureBatch)
	}
	m.cur = m.take()
	go func() {
		stopped := false
		for h := range m.full {
			if !stopped {
				if p := m.recordAll(h); p != nil {
					m.failed <- p
					stopped = true
				}
			}
			m.free <- h.ms[:0]
		}
	}()
}

// recordAll records a batch, returning the Recorder's panic, if any.
func (m *metrics) recordAll(h handoff) (panicked any) {
	defer func() { panicked = recover() }()
	for i := range h.ms {
		m.record(&h.ms[i], h.groups)
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
	m.full <- handoff{m.cur, m.groups}
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
