package scenarios

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSweepParam(t *testing.T) {
	d, err := ParseSweepParam("producers.p.config.linger.ms=0, 5,20")
	require.NoError(t, err)
	assert.Equal(t, "producers.p.config.linger.ms", d.Path)
	assert.Equal(t, []Value{"0", "5", "20"}, d.Values)

	// Commas inside flow values and quotes do not split.
	d, err = ParseSweepParam(`hardware={profile: laptop, disk: {count: 2}},cloud-nvme`)
	require.NoError(t, err)
	assert.Equal(t, []Value{"{profile: laptop, disk: {count: 2}}", "cloud-nvme"}, d.Values)
	d, err = ParseSweepParam(`producers.p.keys="zipf(1000, 1.1)",uniform(10)`)
	require.NoError(t, err)
	assert.Equal(t, []Value{`"zipf(1000, 1.1)"`, "uniform(10)"}, d.Values)

	for _, bad := range []string{"linger.ms", "=1,2", "producers.p.config.linger.ms=1,,2", "producers.p.config.linger.ms="} {
		_, err := ParseSweepParam(bad)
		assert.Error(t, err, bad)
	}
	_, err = ParseSweepParam("x=1,,2")
	assert.ErrorContains(t, err, "an empty value")
}

func TestLoadSweepShippedCrossProductInFileOrder(t *testing.T) {
	sw, err := LoadSweep("batching-compression", []string{"duration=2s"}, nil)
	require.NoError(t, err)
	require.Len(t, sw.Dims, 2)
	assert.Equal(t, "producers.p.config.linger.ms", sw.Dims[0].Path)
	assert.Equal(t, "producers.p.config.compression.type", sw.Dims[1].Path)
	require.Len(t, sw.Configs, 9)
	assert.Equal(t, "linger.ms=0 compression.type=none", sw.Configs[0].Label)
	assert.Equal(t, "linger.ms=0 compression.type=lz4", sw.Configs[1].Label)
	assert.Equal(t, "linger.ms=20 compression.type=zstd", sw.Configs[8].Label)
	assert.Equal(t, "linger.ms=20_compression.type=zstd", sw.Configs[8].Dir)
	assert.Equal(t, []string{"producers.p.config.linger.ms=5", "producers.p.config.compression.type=zstd"}, sw.Configs[5].Sets())

	s, err := sw.Scenario(sw.Configs[5])
	require.NoError(t, err)
	assert.Equal(t, Millis(5), s.Producers[0].Config.LingerMs)
	assert.Equal(t, Compression("zstd"), s.Producers[0].Config.CompressionType)
	assert.Equal(t, "2s", s.Duration.String(), "the common --set applies to every configuration")
	assert.Equal(t, "batching-compression.yaml", sw.File())
}

func TestLoadSweepParamsReplaceAndAdd(t *testing.T) {
	linger, err := ParseSweepParam("producers.p.config.linger.ms=1,50")
	require.NoError(t, err)
	brokers, err := ParseSweepParam("cluster.brokers=3,5")
	require.NoError(t, err)
	sw, err := LoadSweep("batching-compression", nil, []SweepDim{linger, brokers})
	require.NoError(t, err)
	require.Len(t, sw.Dims, 3)
	assert.Equal(t, []Value{"1", "50"}, sw.Dims[0].Values, "a --param replaces the file's dimension in place")
	assert.Equal(t, "cluster.brokers", sw.Dims[2].Path)
	require.Len(t, sw.Configs, 2*3*2)
	assert.Equal(t, "linger.ms=1 compression.type=none brokers=3", sw.Configs[0].Label)
	assert.Equal(t, "linger.ms=50 compression.type=zstd brokers=5", sw.Configs[11].Label)
}

func TestLoadSweepBadParam(t *testing.T) {
	d, err := ParseSweepParam("producers.p.config.lingr.ms=1,2")
	require.NoError(t, err)
	_, err = LoadSweep("batching-compression", nil, []SweepDim{d})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--param producers.p.config.lingr.ms: the value 1 does not load")
	assert.Contains(t, err.Error(), "did you mean linger.ms?")

	d, err = ParseSweepParam("producers.p.config.acks=all,2")
	require.NoError(t, err)
	_, err = LoadSweep("batching-compression", nil, []SweepDim{d})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the value 2 does not load")
	assert.NotContains(t, err.Error(), "the value all does not load")

	_, err = LoadSweep("no-such-scenario", nil, nil)
	assert.ErrorContains(t, err, "cannot read the scenario")
}

func TestLoadSweepFileOrderAndLabels(t *testing.T) {
	src, err := os.ReadFile("batching-compression.yaml")
	require.NoError(t, err)
	// The same scenario with its dimensions in the other order, and two more whose
	// last keys collide.
	body := string(src[:len(src)-len(sweepTail(src))]) + "sweep:\n" +
		"  producers.p.config.compression.type: [none, gzip]\n" +
		"  topics.orders.replication.factor: [3]\n" +
		"  cluster.config.compression.type: [producer]\n"
	path := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	sw, err := LoadSweep(path, nil, nil)
	require.NoError(t, err)
	require.Len(t, sw.Dims, 3)
	assert.Equal(t, "producers.p.config.compression.type", sw.Dims[0].Path)
	assert.Equal(t, "topics.orders.replication.factor", sw.Dims[1].Path)
	assert.Equal(t, "producers.p.config.compression.type=none replication.factor=3 cluster.config.compression.type=producer",
		sw.Configs[0].Label)
	assert.Len(t, sw.Configs, 2)
}

// sweepTail returns the file's sweep section (from "sweep:" to the end).
func sweepTail(src []byte) []byte {
	s := string(src)
	for i := 0; i+7 <= len(s); i++ {
		if s[i:i+7] == "sweep:\n" && (i == 0 || s[i-1] == '\n') {
			return src[i:]
		}
	}
	return nil
}

func TestSweepWithoutDimensionsIsOneConfiguration(t *testing.T) {
	sw, err := LoadSweep("quickstart", nil, nil)
	require.NoError(t, err)
	require.Len(t, sw.Configs, 1)
	assert.Equal(t, "as-is", sw.Configs[0].Label)
	assert.Empty(t, sw.Configs[0].Sets())
}

func TestDirName(t *testing.T) {
	assert.Equal(t, "hardware=_profile_laptop", dirName("hardware={profile: laptop}"))
	assert.Equal(t, "a=1_b=x", dirName("a=1 b=x"))
	assert.Equal(t, "config", dirName("/.."[1:]))
	dims := []SweepDim{{Path: "hardware", Values: []Value{"{profile: laptop}", "{profile:  laptop}"}}}
	cs := crossProduct(dims)
	assert.NotEqual(t, cs[0].Dir, cs[1].Dir, "folders stay unique")
}
