package reports

import (
	"fmt"
	"strings"
	"time"
)

// ConsoleSummary is the run's closing console line in the style of
// kafka-producer-perf-test's final line ("MB/sec" is MiB/s, as in Kafka's tools),
// followed by one line each for end-to-end latency and publish delay. Kafka prints
// percentiles as whole milliseconds; simulated latencies are often below a
// millisecond, so they get two decimals here.
func ConsoleSummary(m *Metrics) string {
	s := &m.Summary
	p := &s.PublishLatency
	var b strings.Builder
	fmt.Fprintf(&b, "%d records sent, %f records/sec (%.2f MB/sec), %.2f ms avg latency, %.2f ms max latency, %.2f ms 50th, %.2f ms 95th, %.2f ms 99th, %.2f ms 99.9th.\n",
		s.Published, s.PublishRate, s.PublishMiBps, p.MeanNs/1e6, nsToMs(p.MaxNs),
		nsToMs(p.P50Ns), nsToMs(p.P95Ns), nsToMs(p.P99Ns), nsToMs(p.P999Ns))
	e := &s.EndToEndLatency
	fmt.Fprintf(&b, "%d records consumed, %f records/sec (%.2f MB/sec), %.2f ms avg end-to-end latency, %.2f ms max, %.2f ms 50th, %.2f ms 95th, %.2f ms 99th, %.2f ms 99.9th.\n",
		s.Consumed, s.ConsumeRate, s.ConsumeMiBps, e.MeanNs/1e6, nsToMs(e.MaxNs),
		nsToMs(e.P50Ns), nsToMs(e.P95Ns), nsToMs(e.P99Ns), nsToMs(e.P999Ns))
	d := &s.PublishDelay
	fmt.Fprintf(&b, "%d publish errors, publish delay (coordinated omission) %.1f us avg, %.1f us 99th, %.1f us max.\n",
		s.PublishFailed, d.MeanNs/1e3, float64(d.P99Ns)/1e3, float64(d.MaxNs)/1e3)
	return b.String()
}

func nsToMs(ns int64) float64 { return float64(ns) / 1e6 }

// FormatProgress formats the progress line of a long run on a terminal: simulated time
// (and percentage when the end is known), the latest interval's rates, backlog and p99
// latencies. It has no newline; the caller redraws it with "\r".
func FormatProgress(p Progress) string {
	var b strings.Builder
	b.WriteString("[")
	b.WriteString(formatSimTime(p.Now))
	if p.End > 0 {
		pct := 100 * float64(p.Now) / float64(p.End)
		fmt.Fprintf(&b, " / %s %3.0f%%", formatSimTime(p.End), min(pct, 100))
	}
	b.WriteString("]")
	fmt.Fprintf(&b, " pub %s msg/s (%.2f MiB/s)", formatCount(p.PublishRate), p.PublishMiBps)
	if p.PublishErrorRate > 0 {
		fmt.Fprintf(&b, " err %s/s", formatCount(p.PublishErrorRate))
	}
	fmt.Fprintf(&b, " | cons %s msg/s | backlog %s | p99 pub %s e2e %s",
		formatCount(p.ConsumeRate), formatCount(float64(p.Backlog)), FormatLatency(p.PublishP99), FormatLatency(p.EndToEndP99))
	return b.String()
}

// formatSimTime prints simulated time as h:mm:ss.mmm (hours only when needed).
func formatSimTime(d time.Duration) string {
	ms := d.Milliseconds()
	h := ms / 3_600_000
	m := ms / 60_000 % 60
	s := ms / 1000 % 60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d.%03d", h, m, s, ms%1000)
	}
	return fmt.Sprintf("%02d:%02d.%03d", m, s, ms%1000)
}

// formatCount prints a count or rate compactly: 950, 12.3K, 4.56M.
func formatCount(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1fK", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// FormatLatency prints a latency with a unit that keeps 3-4 significant digits:
// 850ns, 12.3µs, 4.56ms, 1.20s.
func FormatLatency(d time.Duration) string {
	switch {
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", int64(d))
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fµs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
