package reports

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot is one rendered figure in both formats.
type Plot struct {
	// Name is the file stem: Name.svg and Name.png.
	Name string
	// Title is the caption used in HTML pages.
	Title string
	SVG   []byte
	PNG   []byte
}

// pngDPI makes PNGs sharp on high-density screens without being large.
const pngDPI = 144

var (
	plotWidth  = 18 * vg.Centimeter
	plotHeight = 10 * vg.Centimeter
	// palette is Tableau's 10 colours: distinct and readable on white.
	palette = []color.NRGBA{
		{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, {R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
		{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, {R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
		{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, {R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
		{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, {R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
		{R: 0xbc, G: 0xbd, B: 0x22, A: 0xff}, {R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
	}
	faultColor = color.NRGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0x30}
	gridColor  = color.Gray{Y: 0xdd}
	sansFont   = font.Font{Typeface: "Liberation", Variant: "Sans"}
)

func seriesColor(i int) color.Color { return palette[i%len(palette)] }

// newPlot returns a plot with the house style: sans-serif text, light grid, legend
// at the top left.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Title.TextStyle.Font = font.From(sansFont, 12)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansFont, 10)
		a.Tick.Label.Font = font.From(sansFont, 9)
	}
	p.Legend.TextStyle.Font = font.From(sansFont, 9)
	p.Legend.Padding = vg.Points(1.5)
	p.Title.Padding = vg.Points(8)
	p.X.Tick.Marker = plot.TickerFunc(numberTicker)
	p.Y.Tick.Marker = plot.TickerFunc(numberTicker)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.XOffs = vg.Millimeter * 2
	p.Legend.YOffs = -vg.Millimeter
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = gridColor, gridColor
	p.Add(g)
	return p
}

// newTimePlot is a plot over simulated time starting at 0 s.
func newTimePlot(title, yLabel string) *plot.Plot {
	p := newPlot(title, "simulated time (s)", yLabel)
	p.X.Min = 0
	return p
}

// render draws p as SVG and PNG of the given size.
func render(name, title string, w, h vg.Length, draws func(dc draw.Canvas)) (Plot, error) {
	out := Plot{Name: name, Title: title}
	sc := vgsvg.New(w, h)
	draws(draw.New(sc))
	var sb bytes.Buffer
	if _, err := sc.WriteTo(&sb); err != nil {
		return out, fmt.Errorf("plot %s: svg: %w", name, err)
	}
	ic := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(pngDPI))
	draws(draw.New(ic))
	var pb bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: ic}).WriteTo(&pb); err != nil {
		return out, fmt.Errorf("plot %s: png: %w", name, err)
	}
	out.SVG, out.PNG = sb.Bytes(), pb.Bytes()
	return out, nil
}

func renderPlot(name string, p *plot.Plot) (Plot, error) {
	return render(name, p.Title.Text, plotWidth, plotHeight, func(dc draw.Canvas) { p.Draw(dc) })
}

// renderStack draws plots one above the other, their axes aligned.
func renderStack(name, title string, ps []*plot.Plot) (Plot, error) {
	rows := make([][]*plot.Plot, len(ps))
	for i, p := range ps {
		rows[i] = []*plot.Plot{p}
	}
	h := vg.Length(len(ps)) * 7 * vg.Centimeter
	return render(name, title, plotWidth, h, func(dc draw.Canvas) {
		t := draw.Tiles{Rows: len(ps), Cols: 1, PadY: vg.Millimeter * 3, PadTop: vg.Millimeter, PadBottom: vg.Millimeter}
		canvases := plot.Align(rows, t, dc)
		for i := range ps {
			ps[i].Draw(canvases[i][0])
		}
	})
}

// faultBands shades fault windows over the full height of the data area. Add it first
// so the data is drawn over it.
type faultBands struct {
	windows [][2]float64
}

// Plot implements plot.Plotter.
func (f faultBands) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	for _, w := range f.windows {
		x0, x1 := trX(w[0]), trX(w[1])
		if x1-x0 < vg.Points(1) {
			x1 = x0 + vg.Points(1) // keep instant faults visible
		}
		pts := []vg.Point{{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y}}
		c.FillPolygon(faultColor, c.ClipPolygonXY(pts))
	}
}

// DataRange implements plot.DataRanger: the bands widen the x-axis, never the y-axis.
func (f faultBands) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	for _, w := range f.windows {
		xmin, xmax = min(xmin, w[0]), max(xmax, w[1])
	}
	return xmin, xmax, math.Inf(1), math.Inf(-1)
}

// addFaults shades m's fault windows on p (x in seconds) and adds a legend entry.
func addFaults(p *plot.Plot, m *Metrics, legend bool) {
	if len(m.Faults) == 0 {
		return
	}
	var fb faultBands
	for _, f := range m.Faults {
		fb.windows = append(fb.windows, [2]float64{float64(f.StartNs) / 1e9, float64(f.StopNs) / 1e9})
	}
	p.Add(fb)
	if !legend {
		return
	}
	sw, err := plotter.NewPolygon(plotter.XYs{{X: 0, Y: 0}})
	if err == nil {
		sw.Color = faultColor
		sw.LineStyle.Width = 0
		p.Legend.Add("fault", sw)
	}
}

// addLine adds a line series; NaN y values are gaps (intervals without data), drawn
// as breaks in the line. An empty series is skipped.
func addLine(p *plot.Plot, label string, xys plotter.XYs, i int, dashed bool) error {
	var legendLine *plotter.Line
	for start := 0; start < len(xys); {
		if math.IsNaN(xys[start].Y) {
			start++
			continue
		}
		end := start
		for end < len(xys) && !math.IsNaN(xys[end].Y) {
			end++
		}
		l, err := plotter.NewLine(xys[start:end])
		if err != nil {
			return fmt.Errorf("series %q: %w", label, err)
		}
		l.Color = seriesColor(i)
		l.Width = vg.Points(1.2)
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(l)
		if end-start == 1 {
			// A lone point between gaps: mark it so it shows.
			sc, err := plotter.NewScatter(xys[start:end])
			if err == nil {
				sc.GlyphStyle.Color = seriesColor(i)
				sc.GlyphStyle.Radius = vg.Points(1.5)
				p.Add(sc)
			}
		}
		if legendLine == nil {
			legendLine = l
		}
		start = end
	}
	if label != "" && legendLine != nil {
		p.Legend.Add(label, legendLine)
	}
	return nil
}

// numberTicker wraps gonum's default ticks with readable labels: 2,500 not 2500.00.
func numberTicker(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i := range ts {
		if ts[i].Label == "" {
			continue
		}
		v := ts[i].Value
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			ts[i].Label = fmtInt(int64(v))
		} else {
			ts[i].Label = strconv.FormatFloat(v, 'g', 4, 64)
		}
	}
	return ts
}

// headroom raises the y maximum so the legend sits above the data.
func headroom(p *plot.Plot, factor float64) {
	if p.Y.Max > p.Y.Min && !math.IsInf(p.Y.Max, 0) {
		if p.Y.Scale != nil {
			if _, ok := p.Y.Scale.(plot.LogScale); ok {
				p.Y.Max *= factor * factor * factor
				return
			}
		}
		p.Y.Max = p.Y.Min + (p.Y.Max-p.Y.Min)*factor
	}
}

// ensureRange gives a log axis a range it can draw: a default without data, a lower
// bound above zero, and some width around a single value.
func ensureRange(a *plot.Axis, lo, hi float64) {
	switch {
	case math.IsInf(a.Min, 0) || math.IsInf(a.Max, 0) || a.Max <= 0:
		a.Min, a.Max = lo, hi
	case a.Min <= 0:
		a.Min = min(lo, a.Max/10)
	case a.Min >= a.Max:
		a.Min, a.Max = a.Min/2, a.Max*2
	}
}

// ninesLabels label the 1/(1-p) axis as HdrHistogram's plotters do.
var ninesLabels = []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%", "99.99999%", "99.999999%"}

func ninesTicker(_, max float64) []plot.Tick {
	var ts []plot.Tick
	for i, v := 0, 1.0; i < len(ninesLabels) && v <= max*1.0001; i, v = i+1, v*10 {
		ts = append(ts, plot.Tick{Value: v, Label: ninesLabels[i]})
	}
	return ts
}

// latencyTicker labels a log latency axis in milliseconds: ticks at 1-2-5 steps per
// decade, labels on the powers of ten, or on every tick when the axis spans less than
// two decades.
func latencyTicker(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi*1.0001; e++ {
		base := math.Pow(10, e)
		for _, m := range []float64{1, 2, 5} {
			if v := base * m; v >= lo*0.9999 && v <= hi*1.0001 {
				ts = append(ts, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	if len(ts) < 2 {
		return plot.LogTicks{Prec: -1}.Ticks(lo, hi)
	}
	if hi/lo >= 100 {
		for i := range ts {
			if m := ts[i].Value / math.Pow(10, math.Floor(math.Log10(ts[i].Value)+1e-9)); math.Abs(m-1) > 1e-9 {
				ts[i].Label = ""
			}
		}
	}
	return ts
}

// minPlotMs floors latencies on log axes (a zero cannot be drawn on a log scale).
const minPlotMs = 1e-3

// percentileXYs turns h into points of the latency-by-percentile curve: x = 1/(1-q),
// y = value in ms. The 100 % point (x = ∞) is left out, as HdrHistogram's plotters do.
func percentileXYs(h *hdrhistogram.Histogram) plotter.XYs {
	if h.TotalCount() == 0 {
		return nil
	}
	var xys plotter.XYs
	for _, b := range h.CumulativeDistributionWithTicks(5) {
		q := b.Quantile / 100
		if q >= 1 {
			continue
		}
		xys = append(xys, plotter.XY{X: 1 / (1 - q), Y: max(float64(b.ValueAt)/1e6, minPlotMs)})
	}
	return xys
}

// percentilePlot draws latency-by-percentile curves of several histograms.
func percentilePlot(title string, labels []string, hs []*hdrhistogram.Histogram, dashed func(i int) bool) (*plot.Plot, error) {
	p := newPlot(title, "percentile", "latency (ms)")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.TickerFunc(ninesTicker)
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.TickerFunc(latencyTicker)
	for i, h := range hs {
		if err := addLine(p, labels[i], percentileXYs(h), i, dashed != nil && dashed(i)); err != nil {
			return nil, err
		}
	}
	ensureRange(&p.X, 1, 10)
	p.X.Min = 1
	ensureRange(&p.Y, minPlotMs, 1)
	headroom(p, 1.6)
	return p, nil
}

// seconds is an interval's start in seconds (time-series x values).
func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// timeSeries builds x = interval end, y = f(interval) points; intervals f rejects
// become gaps.
func timeSeries(m *Metrics, f func(iv *Interval) (float64, bool)) plotter.XYs {
	xys := make(plotter.XYs, 0, len(m.Intervals))
	for i := range m.Intervals {
		iv := &m.Intervals[i]
		y, ok := f(iv)
		if !ok {
			y = math.NaN()
		}
		xys = append(xys, plotter.XY{X: seconds(iv.EndNs), Y: y})
	}
	return xys
}

// RunPlotNames lists the file stems RunPlots produces for m, in order; summary.md
// links to them without rendering anything.
func RunPlotNames(m *Metrics) []string {
	names := []string{"latency-percentiles", "throughput"}
	for _, k := range []LatencyKind{PublishLatency, EndToEndLatency, PublishDelay} {
		names = append(names, k.FileStem()+"-over-time")
	}
	names = append(names, "backlog")
	if len(m.Lags) > 0 {
		names = append(names, "lag")
	}
	if len(m.Brokers) > 0 {
		names = append(names, "brokers")
	}
	return names
}

// renderJob draws one figure; jobs are independent, so they render in parallel.
type renderJob func() (Plot, error)

// renderAll runs the jobs on up to GOMAXPROCS goroutines and returns the plots in job
// order (each plot's bytes depend only on its own job: the output is deterministic).
func renderAll(jobs []renderJob) ([]Plot, error) {
	out := make([]Plot, len(jobs))
	errs := make([]error, len(jobs))
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, job := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = job()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// RunPlots renders the figures of one run, in report order.
func RunPlots(m *Metrics) ([]Plot, error) {
	var jobs []renderJob
	add := func(name string, p *plot.Plot, err error) error {
		if err != nil {
			return fmt.Errorf("plot %s: %w", name, err)
		}
		jobs = append(jobs, func() (Plot, error) { return renderPlot(name, p) })
		return nil
	}

	// Latency by percentile.
	hs := make([]*hdrhistogram.Histogram, len(LatencyKinds))
	labels := make([]string, len(LatencyKinds))
	for i, k := range LatencyKinds {
		h, err := m.Histogram(k)
		if err != nil {
			return nil, err
		}
		hs[i], labels[i] = h, k.String()
	}
	p, err := percentilePlot("Latency by percentile", labels, hs, func(i int) bool { return LatencyKinds[i] == PublishDelay })
	if err := add("latency-percentiles", p, err); err != nil {
		return nil, err
	}

	// Publish and consume rate.
	p = newTimePlot("Publish and consume rate", "messages/s")
	addFaults(p, m, true)
	err = addLine(p, "publish", timeSeries(m, func(iv *Interval) (float64, bool) { return iv.PublishRate, true }), 0, false)
	if err == nil {
		err = addLine(p, "consume (all groups)", timeSeries(m, func(iv *Interval) (float64, bool) { return iv.ConsumeRate, true }), 1, true)
	}
	if err == nil && m.Summary.PublishFailed > 0 {
		err = addLine(p, "publish errors", timeSeries(m, func(iv *Interval) (float64, bool) { return iv.PublishErrorRate, true }), 3, false)
	}
	p.Y.Min = 0
	headroom(p, 1.25)
	if err := add("throughput", p, err); err != nil {
		return nil, err
	}

	// Latency over time, one figure per latency metric with p50, p99 and max.
	for _, k := range []LatencyKind{PublishLatency, EndToEndLatency, PublishDelay} {
		name := k.FileStem() + "-over-time"
		p = newTimePlot(capitalize(k.String())+" over time (p50, p99, max per interval)", "latency (ms)")
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.TickerFunc(latencyTicker)
		addFaults(p, m, true)
		var err error
		for i, sel := range []struct {
			label string
			get   func(s *LatencyStats) int64
		}{{"p50", func(s *LatencyStats) int64 { return s.P50Ns }}, {"p99", func(s *LatencyStats) int64 { return s.P99Ns }}, {"max", func(s *LatencyStats) int64 { return s.MaxNs }}} {
			xys := timeSeries(m, func(iv *Interval) (float64, bool) {
				s := iv.Latency(k)
				return max(float64(sel.get(s))/1e6, minPlotMs), s.Count > 0
			})
			if err = addLine(p, sel.label, xys, i, i == 2); err != nil {
				break
			}
		}
		ensureRange(&p.Y, minPlotMs, 1)
		headroom(p, 1.6)
		if err := add(name, p, err); err != nil {
			return nil, err
		}
	}

	// Backlog per group, and lag per partition.
	p = newTimePlot("Backlog per consumer group", "records")
	addFaults(p, m, true)
	err = nil
	for i, g := range m.Groups {
		xys := make(plotter.XYs, len(g.BacklogPerInterval))
		for j, b := range g.BacklogPerInterval {
			xys[j] = plotter.XY{X: seconds(m.Intervals[j].EndNs), Y: float64(b)}
		}
		if err = addLine(p, g.Name, xys, i, false); err != nil {
			break
		}
	}
	p.Y.Min = 0
	headroom(p, 1.25)
	if err := add("backlog", p, err); err != nil {
		return nil, err
	}
	if len(m.Lags) > 0 {
		if p, err = lagPlot(m); err != nil {
			return nil, fmt.Errorf("plot lag: %w", err)
		}
		if err := add("lag", p, nil); err != nil {
			return nil, err
		}
	}

	// Broker utilization: CPU, network, disk.
	if len(m.Brokers) > 0 {
		ps, err := brokerPanels(m)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, func() (Plot, error) { return renderStack("brokers", "Broker utilization", ps) })
	}
	return renderAll(jobs)
}

// maxLagLines is the most per-partition lag lines a plot shows; beyond it the plot
// shows each group's maximum and mean over its partitions instead.
const maxLagLines = 8

// lagPlot draws consumer lag: one line per partition for small topics, otherwise
// per group the maximum (solid) and mean (dashed) over partitions.
func lagPlot(m *Metrics) (*plot.Plot, error) {
	xAt := func(j int) float64 { return seconds(m.Intervals[j].EndNs) }
	if len(m.Lags) <= maxLagLines {
		p := newTimePlot("Consumer lag per partition", "records behind the high watermark")
		addFaults(p, m, true)
		for i, l := range m.Lags {
			xys := make(plotter.XYs, len(l.Lag))
			for j, v := range l.Lag {
				xys[j] = plotter.XY{X: xAt(j), Y: float64(v)}
			}
			if err := addLine(p, fmt.Sprintf("%s %s-%d", l.Group, l.Topic, l.Partition), xys, i, false); err != nil {
				return nil, err
			}
		}
		p.Y.Min = 0
		headroom(p, 1.3)
		return p, nil
	}
	p := newTimePlot(fmt.Sprintf("Consumer lag over %d group partitions: max (solid) and mean (dashed) per group", len(m.Lags)),
		"records behind the high watermark")
	addFaults(p, m, true)
	var groups []string
	byGroup := map[string][]PartitionLag{}
	for _, l := range m.Lags {
		if _, ok := byGroup[l.Group]; !ok {
			groups = append(groups, l.Group)
		}
		byGroup[l.Group] = append(byGroup[l.Group], l)
	}
	for gi, g := range groups {
		ls := byGroup[g]
		maxXY := make(plotter.XYs, len(m.Intervals))
		meanXY := make(plotter.XYs, len(m.Intervals))
		for j := range m.Intervals {
			var hi, sum int64
			for _, l := range ls {
				hi = max(hi, l.Lag[j])
				sum += l.Lag[j]
			}
			maxXY[j] = plotter.XY{X: xAt(j), Y: float64(hi)}
			meanXY[j] = plotter.XY{X: xAt(j), Y: float64(sum) / float64(len(ls))}
		}
		if err := addLine(p, fmt.Sprintf("%s (%d partitions)", g, len(ls)), maxXY, gi, false); err != nil {
			return nil, err
		}
		if err := addLine(p, "", meanXY, gi, true); err != nil {
			return nil, err
		}
	}
	p.Y.Min = 0
	headroom(p, 1.3)
	return p, nil
}

// brokerPanels builds the stacked CPU, network and disk utilization panels.
func brokerPanels(m *Metrics) ([]*plot.Plot, error) {
	type panel struct {
		title string
		get   func(b *BrokerMetrics) [][]float64
		names []string
	}
	panels := []panel{
		{"Broker CPU utilization", func(b *BrokerMetrics) [][]float64 { return [][]float64{b.CPUUtilization} }, []string{""}},
		{"Broker network utilization (solid: in, dashed: out)", func(b *BrokerMetrics) [][]float64 {
			return [][]float64{b.NetInUtilization, b.NetOutUtilization}
		}, []string{" in", " out"}},
		{"Broker disk utilization (reads and writes)", func(b *BrokerMetrics) [][]float64 { return [][]float64{b.DiskUtilization} }, []string{""}},
	}
	var ps []*plot.Plot
	for pi, pn := range panels {
		xl := ""
		if pi == len(panels)-1 {
			xl = "simulated time (s)"
		}
		p := newTimePlot(pn.title, "% of capacity")
		p.X.Label.Text = xl
		p.Title.TextStyle.Font = font.From(sansFont, 10)
		addFaults(p, m, pi == 0)
		for i := range m.Brokers {
			b := &m.Brokers[i]
			for si, series := range pn.get(b) {
				xys := make(plotter.XYs, len(series))
				for j, v := range series {
					xys[j] = plotter.XY{X: seconds(m.Intervals[j].EndNs), Y: 100 * v}
				}
				label := ""
				if si == 0 && pi == 0 {
					label = fmt.Sprintf("broker %d", b.ID)
				}
				if err := addLine(p, label, xys, i, si == 1); err != nil {
					return nil, fmt.Errorf("plot brokers: %w", err)
				}
			}
		}
		p.Y.Min = 0
		if p.Y.Max < 10 {
			p.Y.Max = 10
		}
		headroom(p, 1.3)
		ps = append(ps, p)
	}
	return ps, nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
