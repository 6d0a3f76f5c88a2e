package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenSpec is small enough for readable golden files and still has both faults.
var goldenSpec = synthSpec{Duration: 20 * time.Second, Rate: 200, Size: 512, Partition: 4, Seed: 42}

func goldenRun(t testing.TB) *Run {
	t.Helper()
	return synthRun(goldenSpec)
}

// checkGolden compares got with testdata/name, or rewrites it under -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test ./reports -run %s -update", t.Name())
	if !bytes.Equal(want, got) {
		// Show the first differing line rather than two huge blobs.
		wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
		for i := 0; i < max(len(wl), len(gl)); i++ {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Fatalf("%s differs from the golden file at line %d:\nwant: %s\ngot:  %s\n(run with -update if the change is intended)", name, i+1, w, g)
			}
		}
	}
}

func TestGoldenFiles(t *testing.T) {
	run := goldenRun(t)
	files, err := RunFiles(run)
	require.NoError(t, err)
	for _, name := range []string{ResultFile, OMBResultFile, SummaryFile,
		"publish-latency.hgrm", "publish-delay.hgrm", "end-to-end-latency.hgrm"} {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, files, name)
			checkGolden(t, name+".golden", files[name])
		})
	}
	// The console summary is part of summary.md but worth its own golden line.
	checkGolden(t, "console.txt.golden", []byte(ConsoleSummary(run.Metrics)))
}

func TestRunFilesComplete(t *testing.T) {
	dir := t.TempDir()
	// Another file in the folder (the porcupine visualization) must survive.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "linearizability.html"), []byte("<html></html>"), 0o644))
	names, err := WriteRun(dir, goldenRun(t))
	require.NoError(t, err)
	want := []string{"omb-result.json", "report.html", "result.json", "summary.md"}
	for _, k := range LatencyKinds {
		want = append(want, k.FileStem()+".hgrm", k.FileStem()+".hlog")
	}
	for _, p := range []string{"latency-percentiles", "throughput", "publish-latency-over-time", "end-to-end-latency-over-time",
		"publish-delay-over-time", "backlog", "lag", "brokers"} {
		want = append(want, p+".svg", p+".png")
	}
	sort.Strings(want)
	assert.Equal(t, want, names)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, len(want)+1)
	for _, e := range entries {
		info, err := e.Info()
		require.NoError(t, err)
		assert.Positive(t, info.Size(), e.Name())
	}
}

func TestHgrmMatchesHdrHistogramConventions(t *testing.T) {
	h := newHistogram()
	for i := int64(1); i <= 1000; i++ {
		require.NoError(t, h.RecordValue(i*int64(time.Microsecond)*10))
	}
	var ours bytes.Buffer
	require.NoError(t, WriteHgrm(&ours, h))
	lines := strings.Split(strings.TrimRight(ours.String(), "\n"), "\n")
	// Java's footer: mean and standard deviation from the buckets' median values, the
	// maximum as the highest equivalent value, and the geometry of 1 µs .. 1 h at 3
	// significant digits in nanoseconds.
	assert.Equal(t, []string{
		"#[Mean    =        5.005, StdDeviation   =        2.887]",
		"#[Max     =       10.002, Total count    =         1000]",
		"#[Buckets =           23, SubBuckets     =         2048]",
	}, lines[len(lines)-3:])
	assert.Equal(t, "       Value     Percentile TotalCount 1/(1-Percentile)", lines[0])
	assert.Equal(t, "", lines[1])
	// Data rows: 4 fields (value ms, fraction, count, 1/(1-p)); the 100 % row has 3.
	rows := 0
	for _, l := range lines[2:] {
		if strings.HasPrefix(l, "#") {
			continue
		}
		rows++
		f := strings.Fields(l)
		if strings.HasPrefix(f[1], "1.000000000000") {
			assert.Len(t, f, 3, l)
			assert.Equal(t, "10.002", f[0], "the maximum in ms (HdrHistogram's highest equivalent value)")
			assert.Equal(t, "1000", f[2])
		} else {
			assert.Len(t, f, 4, l)
		}
	}
	assert.Greater(t, rows, 20)
	assert.Contains(t, ours.String(), "\n       5.001 0.500000000000        500           2.00\n")
}

func TestHlogReadableByHdrHistogram(t *testing.T) {
	run := goldenRun(t)
	m := run.Metrics
	for _, k := range LatencyKinds {
		var buf bytes.Buffer
		require.NoError(t, WriteHlog(&buf, m, k))
		rd := hdrhistogram.NewHistogramLogReader(&buf)
		var n int
		var total int64
		for {
			h, err := rd.NextIntervalHistogram()
			require.NoError(t, err)
			if h == nil {
				break
			}
			require.Equal(t, m.Intervals[n].Latency(k).Count, h.TotalCount(), "%v interval %d", k, n)
			if h.TotalCount() > 0 {
				require.Equal(t, m.Intervals[n].Latency(k).MaxNs, h.Max(), "%v interval %d", k, n)
			}
			total += h.TotalCount()
			n++
		}
		assert.Equal(t, len(m.Intervals), n, k.String())
		assert.Equal(t, m.Summary.Latency(k).Count, total, k.String())
	}
	var buf bytes.Buffer
	require.NoError(t, WriteHlog(&buf, m, PublishLatency))
	lines := strings.Split(buf.String(), "\n")
	assert.Equal(t, "#[Histogram log format version 1.3]", lines[1])
	assert.Equal(t, `"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"`, lines[3])
	assert.Regexp(t, `^0\.000,1\.000,\d+\.\d{3},HISTF`, lines[4])

	// Metrics read back from JSON carry no interval histograms: a clear error.
	res, err := ParseResult("result.json", mustJSON(t, ResultOf(run)))
	require.NoError(t, err)
	err = WriteHlog(io.Discard, res.Metrics, PublishDelay)
	require.ErrorContains(t, err, "per-interval histograms are not available")
}

func mustJSON(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	require.NoError(t, writeJSON(&buf, v))
	return buf.Bytes()
}

// ombTestResultFields are the public fields of OpenMessaging Benchmark's TestResult
// (benchmark-framework/.../TestResult.java), with the unit each is reported in.
var ombTestResultFields = map[string]string{
	"workload": "", "driver": "", "messageSize": "bytes", "topics": "", "partitions": "",
	"producersPerTopic": "", "consumersPerTopic": "",
	"publishRate": "msg/s", "publishErrorRate": "err/s", "consumeRate": "msg/s", "backlog": "msgs",
	"publishLatencyAvg": "ms", "publishLatency50pct": "ms", "publishLatency75pct": "ms", "publishLatency95pct": "ms",
	"publishLatency99pct": "ms", "publishLatency999pct": "ms", "publishLatency9999pct": "ms", "publishLatency99999pct": "ms",
	"publishLatencyMax":      "ms",
	"publishDelayLatencyAvg": "us", "publishDelayLatency50pct": "us", "publishDelayLatency75pct": "us",
	"publishDelayLatency95pct": "us", "publishDelayLatency99pct": "us", "publishDelayLatency999pct": "us",
	"publishDelayLatency9999pct": "us", "publishDelayLatency99999pct": "us", "publishDelayLatencyMax": "us",
	"aggregatedPublishLatencyAvg": "ms", "aggregatedPublishLatency50pct": "ms", "aggregatedPublishLatency75pct": "ms",
	"aggregatedPublishLatency95pct": "ms", "aggregatedPublishLatency99pct": "ms", "aggregatedPublishLatency999pct": "ms",
	"aggregatedPublishLatency9999pct": "ms", "aggregatedPublishLatency99999pct": "ms", "aggregatedPublishLatencyMax": "ms",
	"aggregatedPublishDelayLatencyAvg": "us", "aggregatedPublishDelayLatency50pct": "us",
	"aggregatedPublishDelayLatency75pct": "us", "aggregatedPublishDelayLatency95pct": "us",
	"aggregatedPublishDelayLatency99pct": "us", "aggregatedPublishDelayLatency999pct": "us",
	"aggregatedPublishDelayLatency9999pct": "us", "aggregatedPublishDelayLatency99999pct": "us",
	"aggregatedPublishDelayLatencyMax":  "us",
	"aggregatedPublishLatencyQuantiles": "ms", "aggregatedPublishDelayLatencyQuantiles": "us",
	"endToEndLatencyAvg": "ms", "endToEndLatency50pct": "ms", "endToEndLatency75pct": "ms", "endToEndLatency95pct": "ms",
	"endToEndLatency99pct": "ms", "endToEndLatency999pct": "ms", "endToEndLatency9999pct": "ms",
	"endToEndLatency99999pct": "ms", "endToEndLatencyMax": "ms",
	"aggregatedEndToEndLatencyQuantiles": "ms",
	"aggregatedEndToEndLatencyAvg":       "ms", "aggregatedEndToEndLatency50pct": "ms", "aggregatedEndToEndLatency75pct": "ms",
	"aggregatedEndToEndLatency95pct": "ms", "aggregatedEndToEndLatency99pct": "ms", "aggregatedEndToEndLatency999pct": "ms",
	"aggregatedEndToEndLatency9999pct": "ms", "aggregatedEndToEndLatency99999pct": "ms", "aggregatedEndToEndLatencyMax": "ms",
}

func TestOMBResultFieldsAndUnits(t *testing.T) {
	// Known latencies: publish 2 ms, publish delay 250 µs, end-to-end 7 ms, 100 msg/s
	// for 30 s, so every window (10 s) has 1000 records.
	r := NewRecorder(Config{})
	for i := range 3000 {
		intended := time.Duration(i) * 10 * ms
		sent := intended + 250*time.Microsecond
		r.PublishSent(sent, intended, 1024)
		r.PublishAcked(sent+2*ms, sent, 1024)
		r.Consumed(sent+7*ms, "sub", sent, 1024)
	}
	run := &Run{Name: "units", OMB: OMBInfo{Workload: "1-topic-1-partition-1kb", Driver: "Kafka", MessageSize: 1024,
		Topics: 1, Partitions: 1, ProducersPerTopic: 1, ConsumersPerTopic: 1}, Metrics: r.Finish(30 * time.Second)}
	var buf bytes.Buffer
	require.NoError(t, WriteOMBResult(&buf, run))

	var got map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(buf.Bytes(), &got))
	keys := func(m map[string]json.RawMessage) []string {
		var ks []string
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	}
	var want []string
	for k := range ombTestResultFields {
		want = append(want, k)
	}
	sort.Strings(want)
	assert.Equal(t, want, keys(got), "exactly OMB's TestResult fields")

	var o struct {
		MessageSize                            int64              `json:"messageSize"`
		PublishRate                            []float64          `json:"publishRate"`
		ConsumeRate                            []float64          `json:"consumeRate"`
		PublishLatency50pct                    []float64          `json:"publishLatency50pct"`
		PublishDelayLatency99pct               []int64            `json:"publishDelayLatency99pct"`
		EndToEndLatencyMax                     []float64          `json:"endToEndLatencyMax"`
		AggregatedPublishLatency99pct          float64            `json:"aggregatedPublishLatency99pct"`
		AggregatedPublishDelayLatency50pct     int64              `json:"aggregatedPublishDelayLatency50pct"`
		AggregatedEndToEndLatencyAvg           float64            `json:"aggregatedEndToEndLatencyAvg"`
		AggregatedPublishLatencyQuantiles      map[string]float64 `json:"aggregatedPublishLatencyQuantiles"`
		AggregatedPublishDelayLatencyQuantiles map[string]int64   `json:"aggregatedPublishDelayLatencyQuantiles"`
	}
	require.NoError(t, json.Unmarshal(buf.Bytes(), &o), "types match TestResult (long fields are integers)")
	assert.Equal(t, int64(1024), o.MessageSize)
	assert.Equal(t, []float64{100, 100, 100}, o.PublishRate, "msg/s per 10 s window")
	assert.Equal(t, []float64{100, 100, 100}, o.ConsumeRate)
	for _, v := range o.PublishLatency50pct {
		assert.InDelta(t, 2.0, v, 0.002, "publish latency in ms")
	}
	for _, v := range o.PublishDelayLatency99pct {
		assert.InDelta(t, 250, v, 1, "publish delay in µs")
	}
	for _, v := range o.EndToEndLatencyMax {
		assert.InDelta(t, 7.0, v, 0.007, "end-to-end latency in ms")
	}
	assert.InDelta(t, 2.0, o.AggregatedPublishLatency99pct, 0.002)
	assert.InDelta(t, 250, o.AggregatedPublishDelayLatency50pct, 1)
	assert.InDelta(t, 7.0, o.AggregatedEndToEndLatencyAvg, 0.007)
	require.Contains(t, o.AggregatedPublishLatencyQuantiles, "100.0", "Java Double.toString keys")
	assert.InDelta(t, 2.0, o.AggregatedPublishLatencyQuantiles["100.0"], 0.002)
	assert.InDelta(t, 250, o.AggregatedPublishDelayLatencyQuantiles["100.0"], 1)
	// Keys appear in ascending numeric order, as in OMB's TreeMap.
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	var inMap bool
	var last float64 = -1
	var keysSeen int
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if tok == "aggregatedPublishLatencyQuantiles" {
			inMap = true
			continue
		}
		if inMap {
			if d, ok := tok.(json.Delim); ok {
				if d == '}' {
					break
				}
				continue
			}
			k, ok := tok.(string)
			require.True(t, ok, "key expected, got %v", tok)
			var p float64
			_, err := fmt.Sscan(k, &p)
			require.NoError(t, err)
			assert.Greater(t, p, last, "key %s after %v", k, last)
			last = p
			keysSeen++
			_, err = dec.Token() // the value
			require.NoError(t, err)
		}
	}
	assert.Equal(t, 2, keysSeen, "one value: one level at the last bucket, then 100.0")

	// A realistic distribution gives the long tail of keys OMB's files have.
	var gb bytes.Buffer
	require.NoError(t, WriteOMBResult(&gb, goldenRun(t)))
	var g struct {
		Q map[string]float64 `json:"aggregatedEndToEndLatencyQuantiles"`
	}
	require.NoError(t, json.Unmarshal(gb.Bytes(), &g))
	assert.Greater(t, len(g.Q), 500)
}

// TestPercentileIterationFollowsJava pins the behaviour of hdrhistogram-go's
// percentile iteration that the .hgrm files, OMB's quantile maps and the percentile
// plots rely on: like Java's PercentileIterator it reports every level reached within
// one bucket, and one level at the last recorded value before a final 100 % step.
func TestPercentileIterationFollowsJava(t *testing.T) {
	h := newHistogram()
	require.NoError(t, h.RecordValues(int64(ms), 50))
	require.NoError(t, h.RecordValues(int64(2*ms), 50))
	steps := h.CumulativeDistributionWithTicks(5)
	var levels []float64
	for _, s := range steps {
		levels = append(levels, s.Quantile)
	}
	// Java reports every level reached at the 1 ms bucket (0..50 by 10), one level at
	// the last bucket, then 100.
	assert.Equal(t, []float64{0, 10, 20, 30, 40, 50, 55, 100}, levels)
	assert.Equal(t, int64(50), steps[5].Count)
	assert.Equal(t, h.Max(), steps[7].ValueAt)
	assert.InDelta(t, float64(ms), float64(steps[0].ValueAt), float64(ms)/500)
}

func TestJavaDouble(t *testing.T) {
	assert.Equal(t, "50.0", javaDouble(50))
	assert.Equal(t, "0.0", javaDouble(0))
	assert.Equal(t, "99.99999171574638", javaDouble(99.99999171574638))
	assert.Equal(t, "1.953125", javaDouble(1.953125))
}

func TestPlotsValidAndDeterministic(t *testing.T) {
	run := goldenRun(t)
	first, err := RunPlots(run.Metrics)
	require.NoError(t, err)
	// A second, independent run of the same input.
	second, err := RunPlots(goldenRun(t).Metrics)
	require.NoError(t, err)
	require.Len(t, second, len(first))
	require.Len(t, first, 8)
	names := RunPlotNames(run.Metrics)
	require.Len(t, names, len(first))
	for i, p := range first {
		assert.Equal(t, names[i], p.Name)
		assert.Equal(t, p.Name, second[i].Name)
		assert.True(t, bytes.Equal(p.SVG, second[i].SVG), "%s.svg differs between two runs", p.Name)
		assert.True(t, bytes.Equal(p.PNG, second[i].PNG), "%s.png differs between two runs", p.Name)

		img, err := png.Decode(bytes.NewReader(p.PNG))
		require.NoError(t, err, p.Name)
		b := img.Bounds()
		assert.Greater(t, b.Dx(), 900, p.Name)
		assert.Greater(t, b.Dy(), 500, p.Name)
		// Not blank: count pixels that are not white.
		ink := 0
		for y := b.Min.Y; y < b.Max.Y; y += 3 {
			for x := b.Min.X; x < b.Max.X; x += 3 {
				if r, g, bl, _ := img.At(x, y).RGBA(); r < 0xf000 || g < 0xf000 || bl < 0xf000 {
					ink++
				}
			}
		}
		assert.Greater(t, ink, 1000, "%s.png looks empty", p.Name)

		dec := xml.NewDecoder(bytes.NewReader(p.SVG))
		var root string
		for {
			tok, err := dec.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err, "%s.svg is not well-formed XML", p.Name)
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		assert.Equal(t, "svg", root, p.Name)
		assert.Contains(t, string(p.SVG), "<path", p.Name)
	}
}

func TestPlotsOfAnEmptyRun(t *testing.T) {
	m := NewRecorder(Config{}).Finish(5 * time.Second)
	plots, err := RunPlots(m)
	require.NoError(t, err)
	for _, p := range plots {
		assert.NotEmpty(t, p.PNG, p.Name)
	}
	_, err = RunFiles(&Run{Name: "empty", Metrics: m})
	require.NoError(t, err)

	// Every latency the same: log axes still get a range around it.
	r := NewRecorder(Config{})
	for i := range 100 {
		at := time.Duration(i) * 10 * ms
		r.PublishSent(at, at, 1)
		r.PublishAcked(at+2*ms, at, 1)
	}
	plots, err = RunPlots(r.Finish(time.Second + 5*ms))
	require.NoError(t, err)
	assert.Len(t, plots, 6)
}

func TestResultRoundTrip(t *testing.T) {
	run := goldenRun(t)
	dir := t.TempDir()
	_, err := WriteRun(dir, run)
	require.NoError(t, err)
	res, err := ReadResult(dir)
	require.NoError(t, err)
	assert.Equal(t, run.Name, res.Name)
	assert.Equal(t, run.Seed, res.Seed)
	assert.Equal(t, run.Metrics.Summary, res.Metrics.Summary)
	assert.Equal(t, run.Metrics.Intervals, res.Metrics.Intervals)
	assert.Equal(t, run.Verdict.Anomalies[0].Explanation, res.Verdict.Anomalies[0].Explanation)
	for _, k := range LatencyKinds {
		a, err := run.Metrics.Histogram(k)
		require.NoError(t, err)
		b, err := res.Metrics.Histogram(k)
		require.NoError(t, err)
		assert.True(t, a.Equals(b), k.String())
	}
	// Rebuilding from result.json gives the same result.json, plots and summary.
	again, err := RunFiles(res.Run())
	require.NoError(t, err)
	orig, err := os.ReadFile(filepath.Join(dir, ResultFile))
	require.NoError(t, err)
	assert.Equal(t, string(orig), string(again[ResultFile]))
	png1, err := os.ReadFile(filepath.Join(dir, "latency-percentiles.png"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(png1, again["latency-percentiles.png"]))
	assert.NotContains(t, again, "publish-latency.hlog")
}

func TestResultKeepsOpaqueValuesVerbatim(t *testing.T) {
	type scenario struct {
		Zeta  int    `json:"zeta"`
		Alpha string `json:"alpha"`
	}
	run := &Run{Name: "s", Scenario: scenario{Zeta: 1, Alpha: "a"},
		Verdict: Verdict{Status: "pass", Details: scenario{Zeta: 2}}, Metrics: NewRecorder(Config{}).Finish(time.Second)}
	first := mustJSON(t, ResultOf(run))
	res, err := ParseResult("result.json", first)
	require.NoError(t, err)
	again := mustJSON(t, res)
	assert.Equal(t, string(first), string(again), "field order of the caller's struct survives a round trip")
	assert.Contains(t, string(again), "\"zeta\": 1,\n    \"alpha\": \"a\"")
	assert.NotContains(t, string(again), "null", "empty lists are [], not null")

	// Absent values stay absent.
	run.Scenario, run.Verdict.Details = nil, nil
	res, err = ParseResult("result.json", mustJSON(t, ResultOf(run)))
	require.NoError(t, err)
	assert.Nil(t, res.Scenario)
	assert.Nil(t, res.Verdict.Details)
}

func TestReadResultErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	_, err := ReadResult(filepath.Join(dir, "missing.json"))
	require.ErrorContains(t, err, "missing.json")

	p := write("old.json", `{"schema": "logsim.result", "version": 0, "metrics": {}}`)
	_, err = ReadResult(p)
	require.EqualError(t, err, p+": result version is 0; this logsim reads version 1 (rerun the scenario to regenerate it)")

	p = write("other.json", `{"workload": "x"}`)
	_, err = ReadResult(p)
	require.EqualError(t, err, p+`: schema is missing; a logsim result has "schema": "logsim.result"`)

	p = write("broken.json", "{\n  \"schema\": \"logsim.result\",\n  \"version\": 1,\n  \"seed\": \"seven\"\n}")
	_, err = ReadResult(p)
	require.ErrorContains(t, err, p+": line 4, column")
	require.ErrorContains(t, err, "seed")

	p = write("truncated.json", `{"schema": "logsim.result", "vers`)
	_, err = ReadResult(p)
	require.ErrorContains(t, err, p+": not a logsim result: line 1, column")

	p = write("unknown.json", `{"schema": "logsim.result", "version": 1, "metrics": {}, "colour": 1}`)
	_, err = ReadResult(p)
	require.ErrorContains(t, err, `unknown field "colour"`)

	p = write("short.json", `{"schema": "logsim.result", "version": 1, "metrics": {"interval_ns": 1000000000,
		"intervals": [{"start_ns": 0, "end_ns": 1000000000}], "lags": [{"group": "g", "topic": "t", "partition": 0, "lag": []}]}}`)
	_, err = ReadResult(p)
	require.EqualError(t, err, p+": metrics.lags[0].lag: 0 elements for 1 intervals")

	p = write("badhist.json", `{"schema": "logsim.result", "version": 1, "metrics": {"histograms": {"publish_latency": "HISTFAAAA"}}}`)
	_, err = ReadResult(p)
	require.ErrorContains(t, err, p+": metrics.histograms: publish latency histogram")
}

func TestSummaryAndReportContent(t *testing.T) {
	run := goldenRun(t)
	files, err := RunFiles(run)
	require.NoError(t, err)
	page := string(files[ReportFile])
	for _, want := range []string{
		"<title>partition-and-crash — logsim report</title>",
		`<span class="badge fail">fail</span>`,
		`<a href="linearizability.html">`,
		"lost-write", "the new leader (broker 3) truncated its log to offset 516.",
		`class="tl-bar"`, "partition broker-2 | rest", "crash broker-1",
		"Latency by percentile", `src="data:image/svg&#43;xml;base64,`,
		"logsim run scenarios/partition-and-crash.yaml --seed 42",
		"&#34;compression.type&#34;: &#34;lz4&#34;",
	} {
		assert.True(t, strings.Contains(page, want), "report.html lacks %q", want)
	}
	assert.Equal(t, 8, strings.Count(page, `<img class="plot"`))
	assert.False(t, strings.Contains(page, "<script src"), "self-contained: no external script")
	assert.False(t, strings.Contains(page, "<link "), "self-contained: no external stylesheet")
	// Without a porcupine file there is no link.
	run.Porcupine = ""
	var buf bytes.Buffer
	require.NoError(t, WriteReportHTML(&buf, run, nil))
	assert.NotContains(t, buf.String(), "porcupine visualization")
}

// BenchmarkReport builds every file of a run of 10 simulated minutes with 1 s
// intervals (2,000 msg/s, two consumer groups, three brokers, two faults).
func BenchmarkReport(b *testing.B) {
	run := synthRun(synthSpec{Duration: 10 * time.Minute, Rate: 2000, Size: 1024, Partition: 12, Seed: 1})
	b.ResetTimer()
	for b.Loop() {
		files, err := RunFiles(run)
		if err != nil {
			b.Fatal(err)
		}
		if len(files) < 20 {
			b.Fatalf("only %d files", len(files))
		}
	}
}

// FuzzParseResult: result.json is user input for `logsim report`; no content panics.
func FuzzParseResult(f *testing.F) {
	f.Add([]byte(`{"schema": "logsim.result", "version": 1, "metrics": {}}`))
	f.Add([]byte(`{"schema": "logsim.result", "version": 1, "metrics": {"histograms": {"publish_latency": "HISTFAAAACl42pNpmSzMwMDAxQABzFCaEUzOmNZg/wEi0NzIyPSYlLWYlYWZiRMAaJYGPQ=="}}}`))
	f.Add([]byte(`{"schema": "logsim.result", "version": 2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := ParseResult("fuzz.json", data)
		if err == nil {
			require.NotNil(t, res.Metrics)
			// What `logsim report` does next must not panic either (plots excepted:
			// too slow for fuzzing; TestReadResultErrors covers their inputs).
			run := res.Run()
			require.NoError(t, WriteSummaryMarkdown(io.Discard, run))
			_, err := OMBResultOf(run)
			require.NoError(t, err)
			require.NoError(t, WriteReportHTML(io.Discard, run, nil))
		} else {
			require.True(t, strings.HasPrefix(err.Error(), "fuzz.json: "), err.Error())
		}
	})
}
