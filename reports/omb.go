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
	n := len(m.Windows)
	mk := func() []float64 { return make([]float64, 0, n) }
	mkI := func() []int64 { return make([]int64, 0, n) }
	o.PublishRate, o.PublishErrorRate, o.ConsumeRate, o.Backlog = mk(), mk(), mk(), mkI()
	o.PublishLatencyAvg, o.PublishLatency50pct, o.PublishLatency75pct, o.PublishLatency95pct = mk(), mk(), mk(), mk()
	o.PublishLatency99pct, o.PublishLatency999pct, o.PublishLatency9999pct, o.PublishLatency99999pct, o.PublishLatencyMax = mk(), mk(), mk(), mk(), mk()
	o.PublishDelayLatencyAvg = mk()
	o.PublishDelayLatency50pct, o.PublishDelayLatency75pct, o.PublishDelayLatency95pct = mkI(), mkI(), mkI()
	o.PublishDelayLatency99pct, o.PublishDelayLatency999pct, o.PublishDelayLatency9999pct, o.PublishDelayLatency99999pct, o.PublishDelayLatencyMax = mkI(), mkI(), mkI(), mkI(), mkI()
	o.EndToEndLatencyAvg, o.EndToEndLatency50pct, o.EndToEndLatency75pct, o.EndToEndLatency95pct = mk(), mk(), mk(), mk()
	o.EndToEndLatency99pct, o.EndToEndLatency999pct, o.EndToEndLatency9999pct, o.EndToEndLatency99999pct, o.EndToEndLatencyMax = mk(), mk(), mk(), mk(), mk()
	for i := range m.Windows {
		w := &m.Windows[i]
		o.PublishRate = append(o.PublishRate, w.PublishRate)
		o.PublishErrorRate = append(o.PublishErrorRate, w.PublishErrorRate)
		o.ConsumeRate = append(o.ConsumeRate, w.ConsumeRate)
		o.Backlog = append(o.Backlog, w.Backlog)
		p := &w.PublishLatency
		o.PublishLatencyAvg = append(o.PublishLatencyAvg, p.MeanNs/1e6)
		o.PublishLatency50pct = append(o.PublishLatency50pct, ms(p.P50Ns))
		o.PublishLatency75pct = append(o.PublishLatency75pct, ms(p.P75Ns))
		o.PublishLatency95pct = append(o.PublishLatency95pct, ms(p.P95Ns))
		o.PublishLatency99pct = append(o.PublishLatency99pct, ms(p.P99Ns))
		o.PublishLatency999pct = append(o.PublishLatency999pct, ms(p.P999Ns))
		o.PublishLatency9999pct = append(o.PublishLatency9999pct, ms(p.P9999Ns))
		o.PublishLatency99999pct = append(o.PublishLatency99999pct, ms(p.P99999Ns))
		o.PublishLatencyMax = append(o.PublishLatencyMax, ms(p.MaxNs))
		d := &w.PublishDelay
		o.PublishDelayLatencyAvg = append(o.PublishDelayLatencyAvg, d.MeanNs/1e3)
		o.PublishDelayLatency50pct = append(o.PublishDelayLatency50pct, us(d.P50Ns))
		o.PublishDelayLatency75pct = append(o.PublishDelayLatency75pct, us(d.P75Ns))
		o.PublishDelayLatency95pct = append(o.PublishDelayLatency95pct, us(d.P95Ns))
		o.PublishDelayLatency99pct = append(o.PublishDelayLatency99pct, us(d.P99Ns))
		o.PublishDelayLatency999pct = append(o.PublishDelayLatency999pct, us(d.P999Ns))
		o.PublishDelayLatency9999pct = append(o.PublishDelayLatency9999pct, us(d.P9999Ns))
		o.PublishDelayLatency99999pct = append(o.PublishDelayLatency99999pct, us(d.P99999Ns))
		o.PublishDelayLatencyMax = append(o.PublishDelayLatencyMax, us(d.MaxNs))
		e := &w.EndToEndLatency
		o.EndToEndLatencyAvg = append(o.EndToEndLatencyAvg, e.MeanNs/1e6)
		o.EndToEndLatency50pct = append(o.EndToEndLatency50pct, ms(e.P50Ns))
		o.EndToEndLatency75pct = append(o.EndToEndLatency75pct, ms(e.P75Ns))
		o.EndToEndLatency95pct = append(o.EndToEndLatency95pct, ms(e.P95Ns))
		o.EndToEndLatency99pct = append(o.EndToEndLatency99pct, ms(e.P99Ns))
		o.EndToEndLatency999pct = append(o.EndToEndLatency999pct, ms(e.P999Ns))
		o.EndToEndLatency9999pct = append(o.EndToEndLatency9999pct, ms(e.P9999Ns))
		o.EndToEndLatency99999pct = append(o.EndToEndLatency99999pct, ms(e.P99999Ns))
		o.EndToEndLatencyMax = append(o.EndToEndLatencyMax, ms(e.MaxNs))
	}
	s := &m.Summary
	p, d, e := &s.PublishLatency, &s.PublishDelay, &s.EndToEndLatency
	o.AggregatedPublishLatencyAvg = p.MeanNs / 1e6
	o.AggregatedPublishLatency50pct, o.AggregatedPublishLatency75pct = ms(p.P50Ns), ms(p.P75Ns)
	o.AggregatedPublishLatency95pct, o.AggregatedPublishLatency99pct = ms(p.P95Ns), ms(p.P99Ns)
	o.AggregatedPublishLatency999pct, o.AggregatedPublishLatency9999pct = ms(p.P999Ns), ms(p.P9999Ns)
	o.AggregatedPublishLatency99999pct, o.AggregatedPublishLatencyMax = ms(p.P99999Ns), ms(p.MaxNs)
	o.AggregatedPublishDelayLatencyAvg = d.MeanNs / 1e3
	o.AggregatedPublishDelayLatency50pct, o.AggregatedPublishDelayLatency75pct = us(d.P50Ns), us(d.P75Ns)
	o.AggregatedPublishDelayLatency95pct, o.AggregatedPublishDelayLatency99pct = us(d.P95Ns), us(d.P99Ns)
	o.AggregatedPublishDelayLatency999pct, o.AggregatedPublishDelayLatency9999pct = us(d.P999Ns), us(d.P9999Ns)
	o.AggregatedPublishDelayLatency99999pct, o.AggregatedPublishDelayLatencyMax = us(d.P99999Ns), us(d.MaxNs)
	o.AggregatedEndToEndLatencyAvg = e.MeanNs / 1e6
	o.AggregatedEndToEndLatency50pct, o.AggregatedEndToEndLatency75pct = ms(e.P50Ns), ms(e.P75Ns)
	o.AggregatedEndToEndLatency95pct, o.AggregatedEndToEndLatency99pct = ms(e.P95Ns), ms(e.P99Ns)
	o.AggregatedEndToEndLatency999pct, o.AggregatedEndToEndLatency9999pct = ms(e.P999Ns), ms(e.P9999Ns)
	o.AggregatedEndToEndLatency99999pct, o.AggregatedEndToEndLatencyMax = ms(e.P99999Ns), ms(e.MaxNs)

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
