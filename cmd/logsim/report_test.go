package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/reports"
	"logsim/scenarios"
)

func runReportArgs(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runReport(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// sweepOnce runs the short 2x2 sweep once for the report tests.
func sweepOnce(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	code, out, errOut := runSweepArgs(shortSweep(dir, "--progress", "never")...)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	return dir
}

func TestReportRebuildsARunAndComparesRuns(t *testing.T) {
	sweep := sweepOnce(t)
	run := filepath.Join(sweep, "linger.ms=0_compression.type=zstd")

	// Rebuild: from result.json alone, every report file comes back byte for byte.
	rebuilt := t.TempDir()
	code, out, errOut := runReportArgs(filepath.Join(run, reports.ResultFile), "--out", rebuilt)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "records sent")
	assert.Contains(t, out, "verdict: pass")
	entries, err := os.ReadDir(rebuilt)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		want, err := os.ReadFile(filepath.Join(run, e.Name()))
		require.NoError(t, err, e.Name())
		got, err := os.ReadFile(filepath.Join(rebuilt, e.Name()))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), "%s differs from the run's own", e.Name())
	}
	for _, f := range []string{"report.html", "omb-result.json", "summary.md", "publish-latency.hlog", "publish-latency.hgrm", "throughput.png"} {
		assert.Contains(t, names, f)
	}

	// In place: a deleted report comes back.
	require.NoError(t, os.Remove(filepath.Join(run, reports.ReportFile)))
	code, _, errOut = runReportArgs(run)
	require.Equal(t, exitOK, code, errOut)
	assert.FileExists(t, filepath.Join(run, reports.ReportFile))

	// A sweep's folder stands for its configurations: the comparison is rebuilt in it,
	// here with a p99 bound the sweep did not have.
	require.NoError(t, os.Remove(filepath.Join(sweep, "index.html")))
	code, out, errOut = runReportArgs(sweep, "--p99", "15ms")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "highest throughput within p99 publish latency <= 15ms:")
	assert.Contains(t, out, "compared 4 run(s)")
	assert.FileExists(t, filepath.Join(sweep, "index.html"))
	md, err := os.ReadFile(filepath.Join(sweep, "comparison.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "| linger.ms=20 compression.type=zstd | 20 | zstd |", "labels and parameters survive")

	// Several folders: a run and a sweep, compared in a new folder that links back.
	single := t.TempDir()
	code, _, errOut = runRunArgs("batching-compression", "--out", single, "--progress", "never",
		"--set", "duration=1s", "--set", "phases.heal=500ms", "--set", "producers.p.rate=2000/s", "--set", "expect.throughput.min=1000/s")
	require.Equal(t, exitOK, code, errOut)
	cmpDir := filepath.Join(t.TempDir(), "cmp")
	code, out, errOut = runReportArgs(single, sweep, "--out", cmpDir)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "compared 5 run(s)")
	assert.Contains(t, out, "no p99 bound given")
	index, err := os.ReadFile(filepath.Join(cmpDir, "index.html"))
	require.NoError(t, err)
	rel, err := filepath.Rel(cmpDir, filepath.Join(sweep, "linger.ms=0_compression.type=none"))
	require.NoError(t, err)
	assert.Contains(t, string(index), `href="`+filepath.ToSlash(rel)+`/report.html"`)
	csv, err := os.ReadFile(filepath.Join(cmpDir, "comparison.csv"))
	require.NoError(t, err)
	assert.Equal(t, 6, strings.Count(string(csv), "\n"), "a header and five rows")
}

func TestReportBadInput(t *testing.T) {
	code, _, errOut := runReportArgs()
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, "expected at least one output folder")

	dir := t.TempDir()
	code, _, errOut = runReportArgs(dir)
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, "result.json")

	require.NoError(t, os.WriteFile(filepath.Join(dir, reports.ResultFile), []byte(`{"schema": "other"}`), 0o644))
	code, _, errOut = runReportArgs(dir)
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, `schema is "other"`)

	sweep := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(sweep, comparisonFile), []byte(`{"rows": [{"label": "a", "dir": "gone"}]}`), 0o644))
	code, _, errOut = runReportArgs(sweep)
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, `configuration "a": `+filepath.Join(sweep, "gone", reports.ResultFile)+" is missing")

	code, _, errOut = runReportArgs(dir, "--p99", "-3ms")
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, "--p99")
}

func TestSweepTrackerDrawsABar(t *testing.T) {
	var buf bytes.Buffer
	tr := newSweepTracker(&buf, 2, true)
	sw, err := scenarios.LoadSweep("batching-compression", nil, nil)
	require.NoError(t, err)
	tr.started(sw.Configs[0], 10*time.Second)
	tr.progress(sw.Configs[0], reports.Progress{Now: 5 * time.Second, PublishRate: 1000})
	tr.done(sw.Configs[0], nil, os.ErrNotExist, 0)
	tr.finish()
	s := buf.String()
	assert.Contains(t, s, "\r\x1b[K[")
	assert.Contains(t, s, "0/2 done, 1 running")
	assert.Contains(t, s, "linger.ms=0 compression.type=none [")
	assert.Contains(t, s, "[1/2] done  linger.ms=0 compression.type=none: could not run")
	assert.Contains(t, s, "[============            ] 1/2 done, 0 running", "half the configurations done: half the bar")
}
