package scenarios

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/reports"
)

// feedMeasurements drives m as a run does: client measurements in time order, with
// the runner's own Recorder calls (samples) in between, after a sync.
func feedMeasurements(m *metrics, n int) {
	rnd := rand.New(rand.NewPCG(1, 2))
	t := m.t0
	for i := range n {
		t += time.Duration(rnd.IntN(50)) * time.Microsecond
		sent := t - time.Duration(rnd.IntN(20))*time.Millisecond
		switch rnd.IntN(4) {
		case 0:
			m.PublishSent(t, sent, 1024)
		case 1:
			m.PublishAcked(t, sent, 1024)
		case 2:
			m.PublishFailed(t, sent, 1024)
		default:
			m.Consumed(t, []string{"a", "b"}[rnd.IntN(2)], sent, 1024)
		}
		if i%5000 == 0 {
			m.syncOrPanic()
			m.r.BrokerSample(m.rel(t), 0, reports.BrokerCounters{NetInBytes: int64(i)})
		}
	}
}

// TestBackgroundMetricsRecordTheSame: recorded on the goroutine, in batches, the
// measurements give the same metrics as recorded on the spot.
func TestBackgroundMetricsRecordTheSame(t *testing.T) {
	run := func(background bool) *reports.Metrics {
		m := &metrics{r: reports.NewRecorder(reports.Config{}), t0: time.Second}
		m.r.Broker(0, reports.BrokerCapacity{Cores: 1, NICBytesPerSec: 1e8, DiskBytesPerSec: 1e8})
		if background {
			m.background()
		}
		feedMeasurements(m, 3*measureBatch*measureBatches+17)
		require.NoError(t, m.stop())
		return m.r.Finish(m.rel(30 * time.Second))
	}
	want, got := run(false), run(true)
	require.Positive(t, want.Summary.Published)
	assert.Equal(t, want, got)
}

// TestBackgroundMetricsFailTheRun: a Recorder that panics on the goroutine (a broken
// invariant: here, time going backwards) raises the panic on the simulation's side at
// the next hand-over, and sync reports it, instead of ending the process.
func TestBackgroundMetricsFailTheRun(t *testing.T) {
	m := &metrics{r: reports.NewRecorder(reports.Config{})}
	m.background()
	m.PublishSent(time.Second, 0, 1)
	m.PublishSent(time.Millisecond, 0, 1)
	assert.PanicsWithValue(t, "reports: recording a measurement: reports: time went backwards: t=1ms after t=1s", func() {
		for range measureBatches * measureBatch {
			m.PublishSent(2*time.Second, 0, 1)
		}
	})
	assert.NoError(t, m.stop(), "the panic is reported once")

	m = &metrics{r: reports.NewRecorder(reports.Config{})}
	m.background()
	m.PublishSent(time.Second, 0, 1)
	m.PublishSent(time.Millisecond, 0, 1)
	assert.ErrorContains(t, m.sync(), "time went backwards")
	require.NoError(t, m.stop())
}
