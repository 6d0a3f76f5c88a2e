package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// OMBResult mirrors OpenMessaging Benchmark's TestResult field for field, in its
// units: publish and end-to-end latencies in milliseconds, publish delay in
// microseconds, rates in messages per second, one array element per window (OMB's
// 10 s sample period unless the Recorder was configured otherwise).
type OMBResult struct {
	Workload          string `json:"workload"`
	Driver            string `json:"driver"`
	MessageSize       int64  `json:"messageSize"`
	Topics            int    `json:"topics"`
	Partitions        int    `json:"partitions"`
	ProducersPerTopic int    `json:"producersPerTopic"`
	ConsumersPerTopic int    `json:"consumersPerTopic"`

	PublishRate      []float64 `json:"publishRate"`
	PublishErrorRate []float64 `json:"publishErrorRate"`
	ConsumeRate      []float64 `json:"consumeRate"`
	Backlog          []int64   `json:"backlog"`

	PublishLatencyAvg      []float64 `json:"publishLatencyAvg"`
	PublishLatency50pct    []float64 `json:"publishLatency50pct"`
	PublishLatency75pct    []float64 `json:"publishLatency75pct"`
	PublishLatency95pct    []float64 `json:"publishLatency95pct"`
	PublishLatency99pct    []float64 `json:"publishLatency99pct"`
	PublishLatency999pct   []float64 `json:"publishLatency999pct"`
	PublishLatency9999pct  []float64 `json:"publishLatency9999pct"`
	PublishLatency99999pct []float64 `json:"publishLatency99999pct"`
	PublishLatencyMax      []float64 `json:"publishLatencyMax"`

	PublishDelayLatencyAvg      []float64 `json:"publishDelayLatencyAvg"`
	PublishDelayLatency50pct    []int64   `json:"publishDelayLatency50pct"`
	PublishDelayLatency75pct    []int64   `json:"publishDelayLatency75pct"`
	PublishDelayLatency95pct    []int64   `json:"publishDelayLatency95pct"`
	PublishDelayLatency99pct    []int64   `json:"publishDelayLatency99pct"`
	PublishDelayLatency999pct   []int64   `json:"publishDelayLatency999pct"`
	PublishDelayLatency9999pct  []int64   `json:"publishDelayLatency9999pct"`
	PublishDelayLatency99999pct []int64   `json:"publishDelayLatency99999pct"`
	PublishDelayLatencyMax      []int64   `json:"publishDelayLatencyMax"`

	AggregatedPublishLatencyAvg      float64 `json:"aggregatedPublishLatencyAvg"`
	AggregatedPublishLatency50pct    float64 `json:"aggregatedPublishLatency50pct"`
	AggregatedPublishLatency75pct    float64 `json:"aggregatedPublishLatency75pct"`
	AggregatedPublishLatency95pct    float64 `json:"aggregatedPublishLatency95pct"`
	AggregatedPublishLatency99pct    float64 `json:"aggregatedPublishLatency99pct"`
	AggregatedPublishLatency999pct   float64 `json:"aggregatedPublishLatency999pct"`
	AggregatedPublishLatency9999pct  float64 `json:"aggregatedPublishLatency9999pct"`
	AggregatedPublishLatency99999pct float64 `json:"aggregatedPublishLatency99999pct"`
	AggregatedPublishLatencyMax      float64 `json:"aggregatedPublishLatencyMax"`

	AggregatedPublishDelayLatencyAvg      float64 `json:"aggregatedPublishDelayLatencyAvg"`
	AggregatedPublishDelayLatency50pct    int64   `json:"aggregatedPublishDelayLatency50pct"`
	AggregatedPublishDelayLatency75pct    int64   `json:"aggregatedPublishDelayLatency75pct"`
	AggregatedPublishDelayLatency95pct    int64   `json:"aggregatedPublishDelayLatency95pct"`
	AggregatedPublishDelayLatency99pct    int64   `json:"aggregatedPublishDelayLatency99pct"`
	AggregatedPublishDelayLatency999pct   int64   `json:"aggregatedPublishDelayLatency999pct"`
	AggregatedPublishDelayLatency9999pct  int64   `json:"aggregatedPublishDelayLatency9999pct"`
	AggregatedPublishDelayLatency99999pct int64   `json:"aggregatedPublishDelayLatency99999pct"`
	AggregatedPublishDelayLatencyMax      int64   `json:"aggregatedPublishDelayLatencyMax"`

	AggregatedPublishLatencyQuantiles      QuantileMap `json:"aggregatedPublishLatencyQuantiles"`
	AggregatedPublishDelayLatencyQuantiles QuantileMap `json:"aggregatedPublishDelayLatencyQuantiles"`

	EndToEndLatencyAvg      []float64 `json:"endToEndLatencyAvg"`
	EndToEndLatency50pct    []float64 `json:"endToEndLatency50pct"`
	EndToEndLatency75pct    []float64 `json:"endToEndLatency75pct"`
	EndToEndLatency95pct    []float64 `json:"endToEndLatency95pct"`
	EndToEndLatency99pct    []float64 `json:"endToEndLatency99pct"`
	EndToEndLatency999pct   []float64 `json:"endToEndLatency999pct"`
	EndToEndLatency9999pct  []float64 `json:"endToEndLatency9999pct"`
	EndToEndLatency99999pct []float64 `json:"endToEndLatency99999pct"`
	EndToEndLatencyMax      []float64 `json:"endToEndLatencyMax"`

	AggregatedEndToEndLatencyQuantiles QuantileMap `json:"aggregatedEndToEndLatencyQuantiles"`

	AggregatedEndToEndLatencyAvg      float64 `json:"aggregatedEndToEndLatencyAvg"`
	AggregatedEndToEndLatency50pct    float64 `json:"aggregatedEndToEndLatency50pct"`
	AggregatedEndToEndLatency75pct    float64 `json:"aggregatedEndToEndLatency75pct"`
	AggregatedEndToEndLatency95pct    float64 `json:"aggregatedEndToEndLatency95pct"`
	AggregatedEndToEndLatency99pct    float64 `json:"aggregatedEndToEndLatency99pct"`
	AggregatedEndToEndLatency999pct   float64 `json:"aggregatedEndToEndLatency999pct"`
	AggregatedEndToEndLatency9999pct  float64 `json:"aggregatedEndToEndLatency9999pct"`
	AggregatedEndToEndLatency99999pct float64 `json:"aggregatedEndToEndLatency99999pct"`
	AggregatedEndToEndLatencyMax      float64 `json:"aggregatedEndToEndLatencyMax"`
}

// QuantileMap is OMB's TreeMap<Double, value>: percentile keys in ascending numeric
// order, written as Java's Double.toString writes them ("50.0", "99.99999171574638").
type QuantileMap struct {
	Percentiles []float64
	Values      []float64
	// Integer makes values print as integers (OMB's Map<Double, Long> for publish delay).
	Integer bool
}

// MarshalJSON writes the map in key order.
func (q QuantileMap) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range q.Percentiles {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(javaDouble(p)))
		b.WriteByte(':')
		if q.Integer {
			b.WriteString(strconv.FormatInt(int64(q.Values[i]), 10))
		} else {
			b.WriteString(javaDouble(q.Values[i]))
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// javaDouble formats v the way Java's Double.toString does for the range these maps
// use: shortest round-trip digits, always with a fractional part.
func javaDouble(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

// quantileMap builds OMB's quantile map from h as Java's histogram.percentiles(100)
// iterates it, values scaled by div (ns to ms: 1e6; ns to µs: 1e3).
func quantileMap(h *hdrhistogram.Histogram, div float64, integer bool) QuantileMap {
	q := QuantileMap{Integer: integer, Percentiles: []float64{}, Values: []float64{}}
	if h.TotalCount() == 0 {
		return q
	}
	for _, b := range h.CumulativeDistributionWithTicks(100) {
		if n := len(q.Percentiles); n > 0 && q.Percentiles[n-1] == b.Quantile {
			// A TreeMap keeps one value per key: the last one put.
			q.Values[n-1] = scaleValue(b.ValueAt, div, integer)
			continue
		}
		q.Percentiles = append(q.Percentiles, b.Quantile)
		q.Values = append(q.Values, scaleValue(b.ValueAt, div, integer))
	}
	return q
}

func scaleValue(ns int64, div float64, integer bool) float64 {
	if integer {
		return float64(ns / int64(div))
	}
	return float64(ns) / div
}

// OMBResultOf converts a run to OMB's TestResult.
func OMBResultOf(run *Run) (*OMBResult, error) {
	m := run.Metrics
	o := &OMBResult{
		Workload: run.OMB.Workload, Driver: run.OMB.Driver, MessageSize: run.OMB.MessageSize,
		Topics: run.OMB.Topics, Partitions: run.OMB.Partitions,
		ProducersPerTopic: run.OMB.ProducersPerTopic, ConsumersPerTopic: run.OMB.ConsumersPerTopic,
	}
	if o.Workload == "" {
		o.Workload = run.Name
	}
	if o.Driver == "" {
		o.Driver = "logsim"
	}
	if o.MessageSize == 0 && m.Summary.Published > 0 {
		// OMB's messageSize is fixed per workload; with varying sizes, the mean.
		o.MessageSize = m.Summary.PublishedBytes / m.Summary.Published
	}
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	us := func(ns int64) int64 { return ns / 1e3 }
	// OMB reports latencies in ms, the publish delay in µs (as whole numbers).
	pub := [...]*[]float64{&o.PublishLatency50pct, &o.PublishLatency75pct, &o.PublishLatency95pct, &o.PublishLatency99pct,
		&o.PublishLatency999pct, &o.PublishLatency9999pct, &o.PublishLatency99999pct, &o.PublishLatencyMax}
	delay := [...]*[]int64{&o.PublishDelayLatency50pct, &o.PublishDelayLatency75pct, &o.PublishDelayLatency95pct, &o.PublishDelayLatency99pct,
		&o.PublishDelayLatency999pct, &o.PublishDelayLatency9999pct, &o.PublishDelayLatency99999pct, &o.PublishDelayLatencyMax}
	e2e := [...]*[]float64{&o.EndToEndLatency50pct, &o.EndToEndLatency75pct, &o.EndToEndLatency95pct, &o.EndToEndLatency99pct,
		&o.EndToEndLatency999pct, &o.EndToEndLatency9999pct, &o.EndToEndLatency99999pct, &o.EndToEndLatencyMax}
	n := len(m.Windows)
	// Every series is made, so that a run without windows writes [] rather than null.
	floats := []*[]float64{&o.PublishRate, &o.PublishErrorRate, &o.ConsumeRate, &o.PublishLatencyAvg, &o.PublishDelayLatencyAvg, &o.EndToEndLatencyAvg}
	for _, series := range append(append(floats, pub[:]...), e2e[:]...) {
		*series = make([]float64, 0, n)
	}
	for _, series := range append(delay[:], &o.Backlog) {
		*series = make([]int64, 0, n)
	}
	for i := range m.Windows {
		w := &m.Windows[i]
		o.PublishRate = append(o.PublishRate, w.PublishRate)
		o.PublishErrorRate = append(o.PublishErrorRate, w.PublishErrorRate)
		o.ConsumeRate = append(o.ConsumeRate, w.ConsumeRate)
		o.Backlog = append(o.Backlog, w.Backlog)
		o.PublishLatencyAvg = append(o.PublishLatencyAvg, w.PublishLatency.MeanNs/1e6)
		o.PublishDelayLatencyAvg = append(o.PublishDelayLatencyAvg, w.PublishDelay.MeanNs/1e3)
		o.EndToEndLatencyAvg = append(o.EndToEndLatencyAvg, w.EndToEndLatency.MeanNs/1e6)
		appendFigures(pub, &w.PublishLatency, ms)
		appendFigures(delay, &w.PublishDelay, us)
		appendFigures(e2e, &w.EndToEndLatency, ms)
	}
	s := &m.Summary
	o.AggregatedPublishLatencyAvg = s.PublishLatency.MeanNs / 1e6
	o.AggregatedPublishDelayLatencyAvg = s.PublishDelay.MeanNs / 1e3
	o.AggregatedEndToEndLatencyAvg = s.EndToEndLatency.MeanNs / 1e6
	setFigures([...]*float64{&o.AggregatedPublishLatency50pct, &o.AggregatedPublishLatency75pct, &o.AggregatedPublishLatency95pct,
		&o.AggregatedPublishLatency99pct, &o.AggregatedPublishLatency999pct, &o.AggregatedPublishLatency9999pct,
		&o.AggregatedPublishLatency99999pct, &o.AggregatedPublishLatencyMax}, &s.PublishLatency, ms)
	setFigures([...]*int64{&o.AggregatedPublishDelayLatency50pct, &o.AggregatedPublishDelayLatency75pct, &o.AggregatedPublishDelayLatency95pct,
		&o.AggregatedPublishDelayLatency99pct, &o.AggregatedPublishDelayLatency999pct, &o.AggregatedPublishDelayLatency9999pct,
		&o.AggregatedPublishDelayLatency99999pct, &o.AggregatedPublishDelayLatencyMax}, &s.PublishDelay, us)
	setFigures([...]*float64{&o.AggregatedEndToEndLatency50pct, &o.AggregatedEndToEndLatency75pct, &o.AggregatedEndToEndLatency95pct,
		&o.AggregatedEndToEndLatency99pct, &o.AggregatedEndToEndLatency999pct, &o.AggregatedEndToEndLatency9999pct,
		&o.AggregatedEndToEndLatency99999pct, &o.AggregatedEndToEndLatencyMax}, &s.EndToEndLatency, ms)

	for _, k := range LatencyKinds {
		h, err := m.Histogram(k)
		if err != nil {
			return nil, err
		}
		switch k {
		case PublishLatency:
			o.AggregatedPublishLatencyQuantiles = quantileMap(h, 1e6, false)
		case PublishDelay:
			o.AggregatedPublishDelayLatencyQuantiles = quantileMap(h, 1e3, true)
		case EndToEndLatency:
			o.AggregatedEndToEndLatencyQuantiles = quantileMap(h, 1e6, false)
		}
	}
	return o, nil
}

// ombFigures are a latency summary's figures in the order of OMB's fields: 50pct,
// 75pct, 95pct, 99pct, 999pct, 9999pct, 99999pct, Max.
func ombFigures(l *LatencyStats) [8]int64 {
	return [8]int64{l.P50Ns, l.P75Ns, l.P95Ns, l.P99Ns, l.P999Ns, l.P9999Ns, l.P99999Ns, l.MaxNs}
}

// appendFigures appends l's figures, converted from ns, to OMB's per-window series dst
// (in ombFigures' order).
func appendFigures[T any](dst [8]*[]T, l *LatencyStats, conv func(int64) T) {
	for i, ns := range ombFigures(l) {
		*dst[i] = append(*dst[i], conv(ns))
	}
}

// setFigures sets OMB's aggregated fields dst (in ombFigures' order) to l's figures,
// converted from ns.
func setFigures[T any](dst [8]*T, l *LatencyStats, conv func(int64) T) {
	for i, ns := range ombFigures(l) {
		*dst[i] = conv(ns)
	}
}

// WriteOMBResult writes run as omb-result.json.
func WriteOMBResult(w io.Writer, run *Run) error {
	o, err := OMBResultOf(run)
	if err != nil {
		return fmt.Errorf("omb-result.json: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(o); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}
