package scenarios

import (
	"fmt"
	"time"

	"logsim/reports"
	"logsim/workloads"
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

	// q carries the queued measurements to the goroutine (nil: recorded on the spot).
	// The Recorder's panic there (a broken invariant) is raised again on the
	// simulation's side, once, at the next hand-over or sync.
	q        *workloads.Conveyor[*measurements]
	reported bool
}

// measurements is a batch of queued measurements and the groups they name. groups is
// only ever appended to, so the goroutine may read the elements of the header it was
// handed while the simulation appends more.
type measurements struct {
	ms     []measurement
	groups []string
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
	if m.q == nil {
		m.record(&x, m.groups)
		return
	}
	b := m.q.Current()
	b.ms = append(b.ms, x)
	if len(b.ms) == measureBatch {
		b.groups = m.groups
		_ = m.q.HandOver() // its error is reported, once, by check
		if err := m.check(); err != nil {
			panic(err.Error()) // on the simulation's side: the simulator fails the run
		}
	}
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
	batches := make([]*measurements, measureBatches)
	for i := range batches {
		batches[i] = &measurements{ms: make([]measurement, 0, measureBatch)}
	}
	m.q = workloads.NewConveyor(batches, func(b *measurements) { b.ms = b.ms[:0] }, func(b *measurements) error {
		for i := range b.ms {
			m.record(&b.ms[i], b.groups)
		}
		return nil
	})
}

// check returns the Recorder's panic on the goroutine, once, as an error.
func (m *metrics) check() error {
	if err := m.q.Err(); err != nil && !m.reported {
		m.reported = true
		return fmt.Errorf("reports: recording a measurement: %v", err)
	}
	return nil
}

// sync waits until every queued measurement is recorded: the Recorder may then be used
// directly. It returns the Recorder's panic on the goroutine as an error.
func (m *metrics) sync() error {
	if m == nil || m.q == nil {
		return nil
	}
	m.q.Current().groups = m.groups
	_ = m.q.Flush() // its error is reported, once, by check
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
	if m.q == nil {
		return nil
	}
	m.q.Current().groups = m.groups
	_ = m.q.Close() // its error is reported, once, by check
	err := m.check()
	m.q = nil
	return err
}
