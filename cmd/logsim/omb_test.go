package main

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/scenarios"
)

var (
	sampleWorkload = filepath.Join("..", "..", "scenarios", "testdata", "omb", "workload-1-topic-4-partitions-1kb.yaml")
	sampleDriver   = filepath.Join("..", "..", "scenarios", "testdata", "omb", "kafka-latency.yaml")
)

func parseOMBFlags(t *testing.T, args ...string) (ombFlags, []string) {
	t.Helper()
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o := addOMBFlags(fs)
	require.NoError(t, fs.Parse(args))
	return o, fs.Args()
}

func TestOMBFlagsRunTheSampleWorkload(t *testing.T) {
	o, args := parseOMBFlags(t, "--omb-workload", sampleWorkload, "--omb-driver", sampleDriver)
	require.True(t, o.given())
	s, used, err := o.scenario(args, []string{"duration=3s", "phases.heal=500ms", "cluster.config.group.initial.rebalance.delay.ms=0"})
	require.NoError(t, err)
	require.True(t, used)
	assert.Equal(t, "1_topic_4_partitions_1Kb", s.Name)

	out, err := scenarios.Run(s, scenarios.RunOptions{})
	require.NoError(t, err)
	require.Nil(t, out.Failure)
	assert.True(t, out.Passed, "%v", out.Reasons)
	m := out.Metrics
	require.NotNil(t, m)
	// 5,000 msg/s for 3 s of load and 0.5 s of heal, and the subscription's consumers read them.
	assert.InDelta(t, 17500, float64(out.Acked), 100)
	assert.Positive(t, m.Summary.ConsumeRate)
	assert.Equal(t, "1_topic_4_partitions_1Kb", out.Report().OMB.Workload)
}

func TestOMBFlagsErrors(t *testing.T) {
	o, args := parseOMBFlags(t, "quickstart")
	assert.False(t, o.given())
	_, used, err := o.scenario(args, nil)
	assert.False(t, used)
	assert.NoError(t, err)

	o, args = parseOMBFlags(t, "--omb-driver", sampleDriver)
	_, used, err = o.scenario(args, nil)
	assert.True(t, used)
	assert.ErrorContains(t, err, "--omb-driver needs --omb-workload")

	o, args = parseOMBFlags(t, "quickstart", "--omb-workload", sampleWorkload)
	_, _, err = o.scenario(args, nil)
	assert.ErrorContains(t, err, "either a scenario FILE or --omb-workload, not both")

	o, args = parseOMBFlags(t, "--omb-workload", sampleWorkload)
	_, _, err = o.scenario(args, []string{"producers.p_t0.config.lingr.ms=1"})
	assert.ErrorContains(t, err, "did you mean linger.ms?")

	o, args = parseOMBFlags(t, "--omb-workload", filepath.Join("..", "..", "scenarios", "testdata", "omb", "bad-workload.yaml"))
	_, _, err = o.scenario(args, nil)
	assert.ErrorContains(t, err, "bad-workload.yaml:13:24: warmupDurationMinutes: logsim cannot honour a warm-up")
}
