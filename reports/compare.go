package reports

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Param is one swept setting of a configuration, in the order the sweep lists them.
type Param struct {
	Path  string `json:"path"`
	Value string `json:"value"`
}

// Labeled is one configuration's run in a comparison.
type Labeled struct {
	// Label names the configuration in tables and legends ("linger.ms=5 lz4").
	Label  string
	Params []Param
	// Dir is the run's output folder relative to the comparison's folder; index.html
	// links to Dir/report.html when it is set.
	Dir    string
	Result *Result
}

// ComparisonRow is one configuration's key figures.
type ComparisonRow struct {
	Label  string  `json:"label"`
	Params []Param `json:"params"`
	Dir    string  `json:"dir,omitempty"`
	Status string  `json:"status"`
	// Throughput.
	PublishRate      float64 `json:"publish_rate"`
	PublishMiBps     float64 `json:"publish_mib_per_sec"`
	ConsumeRate      float64 `json:"consume_rate"`
	PublishErrorRate float64 `json:"publish_error_rate"`
	MaxBacklog       int64   `json:"max_backlog"`
	// Latencies, nanoseconds.
	PublishP50Ns  int64 `json:"publish_p50_ns"`
	PublishP99Ns  int64 `json:"publish_p99_ns"`
	PublishP999Ns int64 `json:"publish_p99_9_ns"`
	PublishMaxNs  int64 `json:"publish_max_ns"`
	E2EP50Ns      int64 `json:"end_to_end_p50_ns"`
	E2EP99Ns      int64 `json:"end_to_end_p99_ns"`
	E2EMaxNs      int64 `json:"end_to_end_max_ns"`
	DelayP99Ns    int64 `json:"publish_delay_p99_ns"`
	// Batches, bytes and CPU.
	RecordsPerBatch      float64 `json:"records_per_batch"`
	CompressionRatio     float64 `json:"compression_ratio"`
	WireBytesPerRecord   float64 `json:"wire_bytes_per_record"`
	DiskBytesPerRecord   float64 `json:"disk_bytes_per_record"`
	BrokerCPUUtilization float64 `json:"broker_cpu_utilization"`
	BrokerCPUPerRecordNs float64 `json:"broker_cpu_per_record_ns"`
}

// Comparison is the side-by-side view of several configurations.
type Comparison struct {
	Rows []ComparisonRow `json:"rows"`
	// Params lists the swept parameter paths, in first-seen order.
	Params []string `json:"params"`
	// P99Limit and Best answer "which configurations reach the highest throughput
	// within this p99 publish latency": Best holds their labels, best first.
	P99LimitNs int64    `json:"p99_limit_ns,omitempty"`
	Best       []string `json:"best,omitempty"`

	runs []Labeled
}

// Compare builds the comparison of runs, in the order given.
func Compare(runs []Labeled) *Comparison {
	c := &Comparison{runs: runs, Rows: []ComparisonRow{}, Params: []string{}}
	seen := map[string]bool{}
	for _, r := range runs {
		m := r.Result.Metrics
		s := &m.Summary
		row := ComparisonRow{
			Label: r.Label, Params: r.Params, Dir: r.Dir, Status: orDash(r.Result.Verdict.Status),
			PublishRate: s.PublishRate, PublishMiBps: s.PublishMiBps, ConsumeRate: s.ConsumeRate,
			PublishErrorRate: s.PublishErrorRate, MaxBacklog: s.MaxBacklog,
			PublishP50Ns: s.PublishLatency.P50Ns, PublishP99Ns: s.PublishLatency.P99Ns,
			PublishP999Ns: s.PublishLatency.P999Ns, PublishMaxNs: s.PublishLatency.MaxNs,
			E2EP50Ns: s.EndToEndLatency.P50Ns, E2EP99Ns: s.EndToEndLatency.P99Ns, E2EMaxNs: s.EndToEndLatency.MaxNs,
			DelayP99Ns: s.PublishDelay.P99Ns, RecordsPerBatch: m.Bytes.RecordsPerBatch(),
			CompressionRatio: m.Bytes.CompressionRatio, WireBytesPerRecord: m.Bytes.WireBytesPerRecord,
			DiskBytesPerRecord: m.Bytes.DiskBytesPerRecord, BrokerCPUUtilization: s.MeanBrokerCPUUtilization,
			BrokerCPUPerRecordNs: s.BrokerCPUPerRecordNs,
		}
		if row.Params == nil {
			row.Params = []Param{}
		}
		for _, p := range r.Params {
			if !seen[p.Path] {
				seen[p.Path] = true
				c.Params = append(c.Params, p.Path)
			}
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}

// BestWithinP99 returns the rows whose p99 publish latency is at most limit, highest
// publish rate first (ties: lower p99, then label). Failed runs are not candidates:
// a configuration that loses data is no answer, however fast. It also records the
// answer in c.P99LimitNs and c.Best.
func (c *Comparison) BestWithinP99(limit time.Duration) []ComparisonRow {
	var out []ComparisonRow
	for _, r := range c.Rows {
		if r.PublishP99Ns <= int64(limit) && r.Status != "fail" && r.PublishRate > 0 {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.PublishRate != b.PublishRate {
			return a.PublishRate > b.PublishRate
		}
		if a.PublishP99Ns != b.PublishP99Ns {
			return a.PublishP99Ns < b.PublishP99Ns
		}
		return a.Label < b.Label
	})
	c.P99LimitNs = int64(limit)
	c.Best = []string{}
	for _, r := range out {
		c.Best = append(c.Best, r.Label)
	}
	return out
}

func (c *Comparison) paramValue(r ComparisonRow, path string) string {
	for _, p := range r.Params {
		if p.Path == path {
			return p.Value
		}
	}
	return ""
}

// table is the comparison as a grid: parameters, then figures.
func (c *Comparison) table() table {
	t := table{Title: "Configurations"}
	t.Header = append(t.Header, "configuration")
	t.Header = append(t.Header, c.Params...)
	t.Header = append(t.Header, "verdict", "publish msg/s", "publish MiB/s", "consume msg/s", "errors/s", "max backlog",
		"publish p50 ms", "publish p99 ms", "publish p99.9 ms", "publish max ms", "e2e p50 ms", "e2e p99 ms", "e2e max ms",
		"delay p99 ms", "records/batch", "compression", "wire B/rec", "disk B/rec", "broker CPU", "CPU µs/rec")
	for i := range t.Header {
		t.Right = append(t.Right, i > len(c.Params)+1)
	}
	for _, r := range c.Rows {
		row := []string{r.Label}
		for _, p := range c.Params {
			row = append(row, c.paramValue(r, p))
		}
		row = append(row, r.Status, fmtRate(r.PublishRate), fmtFloat(r.PublishMiBps, 3), fmtRate(r.ConsumeRate),
			fmtFloat(r.PublishErrorRate, 3), fmtInt(r.MaxBacklog),
			fmtMs(r.PublishP50Ns), fmtMs(r.PublishP99Ns), fmtMs(r.PublishP999Ns), fmtMs(r.PublishMaxNs),
			fmtMs(r.E2EP50Ns), fmtMs(r.E2EP99Ns), fmtMs(r.E2EMaxNs), fmtMs(r.DelayP99Ns),
			fmtFloat(r.RecordsPerBatch, 1), fmtFloat(r.CompressionRatio, 3), fmtFloat(r.WireBytesPerRecord, 1), fmtFloat(r.DiskBytesPerRecord, 1),
			fmtPct(r.BrokerCPUUtilization), fmtFloat(r.BrokerCPUPerRecordNs/1e3, 2))
		t.Rows = append(t.Rows, row)
	}
	return t
}

// WriteMarkdown writes the comparison table, and the best-within-p99 answer when
// BestWithinP99 was asked.
func (c *Comparison) WriteMarkdown(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString("# Comparison\n\n")
	if c.P99LimitNs > 0 {
		fmt.Fprintf(&b, "Highest throughput within p99 publish latency ≤ %s ms: ", fmtMs(c.P99LimitNs))
		if len(c.Best) == 0 {
			b.WriteString("no configuration stays within the limit.\n\n")
		} else {
			fmt.Fprintf(&b, "**%s**", c.Best[0])
			if len(c.Best) > 1 {
				fmt.Fprintf(&b, " (then %s)", strings.Join(c.Best[1:], ", "))
			}
			b.WriteString(".\n\n")
		}
	}
	t := c.table()
	t.markdown(&b)
	_, err := w.Write(b.Bytes())
	return err
}

// WriteCSV writes one header line and one line per configuration, with raw numbers
// (rates per second, latencies in milliseconds, utilization as a fraction).
func (c *Comparison) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	header := append([]string{"configuration"}, c.Params...)
	header = append(header, "verdict", "publish_rate", "publish_mib_per_sec", "consume_rate", "publish_error_rate", "max_backlog",
		"publish_p50_ms", "publish_p99_ms", "publish_p99_9_ms", "publish_max_ms", "end_to_end_p50_ms", "end_to_end_p99_ms",
		"end_to_end_max_ms", "publish_delay_p99_ms", "records_per_batch", "compression_ratio", "wire_bytes_per_record", "disk_bytes_per_record",
		"broker_cpu_utilization", "broker_cpu_per_record_us")
	if err := cw.Write(header); err != nil {
		return err
	}
	g := func(v float64) string { return fmtFloat(v, -1) }
	ms := func(ns int64) string { return g(float64(ns) / 1e6) }
	for _, r := range c.Rows {
		rec := []string{r.Label}
		for _, p := range c.Params {
			rec = append(rec, c.paramValue(r, p))
		}
		rec = append(rec, r.Status, g(r.PublishRate), g(r.PublishMiBps), g(r.ConsumeRate), g(r.PublishErrorRate),
			fmt.Sprint(r.MaxBacklog), ms(r.PublishP50Ns), ms(r.PublishP99Ns), ms(r.PublishP999Ns), ms(r.PublishMaxNs),
			ms(r.E2EP50Ns), ms(r.E2EP99Ns), ms(r.E2EMaxNs), ms(r.DelayP99Ns), g(r.RecordsPerBatch), g(r.CompressionRatio),
			g(r.WireBytesPerRecord), g(r.DiskBytesPerRecord), g(r.BrokerCPUUtilization), g(r.BrokerCPUPerRecordNs/1e3))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes the comparison as JSON.
func (c *Comparison) WriteJSON(w io.Writer) error { return writeJSON(w, c) }

// glyphShapes tell configurations apart once the palette's colours repeat.
var glyphShapes = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.BoxGlyph{}}

// codecParam finds the swept compression parameter, if any.
func (c *Comparison) codecParam() string {
	for _, p := range c.Params {
		if strings.HasSuffix(p, "compression.type") || strings.HasSuffix(p, "compression") || strings.HasSuffix(p, "codec") {
			return p
		}
	}
	return ""
}

// Plots renders the overlay figures: latency percentiles per configuration,
// throughput against p99 latency, bytes per codec and CPU per codec (per
// configuration when no compression parameter was swept).
func (c *Comparison) Plots() ([]Plot, error) {
	var jobs []renderJob
	add := func(name string, p *plot.Plot) error {
		jobs = append(jobs, func() (Plot, error) { return renderPlot(name, p) })
		return nil
	}
	labels := make([]string, len(c.runs))
	hs := make([]*hdrhistogram.Histogram, len(c.runs))
	for i, r := range c.runs {
		h, err := r.Result.Metrics.Histogram(PublishLatency)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Label, err)
		}
		labels[i], hs[i] = r.Label, h
	}
	p, err := percentilePlot("Publish latency by percentile, per configuration", labels, hs, func(i int) bool { return i >= len(palette) })
	if err != nil {
		return nil, err
	}
	if err := add("compare-latency-percentiles", p); err != nil {
		return nil, err
	}

	// Throughput against p99: one point per configuration, told apart by colour and
	// shape in the legend (text beside the points overlaps as soon as two
	// configurations perform alike, which is the common case).
	p = newPlot("Throughput against p99 publish latency", "p99 publish latency (ms)", "publish rate (msg/s)")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.TickerFunc(latencyTicker)
	p.Legend.Top, p.Legend.Left = false, false // the points sit near the top
	for i, r := range c.Rows {
		xy := plotter.XYs{{X: max(float64(r.PublishP99Ns)/1e6, minPlotMs), Y: r.PublishRate}}
		sc, err := plotter.NewScatter(xy)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color = seriesColor(i)
		sc.GlyphStyle.Radius = vg.Points(3.5)
		sc.GlyphStyle.Shape = glyphShapes[(i/len(palette))%len(glyphShapes)]
		p.Add(sc)
		p.Legend.Add(r.Label, sc)
	}
	if c.P99LimitNs > 0 {
		lim := float64(c.P99LimitNs) / 1e6
		lo, hi := 0.0, p.Y.Max*1.2
		if math.IsInf(hi, 0) || hi <= 0 {
			hi = 1
		}
		l, err := plotter.NewLine(plotter.XYs{{X: lim, Y: lo}, {X: lim, Y: hi}})
		if err == nil {
			l.Color = seriesColor(3)
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("p99 limit %s ms", fmtMs(c.P99LimitNs)), l)
		}
	}
	ensureRange(&p.X, minPlotMs, 1)
	p.X.Min /= 1.5
	p.X.Max *= 2.5 // room for the legend
	p.Y.Min = 0
	headroom(p, 1.2)
	if err := add("compare-throughput-vs-p99", p); err != nil {
		return nil, err
	}

	// Bytes and CPU per codec.
	groups, groupRows := c.byCodec()
	p = newPlot("Bytes per record by "+groupName(c.codecParam()), "", "bytes per acknowledged record")
	if err := groupedBars(p, groups, []string{"on the wire", "on disk"}, func(rows []ComparisonRow, s int) float64 {
		return meanOf(rows, func(r ComparisonRow) float64 {
			if s == 0 {
				return r.WireBytesPerRecord
			}
			return r.DiskBytesPerRecord
		})
	}, groupRows); err != nil {
		return nil, err
	}
	if err := add("compare-bytes-per-codec", p); err != nil {
		return nil, err
	}
	p = newPlot("Broker CPU by "+groupName(c.codecParam()), "", "broker CPU per record (µs)")
	if err := groupedBars(p, groups, []string{"CPU per record"}, func(rows []ComparisonRow, _ int) float64 {
		return meanOf(rows, func(r ComparisonRow) float64 { return r.BrokerCPUPerRecordNs / 1e3 })
	}, groupRows); err != nil {
		return nil, err
	}
	if err := add("compare-cpu-per-codec", p); err != nil {
		return nil, err
	}
	return renderAll(jobs)
}

func groupName(param string) string {
	if param == "" {
		return "configuration"
	}
	return "codec (" + param + ")"
}

// byCodec groups rows by the codec parameter's value (first-seen order), or one
// group per row when no codec was swept.
func (c *Comparison) byCodec() ([]string, map[string][]ComparisonRow) {
	param := c.codecParam()
	var names []string
	rows := map[string][]ComparisonRow{}
	for _, r := range c.Rows {
		key := r.Label
		if param != "" {
			key = c.paramValue(r, param)
			if key == "" {
				key = "(default)"
			}
		}
		if _, ok := rows[key]; !ok {
			names = append(names, key)
		}
		rows[key] = append(rows[key], r)
	}
	return names, rows
}

func meanOf(rows []ComparisonRow, f func(ComparisonRow) float64) float64 {
	if len(rows) == 0 {
		return 0
	}
	var s float64
	for _, r := range rows {
		s += f(r)
	}
	return s / float64(len(rows))
}

// groupedBars draws one bar per (group, series), series side by side.
func groupedBars(p *plot.Plot, groups, series []string, value func([]ComparisonRow, int) float64, rows map[string][]ComparisonRow) error {
	if len(groups) == 0 {
		return nil
	}
	w := vg.Points(min(40, 360/float64(len(groups)*len(series))))
	for s := range series {
		vals := make(plotter.Values, len(groups))
		for i, g := range groups {
			vals[i] = value(rows[g], s)
		}
		b, err := plotter.NewBarChart(vals, w)
		if err != nil {
			return fmt.Errorf("bars %q: %w", series[s], err)
		}
		b.Color = seriesColor(s)
		b.LineStyle.Width = 0
		b.Offset = vg.Length(float64(s)-float64(len(series)-1)/2) * w
		p.Add(b)
		if len(series) > 1 {
			p.Legend.Add(series[s], b)
		}
	}
	p.NominalX(groups...)
	p.X.Min, p.X.Max = -0.6, float64(len(groups))-0.4
	p.X.Tick.Label.Font = p.Legend.TextStyle.Font
	p.Y.Min = 0
	headroom(p, 1.25)
	return nil
}

type indexRow struct {
	Cells  []htmlCell
	Report string
	Best   bool
}

type indexPage struct {
	CSS      template.CSS
	JS       template.JS
	Answer   string
	Header   []htmlCell
	Rows     []indexRow
	Plots    []htmlPlot
	HasLinks bool
}

var indexTmpl = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>logsim comparison</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<h1>Comparison of configurations</h1>
{{if .Answer}}<div class="verdict"><span>{{.Answer}}</span></div>{{end}}
<h2>Configurations</h2>
<div class="tables"><table><thead><tr>{{range .Header}}<th{{if .Num}} class="num"{{end}}>{{.Text}}</th>{{end}}{{if .HasLinks}}<th>report</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr{{if .Best}} class="best"{{end}}>{{range .Cells}}<td{{if .Num}} class="num"{{end}}>{{.Text}}</td>{{end}}{{if $.HasLinks}}<td>{{if .Report}}<a href="{{.Report}}">report</a>{{end}}</td>{{end}}</tr>
{{end}}</tbody></table></div>
<h2>Plots</h2>
{{range .Plots}}<figure><img class="plot" src="{{.Src}}" alt="{{.Alt}}"><figcaption>{{.Title}} · <a href="{{.SVGFile}}">SVG</a> · <a href="{{.PNGFile}}">PNG</a></figcaption></figure>
{{end}}
<p class="note">Files: comparison.md, comparison.csv, comparison.json.</p>
</main>
<script>{{.JS}}</script>
</body>
</html>
`))

// WriteIndexHTML writes index.html: the table (best configurations highlighted,
// links to each run's report), the answer, and the overlay plots.
func (c *Comparison) WriteIndexHTML(w io.Writer, plots []Plot) error {
	page := indexPage{CSS: template.CSS(pageCSS), JS: template.JS(plotCheckJS)}
	if c.P99LimitNs > 0 {
		if len(c.Best) == 0 {
			page.Answer = fmt.Sprintf("No configuration keeps p99 publish latency within %s ms.", fmtMs(c.P99LimitNs))
		} else {
			page.Answer = fmt.Sprintf("Highest throughput within p99 publish latency ≤ %s ms: %s.", fmtMs(c.P99LimitNs), c.Best[0])
		}
	}
	t := c.table()
	page.Header = t.html().Header
	best := map[string]bool{}
	if len(c.Best) > 0 {
		best[c.Best[0]] = true
	}
	for i, r := range t.html().Rows {
		ir := indexRow{Cells: r, Best: best[c.Rows[i].Label]}
		if d := c.Rows[i].Dir; d != "" {
			ir.Report = strings.TrimSuffix(d, "/") + "/" + ReportFile
			page.HasLinks = true
		}
		page.Rows = append(page.Rows, ir)
	}
	for _, p := range plots {
		page.Plots = append(page.Plots, embedPlot(p, true))
	}
	var buf bytes.Buffer
	if err := indexTmpl.Execute(&buf, page); err != nil {
		return fmt.Errorf("index.html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// ComparisonFiles renders every file of a comparison folder in memory: comparison.md,
// .csv, .json, the overlay plots as SVG and PNG, and index.html. A positive p99Limit
// asks for the best-within-p99 answer.
func ComparisonFiles(runs []Labeled, p99Limit time.Duration) (map[string][]byte, error) {
	c := Compare(runs)
	if p99Limit > 0 {
		c.BestWithinP99(p99Limit)
	}
	files := map[string][]byte{}
	var buf bytes.Buffer
	for name, write := range map[string]func(io.Writer) error{
		"comparison.md": c.WriteMarkdown, "comparison.csv": c.WriteCSV, "comparison.json": c.WriteJSON,
	} {
		buf.Reset()
		if err := write(&buf); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		files[name] = bytes.Clone(buf.Bytes())
	}
	plots, err := c.Plots()
	if err != nil {
		return nil, err
	}
	for _, p := range plots {
		files[p.Name+".svg"], files[p.Name+".png"] = p.SVG, p.PNG
	}
	buf.Reset()
	if err := c.WriteIndexHTML(&buf, plots); err != nil {
		return nil, err
	}
	files["index.html"] = bytes.Clone(buf.Bytes())
	return files, nil
}

// WriteComparison writes the comparison folder into dir and returns the file names.
func WriteComparison(dir string, runs []Labeled, p99Limit time.Duration) ([]string, error) {
	files, err := ComparisonFiles(runs, p99Limit)
	if err != nil {
		return nil, err
	}
	return writeFiles(dir, files)
}

// ReadRuns reads the result.json of each output folder (or file) for a comparison,
// as `logsim report DIR...` does. Labels are the runs' names, with the path added
// where two runs share a name; Dir is the path as given. The first unreadable result
// is an error naming its file.
func ReadRuns(paths []string) ([]Labeled, error) {
	var runs []Labeled
	count := map[string]int{}
	for _, p := range paths {
		res, err := ReadResult(p)
		if err != nil {
			return nil, err
		}
		runs = append(runs, Labeled{Label: res.Name, Dir: p, Result: res})
		count[res.Name]++
	}
	for i := range runs {
		if runs[i].Label == "" || count[runs[i].Label] > 1 {
			runs[i].Label = strings.TrimSpace(runs[i].Label + " (" + runs[i].Dir + ")")
		}
	}
	return runs, nil
}
