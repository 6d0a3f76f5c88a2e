package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/scenarios"
)

func runRunArgs(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runRun(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunCommandPassesAndWritesTheOutputFolder(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(t.TempDir(), "cpu.prof")
	code, out, errOut := runRunArgs("quickstart", "--seed", "3", "--out", dir, "--set", "duration=2s", "--set", "phases.heal=1s", "--trace", "--cpuprofile", prof)
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "verdict: PASS")
	assert.Contains(t, out, "records sent")
	assert.Contains(t, out, "fingerprint: ")
	for _, f := range []string{scenarios.ScenarioFile, scenarios.HistoryFile, "result.json", "report.html", "trace.log"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	resolved, err := os.ReadFile(filepath.Join(dir, scenarios.ScenarioFile))
	require.NoError(t, err)
	assert.Contains(t, string(resolved), "seed: 3")
	p, err := os.ReadFile(prof)
	require.NoError(t, err)
	require.Greater(t, len(p), 2)
	assert.Equal(t, []byte{0x1f, 0x8b}, p[:2], "a CPU profile is gzipped protobuf")
}

func TestRunCommandFailsWithTheReproduction(t *testing.T) {
	code, out, _ := runRunArgs("quickstart", "--out", t.TempDir(), "--set", "duration=2s", "--set", "phases.heal=0s",
		"--set", "expect.anomalies=[lost-write]", "--set", "expect.valid=false")
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, out, "verdict: FAIL")
	assert.Contains(t, out, "expected anomaly lost-write was not found")
	assert.Contains(t, out, "reproduce: logsim run quickstart --seed 1 --set duration=2s --set phases.heal=0s")
}

func TestRunCommandBadInput(t *testing.T) {
	code, _, errOut := runRunArgs("quickstart", "--set", "producers.p.config.lingr.ms=5")
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, "did you mean linger.ms")
	code, _, errOut = runRunArgs("quickstart", "--seed", "x")
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, "--seed")
	code, _, _ = runRunArgs()
	assert.Equal(t, exitBadUser, code)
	code, _, _ = runRunArgs("no-such-file.yaml")
	assert.Equal(t, exitBadUser, code)
	code, _, errOut = runRunArgs("quickstart", "--set", "duration=1s", "--out", t.TempDir(), "--cpuprofile", filepath.Join(t.TempDir(), "missing", "cpu.prof"))
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, "--cpuprofile")
}

func TestRunCommandRunsAnOMBWorkload(t *testing.T) {
	omb := filepath.Join("..", "..", "scenarios", "testdata", "omb")
	dir := t.TempDir()
	code, out, errOut := runRunArgs("--omb-workload", filepath.Join(omb, "workload-1-topic-4-partitions-1kb.yaml"),
		"--omb-driver", filepath.Join(omb, "kafka-latency.yaml"), "--out", dir, "--set", "duration=2s", "--set", "phases.heal=1s")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "verdict: PASS")
	assert.FileExists(t, filepath.Join(dir, "omb-result.json"))

	code, _, errOut = runRunArgs("quickstart", "--omb-workload", filepath.Join(omb, "workload-1-topic-4-partitions-1kb.yaml"))
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, "not both")
	code, _, errOut = runRunArgs("--omb-workload", filepath.Join(omb, "bad-workload.yaml"))
	assert.Equal(t, exitBadUser, code)
	assert.Contains(t, errOut, "did you mean partitionsPerTopic")
}
