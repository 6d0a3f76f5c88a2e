package reports

import (
	"bufio"
	"fmt"
	"io"
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// nsPerMs is HdrHistogram's default output value unit ratio: histograms hold
// nanoseconds, the text formats print milliseconds.
const nsPerMs = 1e6

// WriteHgrm writes h as HdrHistogram's percentile distribution text (the .hgrm format
// of Java's outputPercentileDistribution, which HistogramLogProcessor writes and the
// HdrHistogram plotters read): values in milliseconds, 5 ticks per half-distance.
func WriteHgrm(w io.Writer, h *hdrhistogram.Histogram) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	if h.TotalCount() > 0 {
		for _, b := range percentileSteps(h, 5) {
			q := b.Percentile / 100
			v := float64(b.Value) / nsPerMs
			if q >= 1 {
				fmt.Fprintf(bw, "%12.3f %2.12f %10d\n", v, 1.0, b.Count)
				continue
			}
			fmt.Fprintf(bw, "%12.3f %2.12f %10d %14.2f\n", v, q, b.Count, 1/(1-q))
		}
	}
	buckets, subBuckets := histogramGeometry()
	fmt.Fprintf(bw, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", h.Mean()/nsPerMs, h.StdDev()/nsPerMs)
	fmt.Fprintf(bw, "#[Max     = %12.3f, Total count    = %12d]\n", float64(h.Max())/nsPerMs, h.TotalCount())
	fmt.Fprintf(bw, "#[Buckets = %12d, SubBuckets     = %12d]\n", buckets, subBuckets)
	return bw.Flush()
}

// percentileStep is one step of HdrHistogram's percentile iteration.
type percentileStep struct {
	// Percentile is the level reported (0..100).
	Percentile float64
	// Value is the highest value equivalent to the bucket reached.
	Value int64
	// Count is the number of values at or below Value.
	Count int64
}

// percentileSteps walks h as Java HdrHistogram's PercentileIterator does, which both
// outputPercentileDistribution (.hgrm) and histogram.percentiles(n) (OMB's quantile
// maps) use: levels advance by 100/(ticks·2^(⌊log2(100/(100-level))⌋+1)); several
// levels may be reported at one bucket, except at the last recorded value, which ends
// the walk with one final 100 % step. hdrhistogram-go's own iterator reports at most
// one level per bucket, so its output would differ from Java's on plateaus.
func percentileSteps(h *hdrhistogram.Histogram, ticks int) []percentileStep {
	total := h.TotalCount()
	if total == 0 {
		return nil
	}
	var out []percentileStep
	level := 0.0
	var cum int64
	var last int64
	for _, b := range h.Distribution() {
		if b.Count == 0 {
			continue
		}
		cum += b.Count
		last = b.To
		current := 100 * float64(cum) / float64(total)
		for current >= level {
			out = append(out, percentileStep{Percentile: level, Value: b.To, Count: cum})
			halfDistance := math.Pow(2, math.Trunc(math.Log(100/(100-level))/math.Log(2))+1)
			level += 100 / (float64(ticks) * halfDistance)
			if cum >= total {
				break
			}
		}
		if cum >= total {
			break
		}
	}
	return append(out, percentileStep{Percentile: 100, Value: last, Count: total})
}

// histogramGeometry computes the bucket and sub-bucket counts of the shared geometry
// the way HdrHistogram sizes its arrays (the footer of the .hgrm format shows them).
func histogramGeometry() (buckets, subBuckets int64) {
	subBucketCountMagnitude := int(math.Ceil(math.Log2(2 * math.Pow10(histSigFigs))))
	subBuckets = 1 << subBucketCountMagnitude
	unitMagnitude := int(math.Floor(math.Log2(float64(histLowest))))
	smallestUntrackable := subBuckets << unitMagnitude
	buckets = 1
	for smallestUntrackable <= histHighest {
		if smallestUntrackable > math.MaxInt64/2 {
			buckets++
			break
		}
		smallestUntrackable <<= 1
		buckets++
	}
	return buckets, subBuckets
}

// WriteHlog writes the per-interval histograms of kind k as an HdrHistogram interval
// log (format version 1.3, readable by HistogramLogProcessor and hdrhistogram-go's
// HistogramLogReader). Timestamps are simulated seconds since the run began (StartTime
// 0); interval maxima are in milliseconds; every interval has a line, empty or not.
func WriteHlog(w io.Writer, m *Metrics, k LatencyKind) error {
	if !m.HasIntervalHistograms() {
		return fmt.Errorf("%v: the per-interval histograms are not available (metrics read back from result.json carry only whole-run histograms)", k)
	}
	if len(m.intervalHists) != len(m.Intervals) {
		panic(fmt.Sprintf("reports: %d interval histograms for %d intervals", len(m.intervalHists), len(m.Intervals)))
	}
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "#[Logged with logsim: %s in nanoseconds, simulated time]\n", k)
	fmt.Fprintf(bw, "#[Histogram log format version 1.3]\n")
	fmt.Fprintf(bw, "#[StartTime: 0.000 (seconds since epoch), 1970-01-01T00:00:00Z]\n")
	fmt.Fprintf(bw, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n")
	var empty []byte
	for i := range m.Intervals {
		iv := &m.Intervals[i]
		enc := m.intervalHists[i][k]
		if enc == nil {
			if empty == nil {
				empty = newDenseHist().encodeV2()
			}
			enc = empty
		}
		fmt.Fprintf(bw, "%.3f,%.3f,%.3f,%s\n", float64(iv.StartNs)/1e9, float64(iv.EndNs-iv.StartNs)/1e9,
			float64(iv.Latency(k).MaxNs)/nsPerMs, enc)
	}
	return bw.Flush()
}
