package reports

import (
	"fmt"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every latency metric: values in nanoseconds, 1 µs
// discernible, up to one hour, 3 significant digits. As in any HdrHistogram, values
// below 2048 × 512 ns (about 1 ms) are resolved to 512 ns (the power of two below the
// lowest discernible value) and larger ones to 0.1 %; a reported value is the highest
// value equivalent to the recorded one.
const (
	histLowest  = int64(time.Microsecond)
	histHighest = int64(time.Hour)
	histSigFigs = 3
)

// newHistogram allocates one latency histogram with the shared geometry.
func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histLowest, histHighest, histSigFigs)
}

// newPackedHistogram allocates a sparse latency histogram with the shared geometry.
func newPackedHistogram() *hdrhistogram.PackedHistogram {
	return hdrhistogram.NewPacked(histLowest, histHighest, histSigFigs)
}

// LatencyKind names one of the three latency metrics.
type LatencyKind int

// The latency metrics, in the order they appear in reports.
const (
	// PublishLatency is the acknowledgement time minus the actual send time.
	PublishLatency LatencyKind = iota
	// PublishDelay is the actual send time minus the intended send time of the load
	// schedule: coordinated omission made visible.
	PublishDelay
	// EndToEndLatency is the consume time minus the send time.
	EndToEndLatency
	numLatencyKinds
)

// LatencyKinds lists every LatencyKind in report order.
var LatencyKinds = []LatencyKind{PublishLatency, PublishDelay, EndToEndLatency}

// String is the human name of the metric.
func (k LatencyKind) String() string {
	switch k {
	case PublishLatency:
		return "publish latency"
	case PublishDelay:
		return "publish delay"
	case EndToEndLatency:
		return "end-to-end latency"
	}
	return fmt.Sprintf("LatencyKind(%d)", int(k))
}

// FileStem is the base name of the metric's .hlog and .hgrm files.
func (k LatencyKind) FileStem() string {
	switch k {
	case PublishLatency:
		return "publish-latency"
	case PublishDelay:
		return "publish-delay"
	case EndToEndLatency:
		return "end-to-end-latency"
	}
	panic(fmt.Sprintf("reports: no file stem for %v", k))
}

// ofKind returns the one of a struct's three per-kind fields that belongs to k.
func ofKind[T any](k LatencyKind, publish, delay, endToEnd *T) *T {
	switch k {
	case PublishLatency:
		return publish
	case PublishDelay:
		return delay
	case EndToEndLatency:
		return endToEnd
	}
	panic(fmt.Sprintf("reports: unknown %v", k))
}

// LatencyStats summarises one latency histogram. Values are nanoseconds as resolved by
// the histogram (3 significant digits); Count is exact.
type LatencyStats struct {
	Count    int64   `json:"count"`
	MinNs    int64   `json:"min_ns"`
	MeanNs   float64 `json:"mean_ns"`
	StdDevNs float64 `json:"stddev_ns"`
	P50Ns    int64   `json:"p50_ns"`
	P75Ns    int64   `json:"p75_ns"`
	P90Ns    int64   `json:"p90_ns"`
	P95Ns    int64   `json:"p95_ns"`
	P99Ns    int64   `json:"p99_ns"`
	P999Ns   int64   `json:"p99_9_ns"`
	P9999Ns  int64   `json:"p99_99_ns"`
	P99999Ns int64   `json:"p99_999_ns"`
	MaxNs    int64   `json:"max_ns"`
	// Clamped counts values above one hour, recorded as one hour.
	Clamped int64 `json:"clamped,omitempty"`
}

// statPercentiles are the percentiles LatencyStats carries, in field order.
var statPercentiles = []float64{50, 75, 90, 95, 99, 99.9, 99.99, 99.999}

// latencyHistogram is the query surface hdrhistogram-go's dense Histogram and sparse
// PackedHistogram share; the two give identical figures for the same counts.
type latencyHistogram interface {
	TotalCount() int64
	Min() int64
	Max() int64
	Mean() float64
	StdDev() float64
	ValueAtPercentilesSlice(percentiles []float64) []int64
}

// statsOf summarises h; clamped is carried through.
func statsOf(h latencyHistogram, clamped int64) LatencyStats {
	s := LatencyStats{Count: h.TotalCount(), Clamped: clamped}
	if s.Count == 0 {
		return s
	}
	ps := h.ValueAtPercentilesSlice(statPercentiles)
	s.P50Ns, s.P75Ns, s.P90Ns, s.P95Ns = ps[0], ps[1], ps[2], ps[3]
	s.P99Ns, s.P999Ns, s.P9999Ns, s.P99999Ns = ps[4], ps[5], ps[6], ps[7]
	s.MinNs = h.Min()
	s.MaxNs = h.Max()
	s.MeanNs = h.Mean()
	s.StdDevNs = h.StdDev()
	return s
}

// Interval holds the metrics of one reporting interval [Start, End). Counts are events
// whose time fell in the interval; rates divide by the interval's length; Backlog is
// the value at the interval's end.
type Interval struct {
	StartNs int64 `json:"start_ns"`
	EndNs   int64 `json:"end_ns"`
	// Sent counts records handed to the network by producers (at their actual send time).
	Sent int64 `json:"sent"`
	// Published counts acknowledged records; PublishedBytes their payload bytes.
	Published      int64 `json:"published"`
	PublishedBytes int64 `json:"published_bytes"`
	PublishFailed  int64 `json:"publish_failed"`
	// Consumed counts records delivered to consumers, summed over groups.
	Consumed      int64 `json:"consumed"`
	ConsumedBytes int64 `json:"consumed_bytes"`
	// Backlog is the sum over groups of the records not yet consumed (see GroupMetrics).
	Backlog int64 `json:"backlog"`

	PublishRate      float64 `json:"publish_rate"`
	PublishMiBps     float64 `json:"publish_mib_per_sec"`
	PublishErrorRate float64 `json:"publish_error_rate"`
	ConsumeRate      float64 `json:"consume_rate"`
	ConsumeMiBps     float64 `json:"consume_mib_per_sec"`

	PublishLatency  LatencyStats `json:"publish_latency"`
	PublishDelay    LatencyStats `json:"publish_delay"`
	EndToEndLatency LatencyStats `json:"end_to_end_latency"`
}

// Seconds is the interval's length in seconds.
func (iv *Interval) Seconds() float64 { return float64(iv.EndNs-iv.StartNs) / 1e9 }

// Latency returns the stats of kind k.
func (iv *Interval) Latency(k LatencyKind) *LatencyStats {
	return ofKind(k, &iv.PublishLatency, &iv.PublishDelay, &iv.EndToEndLatency)
}

// fillRates derives the rate fields from the counts.
func (iv *Interval) fillRates() {
	secs := iv.Seconds()
	if secs <= 0 {
		return
	}
	iv.PublishRate = float64(iv.Published) / secs
	iv.PublishMiBps = float64(iv.PublishedBytes) / secs / (1 << 20)
	iv.PublishErrorRate = float64(iv.PublishFailed) / secs
	iv.ConsumeRate = float64(iv.Consumed) / secs
	iv.ConsumeMiBps = float64(iv.ConsumedBytes) / secs / (1 << 20)
}

// GroupMetrics is one consumer group. Its backlog at an interval's end is the sum of
// its partitions' latest lag samples when the harness reported lag for the group, and
// otherwise records sent so far minus records the group consumed (OMB's definition).
type GroupMetrics struct {
	Name          string  `json:"name"`
	Consumed      int64   `json:"consumed"`
	ConsumedBytes int64   `json:"consumed_bytes"`
	ConsumeRate   float64 `json:"consume_rate"`
	// Per interval, aligned with Metrics.Intervals.
	ConsumedPerInterval []int64 `json:"consumed_per_interval"`
	BacklogPerInterval  []int64 `json:"backlog_per_interval"`
	MaxBacklog          int64   `json:"max_backlog"`
}

// PartitionLag is the lag of one group on one partition, sampled at each interval's end
// (the latest sample reported, 0 before the first).
type PartitionLag struct {
	Group     string  `json:"group"`
	Topic     string  `json:"topic"`
	Partition int32   `json:"partition"`
	Lag       []int64 `json:"lag"`
	Max       int64   `json:"max"`
}

// BrokerCapacity is what one broker can do per second; utilization divides by it.
// A zero field leaves that utilization out (reported as 0).
type BrokerCapacity struct {
	Cores int `json:"cores"`
	// NICBytesPerSec is the network bandwidth per direction.
	NICBytesPerSec int64 `json:"nic_bytes_per_sec"`
	// DiskBytesPerSec is the disk bandwidth, reads and writes together.
	DiskBytesPerSec int64 `json:"disk_bytes_per_sec"`
}

// BrokerCounters are a broker's cumulative counters since the run began, as a host
// reports them. A counter that goes down is taken as restarted from zero.
type BrokerCounters struct {
	CPUBusy        time.Duration
	NetInBytes     int64
	NetOutBytes    int64
	DiskWriteBytes int64
	DiskReadBytes  int64
}

// BrokerMetrics is one broker's usage: totals, and per interval the deltas and the
// utilization (0..1, may exceed 1 if the host over-reports).
type BrokerMetrics struct {
	ID             int32          `json:"id"`
	Capacity       BrokerCapacity `json:"capacity"`
	CPUBusyNs      int64          `json:"cpu_busy_ns"`
	NetInBytes     int64          `json:"net_in_bytes"`
	NetOutBytes    int64          `json:"net_out_bytes"`
	DiskWriteBytes int64          `json:"disk_write_bytes"`
	DiskReadBytes  int64          `json:"disk_read_bytes"`

	CPUBusyNsPerInterval   []int64   `json:"cpu_busy_ns_per_interval"`
	NetInPerInterval       []int64   `json:"net_in_bytes_per_interval"`
	NetOutPerInterval      []int64   `json:"net_out_bytes_per_interval"`
	DiskWritePerInterval   []int64   `json:"disk_write_bytes_per_interval"`
	DiskReadPerInterval    []int64   `json:"disk_read_bytes_per_interval"`
	CPUUtilization         []float64 `json:"cpu_utilization"`
	NetInUtilization       []float64 `json:"net_in_utilization"`
	NetOutUtilization      []float64 `json:"net_out_utilization"`
	DiskUtilization        []float64 `json:"disk_utilization"`
	MeanCPUUtilization     float64   `json:"mean_cpu_utilization"`
	MeanNetInUtilization   float64   `json:"mean_net_in_utilization"`
	MeanNetOutUtilization  float64   `json:"mean_net_out_utilization"`
	MeanDiskUtilization    float64   `json:"mean_disk_utilization"`
	PeakCPUUtilization     float64   `json:"peak_cpu_utilization"`
	PeakNetworkUtilization float64   `json:"peak_network_utilization"`
	PeakDiskUtilization    float64   `json:"peak_disk_utilization"`
}

// RequestCount counts one request kind (Kafka API name: Produce, Fetch, ...).
type RequestCount struct {
	API         string  `json:"api"`
	Count       int64   `json:"count"`
	PerInterval []int64 `json:"per_interval"`
}

// ByteCounts shows what compression bought: record bytes as produced, batch bytes on
// the wire after compression, bytes the brokers wrote to disk.
type ByteCounts struct {
	Batches           int64   `json:"batches"`
	BatchRecords      int64   `json:"batch_records"`
	UncompressedBytes int64   `json:"uncompressed_bytes"`
	WireBytes         int64   `json:"wire_bytes"`
	DiskWriteBytes    int64   `json:"disk_write_bytes"`
	CompressionRatio  float64 `json:"compression_ratio"`
	// WireBytesPerRecord and DiskBytesPerRecord divide by acknowledged records.
	WireBytesPerRecord float64 `json:"wire_bytes_per_record"`
	DiskBytesPerRecord float64 `json:"disk_bytes_per_record"`
}

// RecordsPerBatch is the mean number of records in a producer batch, 0 without batches.
func (b *ByteCounts) RecordsPerBatch() float64 {
	if b.Batches == 0 {
		return 0
	}
	return float64(b.BatchRecords) / float64(b.Batches)
}

// FaultWindow is one injected fault, active over [Start, Stop).
type FaultWindow struct {
	Name    string `json:"name"`
	Target  string `json:"target,omitempty"`
	StartNs int64  `json:"start_ns"`
	StopNs  int64  `json:"stop_ns"`
}

// Summary holds the whole-run figures. Publish rates are over the span from the first
// send to the last acknowledgement (as kafka-producer-perf-test times them), consume
// rates from the first record consumed to the last, so that a drain phase does not
// dilute them.
type Summary struct {
	DurationNs       int64        `json:"duration_ns"`
	Sent             int64        `json:"sent"`
	Published        int64        `json:"published"`
	PublishedBytes   int64        `json:"published_bytes"`
	PublishFailed    int64        `json:"publish_failed"`
	Consumed         int64        `json:"consumed"`
	ConsumedBytes    int64        `json:"consumed_bytes"`
	PublishRate      float64      `json:"publish_rate"`
	PublishMiBps     float64      `json:"publish_mib_per_sec"`
	PublishErrorRate float64      `json:"publish_error_rate"`
	ConsumeRate      float64      `json:"consume_rate"`
	ConsumeMiBps     float64      `json:"consume_mib_per_sec"`
	MaxBacklog       int64        `json:"max_backlog"`
	PublishLatency   LatencyStats `json:"publish_latency"`
	PublishDelay     LatencyStats `json:"publish_delay"`
	EndToEndLatency  LatencyStats `json:"end_to_end_latency"`
	// Rate statistics over the intervals (msg/s), as OMB's CSV roll-up reports them.
	PublishRateMin    float64 `json:"publish_rate_min"`
	PublishRateMax    float64 `json:"publish_rate_max"`
	PublishRateStdDev float64 `json:"publish_rate_stddev"`
	ConsumeRateMin    float64 `json:"consume_rate_min"`
	ConsumeRateMax    float64 `json:"consume_rate_max"`
	ConsumeRateStdDev float64 `json:"consume_rate_stddev"`
	// MeanBrokerCPUUtilization averages every broker's CPU utilization over the run.
	MeanBrokerCPUUtilization float64 `json:"mean_broker_cpu_utilization"`
	// BrokerCPUPerRecordNs is broker CPU time per acknowledged record.
	BrokerCPUPerRecordNs float64 `json:"broker_cpu_per_record_ns"`
}

// Latency returns the whole-run stats of kind k.
func (s *Summary) Latency(k LatencyKind) *LatencyStats {
	return ofKind(k, &s.PublishLatency, &s.PublishDelay, &s.EndToEndLatency)
}

// EncodedHistograms are the whole-run histograms in HdrHistogram's V2 compressed
// base64 encoding (Java/C compatible), so reports can be rebuilt from result.json.
type EncodedHistograms struct {
	PublishLatency  string `json:"publish_latency"`
	PublishDelay    string `json:"publish_delay"`
	EndToEndLatency string `json:"end_to_end_latency"`
}

func (e *EncodedHistograms) get(k LatencyKind) *string {
	return ofKind(k, &e.PublishLatency, &e.PublishDelay, &e.EndToEndLatency)
}

// Metrics is everything a Recorder measured in one run.
type Metrics struct {
	IntervalNs int64 `json:"interval_ns"`
	// WindowNs is the length of Windows' elements: OMB's 10 s sample period by default.
	WindowNs   int64             `json:"window_ns"`
	Summary    Summary           `json:"summary"`
	Intervals  []Interval        `json:"intervals"`
	Windows    []Interval        `json:"windows"`
	Groups     []GroupMetrics    `json:"groups"`
	Lags       []PartitionLag    `json:"lags"`
	Brokers    []BrokerMetrics   `json:"brokers"`
	Requests   []RequestCount    `json:"requests"`
	Bytes      ByteCounts        `json:"bytes"`
	Faults     []FaultWindow     `json:"faults"`
	Histograms EncodedHistograms `json:"histograms"`

	// intervalHists holds each interval's histograms in the V2 compressed encoding
	// for the .hlog files, nil where the interval recorded nothing; it is not part of
	// result.json (the .hlog files are its serialization).
	intervalHists [][numLatencyKinds][]byte
	// decoded caches the whole-run histograms.
	decoded [numLatencyKinds]*hdrhistogram.Histogram
}

// Histogram returns the whole-run histogram of kind k, decoded from Histograms.
func (m *Metrics) Histogram(k LatencyKind) (*hdrhistogram.Histogram, error) {
	if h := m.decoded[k]; h != nil {
		return h, nil
	}
	enc := *m.Histograms.get(k)
	if enc == "" {
		h := newHistogram()
		m.decoded[k] = h
		return h, nil
	}
	h, err := hdrhistogram.Decode([]byte(enc))
	if err != nil {
		return nil, fmt.Errorf("%v histogram: %w", k, err)
	}
	m.decoded[k] = h
	return h, nil
}

// HasIntervalHistograms reports whether the per-interval histograms (for .hlog files)
// are present: true for Metrics from a Recorder, false for Metrics read from JSON.
func (m *Metrics) HasIntervalHistograms() bool { return len(m.intervalHists) > 0 }
