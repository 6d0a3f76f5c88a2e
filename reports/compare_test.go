package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smallGrid is a 2×2 sweep of linger.ms and compression.type. Lingering buys
// throughput with latency; lz4 buys bytes with CPU. The runs go through result.json
// and back, as `logsim report DIR...` reads them.
func smallGrid(t testing.TB) []Labeled {
	t.Helper()
	var runs []Labeled
	for _, linger := range []string{"0", "10"} {
		for _, codec := range []string{"none", "lz4"} {
			spec := synthSpec{Duration: 8 * time.Second, Rate: 800, Size: 1024, Partition: 4, Seed: 3, NoFaults: true, Compression: 1}
			if linger == "10" {
				spec.Rate, spec.LatencyScale = 1600, 3
			}
			if codec == "lz4" {
				spec.Rate += 100
				spec.Compression = 2.4
			}
			run := synthRun(spec)
			run.Verdict = Verdict{Status: "pass", Summary: "no anomalies"}
			label := fmt.Sprintf("linger.ms=%s %s", linger, codec)
			if label == "linger.ms=10 lz4" {
				run.Verdict = Verdict{Status: "fail", Summary: "1 anomaly", Anomalies: []Anomaly{{Kind: "duplicate", Summary: "offset 9 read twice"}}}
			}
			var buf bytes.Buffer
			require.NoError(t, WriteResultJSON(&buf, run))
			res, err := ParseResult(label+"/result.json", buf.Bytes())
			require.NoError(t, err)
			runs = append(runs, Labeled{
				Label:  label,
				Params: []Param{{Path: "producer.linger.ms", Value: linger}, {Path: "producer.compression.type", Value: codec}},
				Dir:    fmt.Sprintf("linger-%s-%s", linger, codec),
				Result: res,
			})
		}
	}
	return runs
}

func TestComparisonSmallGrid(t *testing.T) {
	runs := smallGrid(t)
	c := Compare(runs)
	require.Len(t, c.Rows, 4)
	assert.Equal(t, []string{"producer.linger.ms", "producer.compression.type"}, c.Params)
	byLabel := map[string]ComparisonRow{}
	for _, r := range c.Rows {
		byLabel[r.Label] = r
	}
	assert.InDelta(t, 1.0, byLabel["linger.ms=0 none"].CompressionRatio, 1e-9)
	assert.InDelta(t, 2.4, byLabel["linger.ms=0 lz4"].CompressionRatio, 0.01)
	assert.Greater(t, byLabel["linger.ms=10 none"].PublishRate, byLabel["linger.ms=0 none"].PublishRate)
	assert.Greater(t, byLabel["linger.ms=10 none"].PublishP99Ns, byLabel["linger.ms=0 none"].PublishP99Ns)
	assert.Less(t, byLabel["linger.ms=0 lz4"].WireBytesPerRecord, byLabel["linger.ms=0 none"].WireBytesPerRecord)

	// Within a tight p99 only the unlingered configurations qualify; lz4 is faster.
	best := c.BestWithinP99(8 * time.Millisecond)
	require.Len(t, best, 2)
	assert.Equal(t, "linger.ms=0 lz4", best[0].Label)
	assert.Equal(t, "linger.ms=0 none", best[1].Label)
	// With a loose limit the lingered ones win, but a failed run is never an answer.
	best = c.BestWithinP99(time.Hour)
	require.Len(t, best, 3)
	assert.Equal(t, "linger.ms=10 none", best[0].Label)
	assert.Equal(t, []string{"linger.ms=10 none", "linger.ms=0 lz4", "linger.ms=0 none"}, c.Best)
	assert.Empty(t, c.BestWithinP99(time.Microsecond))

	files, err := ComparisonFiles(runs, 8*time.Millisecond)
	require.NoError(t, err)
	checkGolden(t, "comparison.md.golden", files["comparison.md"])
	checkGolden(t, "comparison.csv.golden", files["comparison.csv"])
	checkGolden(t, "comparison.json.golden", files["comparison.json"])

	recs, err := csv.NewReader(bytes.NewReader(files["comparison.csv"])).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 5)
	assert.Equal(t, []string{"configuration", "producer.linger.ms", "producer.compression.type", "verdict", "publish_rate"}, recs[0][:5])
	var back Comparison
	require.NoError(t, json.Unmarshal(files["comparison.json"], &back))
	assert.Equal(t, []string{"linger.ms=0 lz4", "linger.ms=0 none"}, back.Best)
	assert.Equal(t, int64(8*time.Millisecond), back.P99LimitNs)

	for _, name := range []string{"compare-latency-percentiles", "compare-throughput-vs-p99", "compare-bytes-per-codec", "compare-cpu-per-codec"} {
		assert.NotEmpty(t, files[name+".svg"], name)
		assert.NotEmpty(t, files[name+".png"], name)
	}
	index := string(files["index.html"])
	assert.Contains(t, index, `<a href="linger-0-lz4/report.html">report</a>`)
	assert.Contains(t, index, "Highest throughput within p99 publish latency ≤ 8.000 ms: linger.ms=0 lz4.")
	assert.Contains(t, index, `<tr class="best">`)

	// Same input, same bytes.
	again, err := ComparisonFiles(smallGrid(t), 8*time.Millisecond)
	require.NoError(t, err)
	for name, data := range files {
		assert.True(t, bytes.Equal(data, again[name]), "%s differs between two runs", name)
	}
}

func TestReadRuns(t *testing.T) {
	base := t.TempDir()
	run := synthRun(synthSpec{Duration: 3 * time.Second, Rate: 100, Size: 100, Partition: 1, Seed: 9, NoFaults: true})
	var dirs []string
	for _, d := range []string{"a", "b"} {
		dir := filepath.Join(base, d)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		var buf bytes.Buffer
		require.NoError(t, WriteResultJSON(&buf, run))
		require.NoError(t, os.WriteFile(filepath.Join(dir, ResultFile), buf.Bytes(), 0o644))
		dirs = append(dirs, dir)
	}
	runs, err := ReadRuns(dirs)
	require.NoError(t, err)
	require.Len(t, runs, 2)
	assert.Equal(t, "partition-and-crash ("+dirs[0]+")", runs[0].Label, "same names are told apart by path")
	assert.Equal(t, dirs[1], runs[1].Dir)

	_, err = ReadRuns([]string{dirs[0], filepath.Join(base, "missing")})
	require.ErrorContains(t, err, filepath.Join(base, "missing"))
}
