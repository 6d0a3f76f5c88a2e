package reports

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ms = time.Millisecond

func TestRecorderIntervalsAndRates(t *testing.T) {
	r := NewRecorder(Config{Interval: time.Second, Window: 2 * time.Second})
	// Interval 0: 3 sends, 2 acks (1 ms and 3 ms), 1 failure.
	r.PublishSent(100*ms, 100*ms, 100)
	r.PublishAcked(101*ms, 100*ms, 100)
	r.PublishSent(200*ms, 150*ms, 100) // 50 ms late: publish delay
	r.PublishAcked(203*ms, 200*ms, 100)
	r.PublishSent(300*ms, 300*ms, 100)
	r.PublishFailed(900*ms, 300*ms, 100)
	r.Consumed(950*ms, "g1", 100*ms, 100)
	// Interval 1 is empty; interval 2 has one consume of the second record.
	r.Consumed(2500*ms, "g1", 200*ms, 100)
	m := r.Finish(3 * time.Second)

	require.Len(t, m.Intervals, 3)
	iv := m.Intervals[0]
	assert.Equal(t, int64(0), iv.StartNs)
	assert.Equal(t, int64(time.Second), iv.EndNs)
	assert.Equal(t, int64(3), iv.Sent)
	assert.Equal(t, int64(2), iv.Published)
	assert.Equal(t, int64(200), iv.PublishedBytes)
	assert.Equal(t, int64(1), iv.PublishFailed)
	assert.Equal(t, 2.0, iv.PublishRate)
	assert.Equal(t, 1.0, iv.PublishErrorRate)
	assert.Equal(t, int64(2), iv.PublishLatency.Count)
	assert.InDelta(t, float64(ms), float64(iv.PublishLatency.MinNs), float64(ms)/500)
	assert.InDelta(t, float64(3*ms), float64(iv.PublishLatency.MaxNs), float64(3*ms)/500)
	assert.InDelta(t, float64(50*ms), float64(iv.PublishDelay.MaxNs), float64(50*ms)/500)
	// Backlog without lag samples: sent minus consumed by the group.
	assert.Equal(t, int64(2), iv.Backlog)
	assert.Equal(t, int64(0), m.Intervals[1].PublishLatency.Count)
	assert.Equal(t, int64(2), m.Intervals[1].Backlog)
	assert.Equal(t, int64(1), m.Intervals[2].Consumed)
	assert.InDelta(t, float64(2300*ms), float64(m.Intervals[2].EndToEndLatency.MaxNs), float64(2300*ms)/500)
	assert.Equal(t, int64(1), m.Intervals[2].Backlog)

	// Windows of 2 s: [0,2) and the partial [2,3).
	require.Len(t, m.Windows, 2)
	assert.Equal(t, int64(2), m.Windows[0].Published)
	assert.Equal(t, 1.0, m.Windows[0].PublishRate)
	assert.Equal(t, int64(3*time.Second), m.Windows[1].EndNs)

	s := m.Summary
	assert.Equal(t, int64(3*time.Second), s.DurationNs)
	assert.Equal(t, int64(3), s.Sent)
	assert.Equal(t, int64(2), s.Published)
	assert.Equal(t, int64(1), s.PublishFailed)
	assert.Equal(t, int64(2), s.Consumed)
	// Rates are over the active spans: publishing from the first send (100ms) to the
	// last send or acknowledgement (300ms), consuming from 950ms to 2500ms.
	assert.InDelta(t, 2/0.2, s.PublishRate, 1e-9)
	assert.InDelta(t, 2/1.55, s.ConsumeRate, 1e-9)
	assert.Equal(t, int64(2), s.PublishLatency.Count)
	assert.Equal(t, int64(3), s.PublishDelay.Count)
	require.Len(t, m.Groups, 1)
	assert.Equal(t, []int64{1, 0, 1}, m.Groups[0].ConsumedPerInterval)
	assert.Equal(t, []int64{2, 2, 1}, m.Groups[0].BacklogPerInterval)

	h, err := m.Histogram(PublishLatency)
	require.NoError(t, err)
	assert.Equal(t, int64(2), h.TotalCount())
}

func TestRecorderLagBrokersRequestsBytesFaults(t *testing.T) {
	r := NewRecorder(Config{})
	r.Broker(1, BrokerCapacity{Cores: 2, NICBytesPerSec: 1000, DiskBytesPerSec: 4000})
	r.Fault("crash", "broker-1", 1500*ms, 2500*ms)
	r.Fault("pause", "broker-2", 2*time.Second, -1) // to the end
	r.Lag(500*ms, "g", "t", 1, 10)
	r.Lag(600*ms, "g", "t", 0, 5)
	r.BrokerSample(900*ms, 1, BrokerCounters{CPUBusy: time.Second, NetInBytes: 500, NetOutBytes: 250, DiskWriteBytes: 1000, DiskReadBytes: 1000})
	r.Request(950*ms, "Produce")
	r.Request(960*ms, "Produce")
	r.Request(970*ms, "Fetch")
	r.ProduceBatches(980*ms, 1, 10, 10_000, 4_000)
	r.Lag(1500*ms, "g", "t", 1, 3)
	// The broker restarted: its counters began again from zero.
	r.BrokerSample(1900*ms, 1, BrokerCounters{CPUBusy: 500 * ms, NetInBytes: 100})
	r.PublishSent(1950*ms, 1950*ms, 10)
	r.PublishAcked(1960*ms, 1950*ms, 10)
	m := r.Finish(2 * time.Second)

	require.Len(t, m.Lags, 2)
	assert.Equal(t, int32(0), m.Lags[0].Partition, "lags sorted by partition")
	assert.Equal(t, []int64{5, 5}, m.Lags[0].Lag)
	assert.Equal(t, []int64{10, 3}, m.Lags[1].Lag)
	assert.Equal(t, int64(10), m.Lags[1].Max)
	require.Len(t, m.Groups, 1)
	assert.Equal(t, []int64{15, 8}, m.Groups[0].BacklogPerInterval, "backlog is the sum of the partitions' lag")

	require.Len(t, m.Brokers, 1)
	b := m.Brokers[0]
	assert.Equal(t, []int64{int64(time.Second), int64(500 * ms)}, b.CPUBusyNsPerInterval)
	assert.Equal(t, []float64{0.5, 0.25}, b.CPUUtilization)
	assert.Equal(t, []float64{0.5, 0.1}, b.NetInUtilization)
	assert.Equal(t, []float64{0.25, 0}, b.NetOutUtilization)
	assert.Equal(t, []float64{0.5, 0}, b.DiskUtilization)
	assert.Equal(t, int64(1500*ms), b.CPUBusyNs)
	assert.InDelta(t, 0.375, b.MeanCPUUtilization, 1e-12)
	assert.Equal(t, 0.5, b.PeakCPUUtilization)

	require.Len(t, m.Requests, 2)
	assert.Equal(t, "Fetch", m.Requests[0].API)
	assert.Equal(t, RequestCount{API: "Produce", Count: 2, PerInterval: []int64{2, 0}}, m.Requests[1])
	assert.Equal(t, 2.5, m.Bytes.CompressionRatio)
	assert.Equal(t, int64(1000), m.Bytes.DiskWriteBytes)
	assert.Equal(t, 4000.0, m.Bytes.WireBytesPerRecord)

	require.Len(t, m.Faults, 2)
	assert.Equal(t, FaultWindow{Name: "pause", Target: "broker-2", StartNs: int64(2 * time.Second), StopNs: int64(2 * time.Second)}, m.Faults[1])
}

func TestRecorderClampsAndPanics(t *testing.T) {
	r := NewRecorder(Config{})
	r.PublishAcked(2*time.Hour, 0, 1)
	m := r.Finish(2 * time.Hour)
	assert.Equal(t, int64(1), m.Summary.PublishLatency.Clamped)
	assert.InDelta(t, float64(time.Hour), float64(m.Summary.PublishLatency.MaxNs), float64(time.Hour)/500)

	r = NewRecorder(Config{})
	r.PublishSent(time.Second, time.Second, 1)
	assert.PanicsWithValue(t, "reports: time went backwards: t=500ms after t=1s", func() { r.PublishSent(500*ms, 0, 1) })
	r = NewRecorder(Config{})
	assert.Panics(t, func() { r.PublishAcked(time.Second, 2*time.Second, 1) }, "ack before send")
	r = NewRecorder(Config{})
	r.Finish(time.Second)
	assert.Panics(t, func() { r.Consumed(2*time.Second, "g", 0, 1) }, "after Finish")
	assert.Panics(t, func() { NewRecorder(Config{}).Fault("f", "", 2*time.Second, time.Second) })
}

func TestRecorderProgress(t *testing.T) {
	r := NewRecorder(Config{})
	for i := range 1000 {
		at := time.Duration(i) * ms
		r.PublishSent(at, at, 1024)
		r.PublishAcked(at+ms/2, at, 1024)
	}
	r.PublishSent(1500*ms, 1500*ms, 1)
	p := r.Progress()
	assert.Equal(t, 1500*ms, p.Now)
	assert.Equal(t, 1000.0, p.PublishRate, "acks of the first interval")
	assert.InDelta(t, float64(ms/2), float64(p.PublishP99), float64(ms/2)/500)
	p.End = 10 * time.Second
	assert.Equal(t, "[00:01.500 / 00:10.000  15%] pub 1000 msg/s (0.98 MiB/s) | cons 0 msg/s | backlog 0 | p99 pub 500.2µs e2e 0ns", FormatProgress(p))
	p.PublishRate, p.PublishErrorRate, p.Backlog = 123456, 12, 2_500_000
	p.Now, p.End = 2*time.Hour+3*time.Minute, 0
	assert.Equal(t, "[2:03:00.000] pub 123.5K msg/s (0.98 MiB/s) err 12/s | cons 0 msg/s | backlog 2.50M | p99 pub 500.2µs e2e 0ns", FormatProgress(p))
}

func TestRecorderDoesNotAllocate(t *testing.T) {
	r := NewRecorder(Config{})
	r.Consumed(0, "g", 0, 1) // declare the group
	r.Lag(0, "g", "t", 0, 0)
	r.Request(0, "Produce")
	r.BrokerSample(0, 1, BrokerCounters{})
	var at time.Duration
	allocs := testing.AllocsPerRun(1000, func() {
		at += 10 * time.Microsecond
		r.PublishSent(at, at-time.Microsecond, 100)
		r.PublishAcked(at, at-3*ms, 100)
		r.Consumed(at, "g", at-5*ms, 100)
		r.Lag(at, "g", "t", 0, 7)
		r.Request(at, "Produce")
		r.ProduceBatches(at, 1, 1, 100, 50)
		r.BrokerSample(at, 1, BrokerCounters{CPUBusy: at})
	})
	assert.Zero(t, allocs, "the recording path must not allocate within an interval")
}

// BenchmarkRecorder measures one produced-and-consumed record: send, ack, consume.
// Interval rollovers (every 100,000 records here) are included.
func BenchmarkRecorder(b *testing.B) {
	r := NewRecorder(Config{})
	r.Consumed(0, "g", 0, 1)
	b.ReportAllocs()
	var at time.Duration
	for b.Loop() {
		at += 10 * time.Microsecond
		r.PublishSent(at, at-time.Microsecond, 100)
		r.PublishAcked(at, at-3*ms, 100)
		r.Consumed(at, "g", at-5*ms, 100)
	}
}

// BenchmarkIntervalClose measures closing one interval that holds a few hundred
// distinct latencies per metric: stats, V2 encoding for the .hlog, reset.
func BenchmarkIntervalClose(b *testing.B) {
	r := NewRecorder(Config{Interval: time.Millisecond, Window: time.Hour})
	r.Consumed(0, "g", 0, 1)
	b.ReportAllocs()
	var at time.Duration
	for b.Loop() {
		for i := range 300 {
			d := time.Duration(i) * 37 * time.Microsecond
			r.PublishSent(at, at-d/10, 100)
			r.PublishAcked(at, at-d, 100)
			r.Consumed(at, "g", at-2*d, 100)
		}
		at += time.Millisecond
	}
}

// TestIntervalHistogramsMatchDirectRecording feeds random latencies through a
// Recorder and checks each interval's and window's statistics, the .hlog histograms
// and the whole-run histogram against hdrhistogram-go histograms that recorded the
// same values directly: moving an interval's counts into a packed histogram, merging
// it into the whole run and resetting the live histograms loses nothing.
func TestIntervalHistogramsMatchDirectRecording(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	perInterval := []int{0, 1, 2, 7, 1000, 50_000, 0, 300}
	const window = 3 // intervals
	r := NewRecorder(Config{Interval: time.Second, Window: window * time.Second})
	ivWant := make([]*hdrhistogram.Histogram, len(perInterval))
	winWant := make([]*hdrhistogram.Histogram, (len(perInterval)+window-1)/window)
	total := newHistogram()
	for i, n := range perInterval {
		ivWant[i] = newHistogram()
		if winWant[i/window] == nil {
			winWant[i/window] = newHistogram()
		}
		for j := range n {
			var v int64
			switch rng.IntN(4) {
			case 0:
				v = rng.Int64N(2000) // below 1 µs: the first slots
			case 1:
				v = int64(float64(time.Millisecond) * math.Exp(rng.NormFloat64()))
			case 2:
				v = rng.Int64N(int64(time.Hour) + 1)
			default:
				v = int64(time.Hour)
			}
			at := time.Duration(i)*time.Second + time.Duration(j)*(time.Second/time.Duration(n))
			r.PublishAcked(at, at-time.Duration(v), 1)
			for _, h := range []*hdrhistogram.Histogram{ivWant[i], winWant[i/window], total} {
				require.NoError(t, h.RecordValue(v))
			}
		}
	}
	m := r.Finish(time.Duration(len(perInterval)) * time.Second)

	require.Len(t, m.Intervals, len(perInterval))
	for i, want := range ivWant {
		assert.Equal(t, statsOf(want, 0), m.Intervals[i].PublishLatency, "interval %d", i)
	}
	require.Len(t, m.Windows, len(winWant))
	for i, want := range winWant {
		assert.Equal(t, statsOf(want, 0), m.Windows[i].PublishLatency, "window %d", i)
	}
	got, err := m.Histogram(PublishLatency)
	require.NoError(t, err)
	assert.True(t, got.Equals(total), "the whole-run histogram is the sum of the intervals")
	assert.Equal(t, statsOf(total, 0), m.Summary.PublishLatency)

	var buf bytes.Buffer
	require.NoError(t, WriteHlog(&buf, m, PublishLatency))
	rd := hdrhistogram.NewHistogramLogReader(&buf)
	for i, want := range ivWant {
		h, err := rd.NextIntervalHistogram()
		require.NoError(t, err)
		require.NotNil(t, h, "interval %d missing from the .hlog", i)
		assert.True(t, h.Equals(want), "interval %d: the .hlog histogram differs", i)
	}
	h, err := rd.NextIntervalHistogram()
	require.NoError(t, err)
	assert.Nil(t, h, "one .hlog line per interval")
}
