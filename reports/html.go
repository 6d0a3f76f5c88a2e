package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"
)

// pageCSS is shared by report.html and index.html.
const pageCSS = `
:root { --fg:#1d232b; --muted:#5b6673; --line:#d8dde3; --bg:#ffffff; --panel:#f6f8fa; --pass:#1a7f37; --fail:#cf222e; --warn:#9a6700; --fault:rgba(214,39,40,.35); }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 system-ui,-apple-system,"Segoe UI","Liberation Sans",sans-serif; color:var(--fg); background:var(--bg); }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 12px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 20px 0 8px; }
.meta { color: var(--muted); margin: 0 0 16px; }
.meta code { color: var(--fg); }
.verdict { display:flex; gap:14px; align-items:center; padding:12px 16px; border-radius:8px; background:var(--panel); border:1px solid var(--line); }
.badge { font-weight:700; letter-spacing:.04em; padding:3px 10px; border-radius:999px; color:#fff; background:var(--warn); text-transform:uppercase; font-size:13px; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
table { border-collapse: collapse; margin: 6px 0 14px; font-size: 13.5px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.best td { background: #e6f4ea; }
.tables { overflow-x: auto; }
figure { margin: 18px 0 26px; }
figure img { width: 100%; max-width: 980px; height: auto; border: 1px solid var(--line); border-radius: 6px; background:#fff; }
figcaption { color: var(--muted); font-size: 13px; }
figcaption a { color: var(--muted); }
.timeline { position: relative; border:1px solid var(--line); border-radius:6px; background: var(--panel); padding: 8px 0; }
.tl-row { position: relative; height: 24px; margin: 2px 12px 2px 200px; background: #fff; border-radius: 3px; }
.tl-label { position:absolute; left:-190px; width:180px; overflow:hidden; text-overflow:ellipsis; white-space:nowrap; font-size:12.5px; line-height:24px; }
.tl-bar { position:absolute; top:3px; height:18px; min-width:2px; background: var(--fault); border:1px solid rgba(214,39,40,.8); border-radius:3px; }
.tl-axis { position: relative; height: 18px; margin: 0 12px 0 200px; font-size: 11.5px; color: var(--muted); }
.tl-axis span { position:absolute; transform: translateX(-50%); white-space: nowrap; }
.tl-axis span:first-child { transform: none; } .tl-axis span:last-child { transform: translateX(-100%); }
.anomaly { border-left: 4px solid var(--fail); background: var(--panel); padding: 8px 14px; margin: 10px 0; border-radius: 0 6px 6px 0; }
.anomaly pre, details pre { white-space: pre-wrap; word-break: break-word; font-size: 12.5px; background:#fff; border:1px solid var(--line); padding:8px; border-radius:4px; }
details { margin: 8px 0; } summary { cursor: pointer; color: var(--muted); }
.note { color: var(--muted); font-size: 13px; }
.cards { display:grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap:10px; margin: 14px 0 0; }
.card { border:1px solid var(--line); border-radius:8px; padding:8px 12px; }
.card .v { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; }
.card .k { color: var(--muted); font-size: 12.5px; }
`

// plotCheckJS marks the page once its images have loaded and reports any that failed
// on the console, so a broken plot is visible to a browser test and to people.
const plotCheckJS = `
window.addEventListener('load', function () {
  var imgs = document.querySelectorAll('img.plot'), ok = 0;
  imgs.forEach(function (img) {
    if (img.complete && img.naturalWidth > 0) { ok++; } else { console.error('plot failed to load: ' + img.alt); }
  });
  document.documentElement.setAttribute('data-plots', ok + '/' + imgs.length);
});
`

type htmlTable struct {
	Title  string
	Header []htmlCell
	Rows   [][]htmlCell
}

type htmlCell struct {
	Text string
	Num  bool
}

func (t table) html() htmlTable {
	ht := htmlTable{Title: t.Title}
	for i, h := range t.Header {
		ht.Header = append(ht.Header, htmlCell{Text: h, Num: i < len(t.Right) && t.Right[i]})
	}
	for _, r := range t.Rows {
		var row []htmlCell
		for i, c := range r {
			row = append(row, htmlCell{Text: c, Num: i < len(t.Right) && t.Right[i]})
		}
		ht.Rows = append(ht.Rows, row)
	}
	return ht
}

type htmlPlot struct {
	Title, Alt string
	Src        template.URL
	SVGFile    string
	PNGFile    string
}

func embedPlot(p Plot, linkFiles bool) htmlPlot {
	hp := htmlPlot{
		Title: p.Title, Alt: p.Name,
		Src: template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(p.SVG)),
	}
	if linkFiles {
		hp.SVGFile, hp.PNGFile = p.Name+".svg", p.Name+".png"
	}
	return hp
}

type tlBar struct {
	Label      string
	Left, Wide string // CSS percentages
	Title      string
}

type tlTick struct {
	Left, Label string
}

// timeline lays out fault windows on the run's time axis.
func timeline(m *Metrics) (bars []tlBar, ticks []tlTick) {
	end := float64(m.Summary.DurationNs)
	if end <= 0 {
		return nil, nil
	}
	for _, f := range m.Faults {
		label := f.Name
		if f.Target != "" {
			label += " " + f.Target
		}
		left := 100 * float64(f.StartNs) / end
		wide := 100 * float64(f.StopNs-f.StartNs) / end
		bars = append(bars, tlBar{Label: label, Left: fmt.Sprintf("%.3f%%", left), Wide: fmt.Sprintf("%.3f%%", wide),
			Title: fmt.Sprintf("%s: %s to %s", label, time.Duration(f.StartNs), time.Duration(f.StopNs))})
	}
	for i := 0; i <= 5; i++ {
		t := time.Duration(end * float64(i) / 5)
		ticks = append(ticks, tlTick{Left: fmt.Sprintf("%d%%", i*20), Label: formatSimTime(t)})
	}
	return bars, ticks
}

type card struct{ Key, Value string }

// glance picks the figures people look for first.
func glance(m *Metrics) []card {
	s := &m.Summary
	return []card{
		{"publish rate", fmtRate(s.PublishRate) + " msg/s"},
		{"publish throughput", fmtFloat(s.PublishMiBps, 2) + " MiB/s"},
		{"consume rate", fmtRate(s.ConsumeRate) + " msg/s"},
		{"publish p99", FormatLatency(time.Duration(s.PublishLatency.P99Ns))},
		{"end-to-end p99", FormatLatency(time.Duration(s.EndToEndLatency.P99Ns))},
		{"publish delay p99", FormatLatency(time.Duration(s.PublishDelay.P99Ns))},
		{"publish errors", fmtInt(s.PublishFailed)},
		{"max backlog", fmtInt(s.MaxBacklog)},
	}
}

type reportAnomaly struct {
	Kind, Summary, Explanation, Details string
}

type reportPage struct {
	CSS        template.CSS
	JS         template.JS
	Name       string
	Seed       int64
	Reproduce  string
	Duration   string
	Interval   string
	Status     string
	StatusCSS  string
	Summary    string
	Anomalies  []reportAnomaly
	Porcupine  string
	Cards      []card
	Bars       []tlBar
	Ticks      []tlTick
	Plots      []htmlPlot
	Tables     []htmlTable
	Console    string
	Scenario   string
	Details    string
	HasDetails bool
}

var reportTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Name}} — logsim report</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<h1>{{.Name}}</h1>
<p class="meta">seed <code>{{.Seed}}</code> · simulated {{.Duration}} · interval {{.Interval}}{{if .Reproduce}} · reproduce: <code>{{.Reproduce}}</code>{{end}}</p>
<div class="verdict"><span class="badge {{.StatusCSS}}">{{.Status}}</span><span>{{.Summary}}</span></div>
<div class="cards">{{range .Cards}}<div class="card"><div class="v">{{.Value}}</div><div class="k">{{.Key}}</div></div>{{end}}</div>
{{if .Porcupine}}<p>Linearizability: <a href="{{.Porcupine}}">porcupine visualization of the checked history</a>.</p>{{end}}

<h2>Fault timeline</h2>
{{if .Bars}}<div class="timeline">
{{range .Bars}}<div class="tl-row"><span class="tl-label" title="{{.Label}}">{{.Label}}</span><div class="tl-bar" style="left:{{.Left}};width:{{.Wide}}" title="{{.Title}}"></div></div>
{{end}}<div class="tl-axis">{{range .Ticks}}<span style="left:{{.Left}}">{{.Label}}</span>{{end}}</div>
</div>{{else}}<p class="note">No faults were injected.</p>{{end}}

<h2>Anomalies</h2>
{{if .Anomalies}}{{range .Anomalies}}<div class="anomaly"><strong>{{.Kind}}</strong>: {{.Summary}}
{{if .Explanation}}<pre>{{.Explanation}}</pre>{{end}}{{if .Details}}<details><summary>checker details</summary><pre>{{.Details}}</pre></details>{{end}}</div>
{{end}}{{else}}<p class="note">The checker reported no anomalies.</p>{{end}}

<h2>Plots</h2>
{{range .Plots}}<figure><img class="plot" src="{{.Src}}" alt="{{.Alt}}"><figcaption>{{.Title}}{{if .SVGFile}} · <a href="{{.SVGFile}}">SVG</a> · <a href="{{.PNGFile}}">PNG</a>{{end}}</figcaption></figure>
{{end}}
<h2>Summary</h2>
<div class="tables">
{{range .Tables}}<h3>{{.Title}}</h3>
<table><thead><tr>{{range .Header}}<th{{if .Num}} class="num"{{end}}>{{.Text}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range .}}<td{{if .Num}} class="num"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody></table>
{{end}}</div>
<pre class="note">{{.Console}}</pre>

<h2>Scenario</h2>
<details><summary>resolved scenario (JSON)</summary><pre>{{.Scenario}}</pre></details>
{{if .HasDetails}}<details><summary>checker verdict (JSON)</summary><pre>{{.Details}}</pre></details>{{end}}
<p class="note">Files: result.json, omb-result.json, summary.md, *.hgrm, *.hlog, plots as SVG and PNG.</p>
</main>
<script>{{.JS}}</script>
</body>
</html>
`))

// prettyJSON renders v indented for display; errors become the text shown.
func prettyJSON(v any) string {
	if v == nil {
		return "null"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("(not JSON-able: %v)", err)
	}
	return strings.TrimRight(buf.String(), "\n")
}

func statusClass(v *Verdict) string {
	switch {
	case v.Passed():
		return "pass"
	case v.Status == "fail" || v.Status == "failed" || len(v.Anomalies) > 0:
		return "fail"
	}
	return ""
}

// WriteReportHTML writes report.html: one self-contained page (plots embedded as SVG)
// with the scenario, the verdict, the fault timeline, the plots, the summary tables,
// the anomalies explained and a link to the porcupine visualization when there is one.
func WriteReportHTML(w io.Writer, run *Run, plots []Plot) error {
	m := run.Metrics
	page := reportPage{
		CSS: template.CSS(pageCSS), JS: template.JS(plotCheckJS),
		Name: run.Name, Seed: run.Seed, Reproduce: run.Reproduce,
		Duration: time.Duration(m.Summary.DurationNs).String(), Interval: time.Duration(m.IntervalNs).String(),
		Status: orDash(run.Verdict.Status), StatusCSS: statusClass(&run.Verdict), Summary: run.Verdict.Summary,
		Porcupine: run.Porcupine, Console: ConsoleSummary(m), Scenario: prettyJSON(run.Scenario),
	}
	if run.Verdict.Details != nil {
		page.HasDetails, page.Details = true, prettyJSON(run.Verdict.Details)
	}
	for _, a := range run.Verdict.Anomalies {
		ra := reportAnomaly{Kind: a.Kind, Summary: a.Summary, Explanation: a.Explanation}
		if a.Details != nil {
			ra.Details = prettyJSON(a.Details)
		}
		page.Anomalies = append(page.Anomalies, ra)
	}
	page.Cards = glance(m)
	page.Bars, page.Ticks = timeline(m)
	for _, p := range plots {
		page.Plots = append(page.Plots, embedPlot(p, true))
	}
	for _, t := range runTables(m) {
		page.Tables = append(page.Tables, t.html())
	}
	var buf bytes.Buffer
	if err := reportTmpl.Execute(&buf, page); err != nil {
		return fmt.Errorf("report.html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
