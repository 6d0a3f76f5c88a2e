package reports

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// DefaultInterval is the reporting interval when Config leaves it zero.
const DefaultInterval = time.Second

// DefaultWindow is OMB's sample period: its per-interval arrays hold one element per 10 s.
const DefaultWindow = 10 * time.Second

// Config sets up a Recorder.
type Config struct {
	// Interval is the reporting interval of the time series (DefaultInterval if zero).
	Interval time.Duration
	// Window is the coarser period of Metrics.Windows and of omb-result.json's arrays
	// (DefaultWindow if zero). It should be a multiple of Interval.
	Window time.Duration
}

// latencyRec keeps the live histograms of one latency metric: the current
// interval's, the current window's and the whole run's. Every value is recorded into
// the interval and the window; at an interval's close its counts are merged into the
// whole run. They are allocated once and reset, never allocated per request.
type latencyRec struct {
	interval, window *hdrhistogram.Histogram
	total            *hdrhistogram.Histogram
	// summary is reused to summarise intervals and windows: the statistics of a sparse
	// histogram, and merging it, cost in proportion to its populated buckets rather
	// than to the dense counts array.
	summary               *hdrhistogram.PackedHistogram
	ivClamped, winClamped int64
	totClamped            int64
}

func newLatencyRec() latencyRec {
	return latencyRec{interval: newHistogram(), window: newHistogram(), total: newHistogram(), summary: newPackedHistogram()}
}

func (l *latencyRec) record(kind LatencyKind, t, d time.Duration) {
	v := int64(d)
	if v < 0 {
		panic(fmt.Sprintf("reports: negative %v %v at t=%v (the later event came before the earlier one)", kind, d, t))
	}
	if v > histHighest {
		v = histHighest
		l.ivClamped++
		l.winClamped++
		l.totClamped++
	}
	// Values inside the geometry cannot fail.
	if err := l.interval.RecordValue(v); err != nil {
		panic(fmt.Sprintf("reports: recording %v %d ns: %v", kind, v, err))
	}
	if err := l.window.RecordValue(v); err != nil {
		panic(fmt.Sprintf("reports: recording %v %d ns: %v", kind, v, err))
	}
}

// closeInterval summarises the interval histogram, encodes it for the .hlog file
// (nil when nothing was recorded), merges it into the whole run and clears it.
func (l *latencyRec) closeInterval(kind LatencyKind, enc *v2Encoder) (LatencyStats, []byte) {
	clamped := l.ivClamped
	l.ivClamped = 0
	if l.interval.TotalCount() == 0 {
		return LatencyStats{Clamped: clamped}, nil
	}
	encoded := bytes.Clone(enc.encode(l.interval))
	stats := l.summarise(kind, l.interval, clamped)
	if dropped := l.summary.MergeInto(l.total); dropped != 0 {
		panic(fmt.Sprintf("reports: %d %v values lost merging an interval into the whole run", dropped, kind))
	}
	l.interval.Reset()
	return stats, encoded
}

// closeWindow summarises and clears the window histogram.
func (l *latencyRec) closeWindow(kind LatencyKind) LatencyStats {
	clamped := l.winClamped
	l.winClamped = 0
	if l.window.TotalCount() == 0 {
		return LatencyStats{Clamped: clamped}
	}
	stats := l.summarise(kind, l.window, clamped)
	l.window.Reset()
	return stats
}

// summarise moves h's counts into the reused sparse summary and returns its stats.
func (l *latencyRec) summarise(kind LatencyKind, h *hdrhistogram.Histogram, clamped int64) LatencyStats {
	l.summary.Reset()
	if dropped := l.summary.MergeFrom(h); dropped != 0 {
		panic(fmt.Sprintf("reports: %d %v values lost summarising a histogram", dropped, kind))
	}
	return statsOf(l.summary, clamped)
}

// counters are the event counts of one interval or window.
type counters struct {
	sent, published, publishedBytes, failed, consumed, consumedBytes int64
}

type groupState struct {
	name           string
	consumed       int64 // whole run
	consumedBytes  int64
	ivConsumed     int64 // current interval
	hasLag         bool
	perInterval    []int64
	backlog        []int64
	lagPartitions  []*lagState
	windowConsumed int64
}

type lagKey struct {
	group, topic string
	partition    int32
}

type lagState struct {
	key    lagKey
	latest int64
	series []int64
	max    int64
}

type brokerState struct {
	id       int32
	capacity BrokerCapacity
	latest   BrokerCounters // latest cumulative sample
	base     BrokerCounters // cumulative value at the previous interval's end
	total    BrokerCounters // sum of deltas (survives counter restarts)
	deltas   [5][]int64     // cpu, in, out, write, read per interval
}

type requestState struct {
	api   string
	count int64
	iv    int64
	per   []int64
}

// Recorder collects a run's metrics in simulated time. Calls must come in
// non-decreasing time order (the simulator's event order); each call first closes
// every interval that ended before its time. A Recorder is not safe for concurrent use.
type Recorder struct {
	interval, window time.Duration
	ivStart, ivEnd   time.Duration
	winStart, winEnd time.Duration
	now              time.Duration
	finished         bool

	lat    [numLatencyKinds]latencyRec
	iv     counters
	win    counters
	total  counters
	lastIv Interval // the most recently closed interval, for Progress

	groups   map[string]*groupState
	lags     map[lagKey]*lagState
	brokers  map[int32]*brokerState
	requests map[string]*requestState
	faults   []FaultWindow
	bytes    ByteCounts

	intervals []Interval

	// The spans in which records were published (first send to last acknowledgement)
	// and consumed: whole-run rates are over these, so a long drain or a slow start
	// does not dilute them.
	publishing, consuming span
	windows               []Interval
	ivHists               [][numLatencyKinds][]byte
	enc                   *v2Encoder
}

// NewRecorder returns a Recorder whose first interval starts at simulated time 0.
func NewRecorder(cfg Config) *Recorder {
	if cfg.Interval < 0 || cfg.Window < 0 {
		panic(fmt.Sprintf("reports: negative interval %v or window %v", cfg.Interval, cfg.Window))
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultWindow
	}
	r := &Recorder{
		interval: cfg.Interval,
		window:   cfg.Window,
		ivEnd:    cfg.Interval,
		winEnd:   cfg.Window,
		groups:   map[string]*groupState{},
		lags:     map[lagKey]*lagState{},
		brokers:  map[int32]*brokerState{},
		requests: map[string]*requestState{},
		enc:      newV2Encoder(),
	}
	for k := range r.lat {
		r.lat[k] = newLatencyRec()
	}
	return r
}

// Interval is the reporting interval.
func (r *Recorder) Interval() time.Duration { return r.interval }

// advance moves the clock to t, closing finished intervals and windows.
func (r *Recorder) advance(t time.Duration) {
	if r.finished {
		panic(fmt.Sprintf("reports: metric recorded at t=%v after Finish", t))
	}
	if t < r.now {
		panic(fmt.Sprintf("reports: time went backwards: t=%v after t=%v", t, r.now))
	}
	r.now = t
	for t >= r.ivEnd {
		r.closeInterval(r.ivEnd)
	}
	for t >= r.winEnd {
		r.closeWindow(r.winEnd)
	}
}

// PublishSent records that a producer handed a record of the given payload size to the
// network at t, for the load schedule's intended send time.
func (r *Recorder) PublishSent(t, intended time.Duration, bytes int) {
	r.advance(t)
	r.iv.sent++
	r.win.sent++
	r.total.sent++
	r.publishing.see(t)
	r.lat[PublishDelay].record(PublishDelay, t, t-intended)
}

// PublishAcked records the acknowledgement at t of a record sent at sent.
func (r *Recorder) PublishAcked(t, sent time.Duration, bytes int) {
	r.advance(t)
	b := int64(bytes)
	r.iv.published++
	r.iv.publishedBytes += b
	r.win.published++
	r.win.publishedBytes += b
	r.total.published++
	r.total.publishedBytes += b
	r.publishing.see(t)
	r.lat[PublishLatency].record(PublishLatency, t, t-sent)
}

// PublishFailed records that a record sent at sent failed for good at t (an error
// returned to the application, not a retry).
func (r *Recorder) PublishFailed(t, sent time.Duration, bytes int) {
	r.advance(t)
	r.iv.failed++
	r.win.failed++
	r.total.failed++
}

// Consumed records that group received at t a record sent at sent.
func (r *Recorder) Consumed(t time.Duration, group string, sent time.Duration, bytes int) {
	r.advance(t)
	g := r.group(group)
	b := int64(bytes)
	g.consumed++
	g.consumedBytes += b
	g.ivConsumed++
	g.windowConsumed++
	r.iv.consumed++
	r.iv.consumedBytes += b
	r.win.consumed++
	r.win.consumedBytes += b
	r.total.consumed++
	r.total.consumedBytes += b
	r.consuming.see(t)
	r.lat[EndToEndLatency].record(EndToEndLatency, t, t-sent)
}

func (r *Recorder) group(name string) *groupState {
	if g, ok := r.groups[name]; ok {
		return g
	}
	g := &groupState{name: name, perInterval: make([]int64, len(r.intervals)), backlog: make([]int64, len(r.intervals))}
	r.groups[name] = g
	return g
}

// Lag records the lag of group on a partition at t: the high watermark minus the
// group's position. The latest sample in an interval is the interval's value.
func (r *Recorder) Lag(t time.Duration, group, topic string, partition int32, lag int64) {
	r.advance(t)
	k := lagKey{group: group, topic: topic, partition: partition}
	l, ok := r.lags[k]
	if !ok {
		l = &lagState{key: k, series: make([]int64, len(r.intervals))}
		r.lags[k] = l
		g := r.group(group)
		g.hasLag = true
		g.lagPartitions = append(g.lagPartitions, l)
	}
	l.latest = lag
	if lag > l.max {
		l.max = lag
	}
}

// Broker declares a broker and its capacity. Declaring is optional (a BrokerSample of
// an unknown broker declares it with zero capacity) but needed for utilization.
func (r *Recorder) Broker(id int32, c BrokerCapacity) {
	r.broker(id).capacity = c
}

func (r *Recorder) broker(id int32) *brokerState {
	if b, ok := r.brokers[id]; ok {
		return b
	}
	b := &brokerState{id: id}
	for i := range b.deltas {
		b.deltas[i] = make([]int64, len(r.intervals))
	}
	r.brokers[id] = b
	return b
}

// BrokerSample records a broker's cumulative counters at t. Sample at least once per
// interval (the runner samples at each interval boundary); the deltas between the last
// samples of consecutive intervals make the per-interval figures.
func (r *Recorder) BrokerSample(t time.Duration, id int32, c BrokerCounters) {
	r.advance(t)
	r.broker(id).latest = c
}

// Request counts one request of the given Kafka API (Produce, Fetch, ...) at t.
func (r *Recorder) Request(t time.Duration, api string) {
	r.advance(t)
	q, ok := r.requests[api]
	if !ok {
		q = &requestState{api: api, per: make([]int64, len(r.intervals))}
		r.requests[api] = q
	}
	q.count++
	q.iv++
}

// ProduceBatches records producer batches sent by t (since the last call): how many,
// the records they hold, their record bytes before compression and their size on the
// wire after compression.
func (r *Recorder) ProduceBatches(t time.Duration, batches, records int, uncompressed, compressed int64) {
	r.advance(t)
	r.bytes.Batches += int64(batches)
	r.bytes.BatchRecords += int64(records)
	r.bytes.UncompressedBytes += uncompressed
	r.bytes.WireBytes += compressed
}

// Fault records an injected fault active over [start, stop). A negative stop means it
// lasted to the end of the run. Faults may be recorded at any time, even in advance.
func (r *Recorder) Fault(name, target string, start, stop time.Duration) {
	if start < 0 {
		panic(fmt.Sprintf("reports: fault %q starts at negative time %v", name, start))
	}
	if stop >= 0 && stop < start {
		panic(fmt.Sprintf("reports: fault %q stops at %v before it starts at %v", name, stop, start))
	}
	r.faults = append(r.faults, FaultWindow{Name: name, Target: target, StartNs: int64(start), StopNs: int64(stop)})
}

// closeInterval ends the current interval at end.
func (r *Recorder) closeInterval(end time.Duration) {
	iv := Interval{
		StartNs:        int64(r.ivStart),
		EndNs:          int64(end),
		Sent:           r.iv.sent,
		Published:      r.iv.published,
		PublishedBytes: r.iv.publishedBytes,
		PublishFailed:  r.iv.failed,
		Consumed:       r.iv.consumed,
		ConsumedBytes:  r.iv.consumedBytes,
	}
	var hists [numLatencyKinds][]byte
	for k := range r.lat {
		*iv.Latency(LatencyKind(k)), hists[k] = r.lat[k].closeInterval(LatencyKind(k), r.enc)
	}
	idx := len(r.intervals)
	// Gauges: lags, backlog per group.
	for _, l := range r.lags {
		l.series = append(l.series, l.latest)
	}
	for _, g := range r.groups {
		g.perInterval = append(g.perInterval, g.ivConsumed)
		g.ivConsumed = 0
		var backlog int64
		if g.hasLag {
			for _, l := range g.lagPartitions {
				backlog += l.latest
			}
		} else if backlog = r.total.sent - g.consumed; backlog < 0 {
			backlog = 0
		}
		g.backlog = append(g.backlog, backlog)
		iv.Backlog += backlog
	}
	for _, b := range r.brokers {
		d := [5]int64{
			counterDelta(int64(b.latest.CPUBusy), int64(b.base.CPUBusy)),
			counterDelta(b.latest.NetInBytes, b.base.NetInBytes),
			counterDelta(b.latest.NetOutBytes, b.base.NetOutBytes),
			counterDelta(b.latest.DiskWriteBytes, b.base.DiskWriteBytes),
			counterDelta(b.latest.DiskReadBytes, b.base.DiskReadBytes),
		}
		for i := range d {
			b.deltas[i] = append(b.deltas[i], d[i])
		}
		b.total.CPUBusy += time.Duration(d[0])
		b.total.NetInBytes += d[1]
		b.total.NetOutBytes += d[2]
		b.total.DiskWriteBytes += d[3]
		b.total.DiskReadBytes += d[4]
		b.base = b.latest
	}
	for _, q := range r.requests {
		q.per = append(q.per, q.iv)
		q.iv = 0
	}
	iv.fillRates()
	r.intervals = append(r.intervals, iv)
	r.ivHists = append(r.ivHists, hists)
	if len(r.intervals) != idx+1 {
		panic("reports: interval bookkeeping out of step")
	}
	r.lastIv = iv
	r.iv = counters{}
	r.ivStart = end
	r.ivEnd = end + r.interval
}

// counterDelta is cur-prev for a cumulative counter; a counter that went down
// restarted from zero.
func counterDelta(cur, prev int64) int64 {
	if cur < prev {
		return cur
	}
	return cur - prev
}

// closeWindow ends the current OMB window at end. Backlog is taken from the interval
// that ended last (windows are multiples of intervals in the usual setup).
func (r *Recorder) closeWindow(end time.Duration) {
	w := Interval{
		StartNs:        int64(r.winStart),
		EndNs:          int64(end),
		Sent:           r.win.sent,
		Published:      r.win.published,
		PublishedBytes: r.win.publishedBytes,
		PublishFailed:  r.win.failed,
		Consumed:       r.win.consumed,
		ConsumedBytes:  r.win.consumedBytes,
	}
	if n := len(r.intervals); n > 0 {
		w.Backlog = r.intervals[n-1].Backlog
	}
	for k := range r.lat {
		*w.Latency(LatencyKind(k)) = r.lat[k].closeWindow(LatencyKind(k))
	}
	w.fillRates()
	r.windows = append(r.windows, w)
	r.win = counters{}
	r.winStart = end
	r.winEnd = end + r.window
}

// Progress is a snapshot for the progress line of a long run.
type Progress struct {
	// Now is the simulated time reached; End the planned run length (0 if unknown).
	Now, End time.Duration
	// Rates and latencies of the most recently closed interval.
	PublishRate, PublishMiBps, ConsumeRate float64
	PublishErrorRate                       float64
	Backlog                                int64
	PublishP99, EndToEndP99                time.Duration
	// Totals so far.
	Published, Consumed, PublishFailed int64
}

// Progress returns the figures of the most recently closed interval and the totals.
func (r *Recorder) Progress() Progress {
	return Progress{
		Now:              r.now,
		PublishRate:      r.lastIv.PublishRate,
		PublishMiBps:     r.lastIv.PublishMiBps,
		ConsumeRate:      r.lastIv.ConsumeRate,
		PublishErrorRate: r.lastIv.PublishErrorRate,
		Backlog:          r.lastIv.Backlog,
		PublishP99:       time.Duration(r.lastIv.PublishLatency.P99Ns),
		EndToEndP99:      time.Duration(r.lastIv.EndToEndLatency.P99Ns),
		Published:        r.total.published,
		Consumed:         r.total.consumed,
		PublishFailed:    r.total.failed,
	}
}

// Finish closes the run at end (at least the time of the last event) and returns the
// metrics. A last partial interval and window are kept. The Recorder is unusable after.
func (r *Recorder) Finish(end time.Duration) *Metrics {
	r.advance(end)
	if end > r.ivStart || len(r.intervals) == 0 {
		r.closeInterval(end)
	}
	if end > r.winStart || len(r.windows) == 0 {
		r.closeWindow(end)
	}
	r.finished = true

	m := &Metrics{
		IntervalNs:    int64(r.interval),
		WindowNs:      int64(r.window),
		Intervals:     r.intervals,
		Windows:       r.windows,
		Faults:        r.faultWindows(end),
		intervalHists: r.ivHists,
	}
	r.summarize(m, end)
	m.Groups = r.groupMetrics(end)
	m.Lags = r.lagMetrics()
	r.brokerUsage(m)
	m.Requests = r.requestCounts()
	r.byteCounts(m)
	return m
}

// faultWindows lists the faults by start time, those still active stopped at end.
func (r *Recorder) faultWindows(end time.Duration) []FaultWindow {
	faults := append([]FaultWindow{}, r.faults...)
	for i := range faults {
		if faults[i].StopNs < 0 || faults[i].StopNs > int64(end) {
			faults[i].StopNs = int64(end)
		}
	}
	sort.SliceStable(faults, func(i, j int) bool { return faults[i].StartNs < faults[j].StartNs })
	return faults
}

// summarize fills m.Summary (but the broker figures) and the whole-run histograms.
func (r *Recorder) summarize(m *Metrics, end time.Duration) {
	s := &m.Summary
	s.DurationNs = int64(end)
	s.Sent, s.Published, s.PublishedBytes = r.total.sent, r.total.published, r.total.publishedBytes
	s.PublishFailed, s.Consumed, s.ConsumedBytes = r.total.failed, r.total.consumed, r.total.consumedBytes
	if secs := r.publishing.seconds(end); secs > 0 {
		s.PublishRate = float64(s.Published) / secs
		s.PublishMiBps = float64(s.PublishedBytes) / secs / (1 << 20)
		s.PublishErrorRate = float64(s.PublishFailed) / secs
	}
	if secs := r.consuming.seconds(end); secs > 0 {
		s.ConsumeRate = float64(s.Consumed) / secs
		s.ConsumeMiBps = float64(s.ConsumedBytes) / secs / (1 << 20)
	}
	for k := range r.lat {
		l := &r.lat[k]
		// Values recorded at exactly end belong to no kept interval but to the run.
		if dropped := l.total.Merge(l.interval); dropped != 0 {
			panic(fmt.Sprintf("reports: %d %v values lost merging the last instant into the whole run", dropped, LatencyKind(k)))
		}
		*s.Latency(LatencyKind(k)) = statsOf(l.total, l.totClamped)
		enc, err := l.total.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
		if err != nil {
			panic(fmt.Sprintf("reports: encoding the whole-run %v histogram: %v", LatencyKind(k), err))
		}
		*m.Histograms.get(LatencyKind(k)) = string(enc)
		m.decoded[k] = l.total
	}
	pub := make([]float64, len(m.Intervals))
	con := make([]float64, len(m.Intervals))
	for i := range m.Intervals {
		pub[i], con[i] = m.Intervals[i].PublishRate, m.Intervals[i].ConsumeRate
		if m.Intervals[i].Backlog > s.MaxBacklog {
			s.MaxBacklog = m.Intervals[i].Backlog
		}
	}
	s.PublishRateMin, s.PublishRateMax, s.PublishRateStdDev = minMaxStd(pub)
	s.ConsumeRateMin, s.ConsumeRateMax, s.ConsumeRateStdDev = minMaxStd(con)
}

// groupMetrics lists the consumer groups by name.
func (r *Recorder) groupMetrics(end time.Duration) []GroupMetrics {
	out := []GroupMetrics{}
	for _, name := range sortedKeys(r.groups) {
		g := r.groups[name]
		gm := GroupMetrics{Name: name, Consumed: g.consumed, ConsumedBytes: g.consumedBytes,
			ConsumedPerInterval: g.perInterval, BacklogPerInterval: g.backlog}
		if secs := end.Seconds(); secs > 0 {
			gm.ConsumeRate = float64(g.consumed) / secs
		}
		for _, b := range g.backlog {
			gm.MaxBacklog = max(gm.MaxBacklog, b)
		}
		out = append(out, gm)
	}
	return out
}

// lagMetrics lists the partition lags by group, topic and partition.
func (r *Recorder) lagMetrics() []PartitionLag {
	keys := slices.SortedFunc(maps.Keys(r.lags), func(a, b lagKey) int {
		return cmp.Or(strings.Compare(a.group, b.group), strings.Compare(a.topic, b.topic), cmp.Compare(a.partition, b.partition))
	})
	out := []PartitionLag{}
	for _, k := range keys {
		l := r.lags[k]
		out = append(out, PartitionLag{Group: k.group, Topic: k.topic, Partition: k.partition, Lag: l.series, Max: l.max})
	}
	return out
}

// brokerUsage fills m.Brokers (by id), the brokers' disk writes in m.Bytes and the
// summary's broker CPU figures; m.Summary.Published must be set.
func (r *Recorder) brokerUsage(m *Metrics) {
	s := &m.Summary
	m.Brokers = []BrokerMetrics{}
	var cpuSum float64
	var cpuN int
	var cpuBusy int64
	for _, id := range slices.Sorted(maps.Keys(r.brokers)) {
		b := r.brokers[id]
		bm := brokerMetrics(b, m.Intervals)
		cpuBusy += bm.CPUBusyNs
		if b.capacity.Cores > 0 {
			cpuSum += bm.MeanCPUUtilization
			cpuN++
		}
		m.Bytes.DiskWriteBytes += bm.DiskWriteBytes
		m.Brokers = append(m.Brokers, bm)
	}
	if cpuN > 0 {
		s.MeanBrokerCPUUtilization = cpuSum / float64(cpuN)
	}
	if s.Published > 0 {
		s.BrokerCPUPerRecordNs = float64(cpuBusy) / float64(s.Published)
	}
}

// requestCounts lists the request counts by API name.
func (r *Recorder) requestCounts() []RequestCount {
	out := []RequestCount{}
	for _, api := range sortedKeys(r.requests) {
		q := r.requests[api]
		out = append(out, RequestCount{API: api, Count: q.count, PerInterval: q.per})
	}
	return out
}

// byteCounts fills m.Bytes but the disk writes (brokerUsage adds those).
func (r *Recorder) byteCounts(m *Metrics) {
	s := &m.Summary
	m.Bytes.Batches, m.Bytes.BatchRecords = r.bytes.Batches, r.bytes.BatchRecords
	m.Bytes.UncompressedBytes, m.Bytes.WireBytes = r.bytes.UncompressedBytes, r.bytes.WireBytes
	if m.Bytes.WireBytes > 0 {
		m.Bytes.CompressionRatio = float64(m.Bytes.UncompressedBytes) / float64(m.Bytes.WireBytes)
	}
	if s.Published > 0 {
		m.Bytes.WireBytesPerRecord = float64(m.Bytes.WireBytes) / float64(s.Published)
		m.Bytes.DiskBytesPerRecord = float64(m.Bytes.DiskWriteBytes) / float64(s.Published)
	}
}

// brokerMetrics turns a broker's per-interval deltas into usage and utilization.
func brokerMetrics(b *brokerState, ivs []Interval) BrokerMetrics {
	bm := BrokerMetrics{
		ID: b.id, Capacity: b.capacity,
		CPUBusyNs: int64(b.total.CPUBusy), NetInBytes: b.total.NetInBytes, NetOutBytes: b.total.NetOutBytes,
		DiskWriteBytes: b.total.DiskWriteBytes, DiskReadBytes: b.total.DiskReadBytes,
		CPUBusyNsPerInterval: b.deltas[0], NetInPerInterval: b.deltas[1], NetOutPerInterval: b.deltas[2],
		DiskWritePerInterval: b.deltas[3], DiskReadPerInterval: b.deltas[4],
	}
	n := len(ivs)
	bm.CPUUtilization = make([]float64, n)
	bm.NetInUtilization = make([]float64, n)
	bm.NetOutUtilization = make([]float64, n)
	bm.DiskUtilization = make([]float64, n)
	var totalSecs float64
	for i := range ivs {
		secs := ivs[i].Seconds()
		totalSecs += secs
		if secs <= 0 {
			continue
		}
		c := b.capacity
		if c.Cores > 0 {
			bm.CPUUtilization[i] = float64(b.deltas[0][i]) / 1e9 / secs / float64(c.Cores)
		}
		if c.NICBytesPerSec > 0 {
			bm.NetInUtilization[i] = float64(b.deltas[1][i]) / secs / float64(c.NICBytesPerSec)
			bm.NetOutUtilization[i] = float64(b.deltas[2][i]) / secs / float64(c.NICBytesPerSec)
		}
		if c.DiskBytesPerSec > 0 {
			bm.DiskUtilization[i] = float64(b.deltas[3][i]+b.deltas[4][i]) / secs / float64(c.DiskBytesPerSec)
		}
		bm.PeakCPUUtilization = max(bm.PeakCPUUtilization, bm.CPUUtilization[i])
		bm.PeakNetworkUtilization = max(bm.PeakNetworkUtilization, bm.NetInUtilization[i], bm.NetOutUtilization[i])
		bm.PeakDiskUtilization = max(bm.PeakDiskUtilization, bm.DiskUtilization[i])
	}
	if totalSecs > 0 {
		c := b.capacity
		if c.Cores > 0 {
			bm.MeanCPUUtilization = float64(bm.CPUBusyNs) / 1e9 / totalSecs / float64(c.Cores)
		}
		if c.NICBytesPerSec > 0 {
			bm.MeanNetInUtilization = float64(bm.NetInBytes) / totalSecs / float64(c.NICBytesPerSec)
			bm.MeanNetOutUtilization = float64(bm.NetOutBytes) / totalSecs / float64(c.NICBytesPerSec)
		}
		if c.DiskBytesPerSec > 0 {
			bm.MeanDiskUtilization = float64(bm.DiskWriteBytes+bm.DiskReadBytes) / totalSecs / float64(c.DiskBytesPerSec)
		}
	}
	return bm
}

// minMaxStd returns the minimum, maximum and population standard deviation of xs.
func minMaxStd(xs []float64) (lo, hi, std float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	var sum float64
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
		sum += x
	}
	mean := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return lo, hi, math.Sqrt(ss / float64(len(xs)))
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// span is the time between the first and the last of a kind of event.
type span struct {
	first, last time.Duration
	seen        bool
}

func (p *span) see(t time.Duration) {
	if !p.seen {
		p.first, p.seen = t, true
	}
	p.last = t
}

// seconds is the span's length, as kafka-producer-perf-test times a test: from the
// first send to the last acknowledgement. With fewer than two distinct instants it is
// the whole run (one instant makes no rate).
func (p *span) seconds(end time.Duration) float64 {
	if p.seen && p.last > p.first {
		return (p.last - p.first).Seconds()
	}
	return end.Seconds()
}
