package reports

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// table is a titled grid of cells, rendered as Markdown or HTML.
type table struct {
	Title  string
	Header []string
	Rows   [][]string
	// Right marks numeric columns (right-aligned).
	Right []bool
}

func (t *table) markdown(w io.Writer) {
	fmt.Fprintf(w, "### %s\n\n", t.Title)
	fmt.Fprintf(w, "| %s |\n", strings.Join(escapeMD(t.Header), " | "))
	seps := make([]string, len(t.Header))
	for i := range seps {
		seps[i] = "---"
		if i < len(t.Right) && t.Right[i] {
			seps[i] = "---:"
		}
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(seps, "|"))
	for _, r := range t.Rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(escapeMD(r), " | "))
	}
	fmt.Fprintln(w)
}

func escapeMD(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = strings.ReplaceAll(strings.ReplaceAll(c, "|", `\|`), "\n", " ")
	}
	return out
}

func fmtInt(v int64) string {
	s := strconv.FormatInt(v, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func fmtFloat(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

func fmtMs(ns int64) string    { return fmtFloat(float64(ns)/1e6, 3) }
func fmtPct(v float64) string  { return fmtFloat(100*v, 1) + " %" }
func fmtSecs(ns int64) string  { return fmtFloat(float64(ns)/1e9, 3) }
func fmtBytes(v int64) string  { return humanBytes(float64(v)) }
func fmtRate(v float64) string { return fmtFloat(v, 1) }

func humanBytes(v float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return fmtFloat(v, 0) + " B"
	}
	return fmtFloat(v, 2) + " " + units[i]
}

// runTables are the summary tables of a run, shared by summary.md and report.html.
func runTables(m *Metrics) []table {
	s := &m.Summary
	var ts []table
	ts = append(ts, table{
		Title:  "Throughput",
		Header: []string{"metric", "value"},
		Right:  []bool{false, true},
		Rows: [][]string{
			{"simulated duration (s)", fmtSecs(s.DurationNs)},
			{"records sent", fmtInt(s.Sent)},
			{"records acknowledged", fmtInt(s.Published)},
			{"publish rate (msg/s)", fmtRate(s.PublishRate)},
			{"publish throughput (MiB/s)", fmtFloat(s.PublishMiBps, 3)},
			{"publish rate per interval min / max / stddev (msg/s)", fmtRate(s.PublishRateMin) + " / " + fmtRate(s.PublishRateMax) + " / " + fmtRate(s.PublishRateStdDev)},
			{"publish errors", fmtInt(s.PublishFailed)},
			{"publish error rate (err/s)", fmtFloat(s.PublishErrorRate, 3)},
			{"records consumed (all groups)", fmtInt(s.Consumed)},
			{"consume rate (msg/s)", fmtRate(s.ConsumeRate)},
			{"consume throughput (MiB/s)", fmtFloat(s.ConsumeMiBps, 3)},
			{"consume rate per interval min / max / stddev (msg/s)", fmtRate(s.ConsumeRateMin) + " / " + fmtRate(s.ConsumeRateMax) + " / " + fmtRate(s.ConsumeRateStdDev)},
			{"max backlog (records)", fmtInt(s.MaxBacklog)},
		},
	})
	lat := table{
		Title:  "Latency (ms)",
		Header: []string{"metric", "count", "mean", "p50", "p75", "p90", "p95", "p99", "p99.9", "p99.99", "max"},
		Right:  []bool{false, true, true, true, true, true, true, true, true, true, true},
	}
	for _, k := range LatencyKinds {
		l := s.Latency(k)
		row := []string{k.String(), fmtInt(l.Count), fmtFloat(l.MeanNs/1e6, 3), fmtMs(l.P50Ns), fmtMs(l.P75Ns), fmtMs(l.P90Ns),
			fmtMs(l.P95Ns), fmtMs(l.P99Ns), fmtMs(l.P999Ns), fmtMs(l.P9999Ns), fmtMs(l.MaxNs)}
		if l.Clamped > 0 {
			row[0] += fmt.Sprintf(" (%d values above 1 h clamped)", l.Clamped)
		}
		lat.Rows = append(lat.Rows, row)
	}
	ts = append(ts, lat)
	if len(m.Groups) > 0 {
		g := table{Title: "Consumer groups", Header: []string{"group", "consumed", "rate (msg/s)", "MiB", "max backlog"}, Right: []bool{false, true, true, true, true}}
		for _, gm := range m.Groups {
			g.Rows = append(g.Rows, []string{gm.Name, fmtInt(gm.Consumed), fmtRate(gm.ConsumeRate), fmtFloat(float64(gm.ConsumedBytes)/(1<<20), 3), fmtInt(gm.MaxBacklog)})
		}
		ts = append(ts, g)
	}
	b := &m.Bytes
	ts = append(ts, table{
		Title:  "Bytes and compression",
		Header: []string{"metric", "value"},
		Right:  []bool{false, true},
		Rows: [][]string{
			{"producer batches", fmtInt(b.Batches)},
			{"records per batch", fmtFloat(b.RecordsPerBatch(), 1)},
			{"record bytes before compression", fmtBytes(b.UncompressedBytes)},
			{"batch bytes on the wire", fmtBytes(b.WireBytes)},
			{"compression ratio", fmtFloat(b.CompressionRatio, 3)},
			{"bytes written to disk (all brokers)", fmtBytes(b.DiskWriteBytes)},
			{"wire bytes per acknowledged record", fmtFloat(b.WireBytesPerRecord, 1)},
			{"disk bytes per acknowledged record", fmtFloat(b.DiskBytesPerRecord, 1)},
		},
	})
	if len(m.Brokers) > 0 {
		bt := table{Title: "Brokers", Header: []string{"broker", "CPU mean", "CPU peak", "net in mean", "net out mean", "net peak", "disk mean", "disk peak", "CPU time (s)", "disk written"},
			Right: []bool{false, true, true, true, true, true, true, true, true, true}}
		for _, bm := range m.Brokers {
			bt.Rows = append(bt.Rows, []string{fmt.Sprint(bm.ID), fmtPct(bm.MeanCPUUtilization), fmtPct(bm.PeakCPUUtilization),
				fmtPct(bm.MeanNetInUtilization), fmtPct(bm.MeanNetOutUtilization), fmtPct(bm.PeakNetworkUtilization),
				fmtPct(bm.MeanDiskUtilization), fmtPct(bm.PeakDiskUtilization), fmtSecs(bm.CPUBusyNs), fmtBytes(bm.DiskWriteBytes)})
		}
		ts = append(ts, bt)
	}
	if len(m.Requests) > 0 {
		rt := table{Title: "Requests", Header: []string{"API", "count", "per second"}, Right: []bool{false, true, true}}
		for _, q := range m.Requests {
			rate := 0.0
			if s.DurationNs > 0 {
				rate = float64(q.Count) / (float64(s.DurationNs) / 1e9)
			}
			rt.Rows = append(rt.Rows, []string{q.API, fmtInt(q.Count), fmtRate(rate)})
		}
		ts = append(ts, rt)
	}
	if len(m.Faults) > 0 {
		ft := table{Title: "Faults", Header: []string{"fault", "target", "start (s)", "stop (s)", "duration (s)"}, Right: []bool{false, false, true, true, true}}
		for _, f := range m.Faults {
			ft.Rows = append(ft.Rows, []string{f.Name, f.Target, fmtSecs(f.StartNs), fmtSecs(f.StopNs), fmtSecs(f.StopNs - f.StartNs)})
		}
		ts = append(ts, ft)
	}
	return ts
}

// WriteSummaryMarkdown writes summary.md: verdict, anomalies and the summary tables.
func WriteSummaryMarkdown(w io.Writer, run *Run) error {
	bw := bufio.NewWriter(w)
	m := run.Metrics
	fmt.Fprintf(bw, "# %s\n\n", run.Name)
	fmt.Fprintf(bw, "- seed: %d\n", run.Seed)
	fmt.Fprintf(bw, "- simulated duration: %s\n", time.Duration(m.Summary.DurationNs))
	fmt.Fprintf(bw, "- interval: %s\n", time.Duration(m.IntervalNs))
	fmt.Fprintf(bw, "- verdict: **%s**", strings.ToUpper(orDash(run.Verdict.Status)))
	if run.Verdict.Summary != "" {
		fmt.Fprintf(bw, " — %s", run.Verdict.Summary)
	}
	fmt.Fprintln(bw)
	if run.Reproduce != "" {
		fmt.Fprintf(bw, "- reproduce: `%s`\n", run.Reproduce)
	}
	fmt.Fprintln(bw)
	if len(run.Verdict.Anomalies) > 0 {
		fmt.Fprintf(bw, "## Anomalies\n\n")
		for _, a := range run.Verdict.Anomalies {
			fmt.Fprintf(bw, "- **%s**: %s\n", a.Kind, a.Summary)
			if a.Explanation != "" {
				for _, line := range strings.Split(strings.TrimRight(a.Explanation, "\n"), "\n") {
					fmt.Fprintf(bw, "  > %s\n", line)
				}
			}
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "## Summary\n\n")
	for _, t := range runTables(m) {
		t.markdown(bw)
	}
	fmt.Fprintf(bw, "```\n%s```\n\n", ConsoleSummary(m))
	fmt.Fprintf(bw, "## Plots\n\n")
	for _, name := range RunPlotNames(m) {
		fmt.Fprintf(bw, "![%s](%s.png)\n", name, name)
	}
	return bw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
