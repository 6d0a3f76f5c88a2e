package reports

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// nsPerMs is HdrHistogram's default output value unit ratio: histograms hold
// nanoseconds, the text formats print milliseconds.
const nsPerMs = 1e6

// WriteHgrm writes h as HdrHistogram's percentile distribution text (the .hgrm format
// of Java's outputPercentileDistribution, which HistogramLogProcessor writes and the
// HdrHistogram plotters read): values in milliseconds, 5 ticks per half-distance.
// The steps are hdrhistogram-go's percentile iteration, which walks the levels as
// Java's PercentileIterator does (TestPercentileIterationFollowsJava); the lines are
// formatted as Java formats them (the library's PercentilesPrint differs in its
// column layout, not in its footer).
func WriteHgrm(w io.Writer, h *hdrhistogram.Histogram) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	if h.TotalCount() > 0 {
		for _, b := range h.CumulativeDistributionWithTicks(5) {
			q := b.Quantile / 100
			v := float64(b.ValueAt) / nsPerMs
			if q >= 1 {
				fmt.Fprintf(bw, "%12.3f %2.12f %10d\n", v, 1.0, b.Count)
				continue
			}
			fmt.Fprintf(bw, "%12.3f %2.12f %10d %14.2f\n", v, q, b.Count, 1/(1-q))
		}
	}
	// The footer (mean, standard deviation, maximum, count, bucket geometry) is the
	// library's, which writes it as Java does.
	var lib bytes.Buffer
	if _, err := h.PercentilesPrint(&lib, 5, nsPerMs); err != nil {
		return err
	}
	i := bytes.LastIndex(lib.Bytes(), []byte("\n#[Mean "))
	if i < 0 {
		panic(fmt.Sprintf("reports: no footer in hdrhistogram-go's percentile distribution:\n%s", lib.Bytes()))
	}
	bw.Write(lib.Bytes()[i+1:])
	return bw.Flush()
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
	var empty []byte // the library's encoding of an empty histogram, for empty intervals
	for i := range m.Intervals {
		iv := &m.Intervals[i]
		encoded := m.intervalHists[i][k]
		if encoded == nil {
			if empty == nil {
				var err error
				if empty, err = newHistogram().Encode(hdrhistogram.V2CompressedEncodingCookieBase); err != nil {
					return fmt.Errorf("%v: encoding an empty histogram: %w", k, err)
				}
			}
			encoded = empty
		}
		fmt.Fprintf(bw, "%.3f,%.3f,%.3f,%s\n", float64(iv.StartNs)/1e9, float64(iv.EndNs-iv.StartNs)/1e9,
			float64(iv.Latency(k).MaxNs)/nsPerMs, encoded)
	}
	return bw.Flush()
}
