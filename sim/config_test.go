package sim

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The configuration structs decode from the kebab-case keys that hardware profiles
// and scenario files use, with Go duration strings.
func TestConfigDecodesFromYAML(t *testing.T) {
	src := `
cores: 6
nic-bandwidth: 125000000
disk:
  op-latency: {kind: uniform, min: 100us, max: 2ms}
  sync-latency: {value: 8ms}
  bandwidth: 150000000
  capacity: 1000000000000
  torn-write-probability: 0.5
`
	var c NodeConfig
	require.NoError(t, yaml.UnmarshalWithOptions([]byte(src), &c, yaml.Strict()))
	want := NodeConfig{Cores: 6, NICBandwidth: 125_000_000, Disk: DiskProfile{
		OpLatency:            UniformLatency(100*time.Microsecond, 2*time.Millisecond),
		SyncLatency:          Latency{Value: 8 * time.Millisecond},
		Bandwidth:            150_000_000,
		Capacity:             1_000_000_000_000,
		TornWriteProbability: 0.5,
	}}
	assert.Equal(t, want, c)
	require.NoError(t, c.Validate("hardware"))

	var n NetworkConfig
	src = "latency: {kind: mixture, min: 100us, max: 800us, slow-probability: 0.001, slow-max: 100ms}\nbandwidth: 1250000000\nconnect-timeout: 10s\nstall-timeout: 30s\n"
	require.NoError(t, yaml.UnmarshalWithOptions([]byte(src), &n, yaml.Strict()))
	assert.Equal(t, FDBLatency(), n.Latency)
	assert.Equal(t, 10*time.Second, n.ConnectTimeout)

	err := yaml.UnmarshalWithOptions([]byte("latency: {kind: uniform, mim: 1ms}\n"), &n, yaml.Strict())
	assert.ErrorContains(t, err, "mim")
}

func TestLatencyString(t *testing.T) {
	assert.Equal(t, "constant(1ms)", ConstantLatency(time.Millisecond).String())
	assert.Equal(t, "uniform(1ms..2ms)", UniformLatency(time.Millisecond, 2*time.Millisecond).String())
	assert.Equal(t, "exponential(mean 5ms, min 1ms)", ExponentialLatency(time.Millisecond, 5*time.Millisecond).String())
	assert.Equal(t, "mixture(100µs..800µs, p=0.001 slow up to 100ms)", FDBLatency().String())
}

func TestPortableLogAndExponential(t *testing.T) {
	for _, x := range []float64{1, 0.5, 0.75, 1e-300, 0.3, 0.999999, 2, 10, 12345.678} {
		assert.InEpsilon(t, math.Log(x)+1e-300, ln(x)+1e-300, 1e-14, "ln(%v)", x)
	}
	assert.Equal(t, 0.0, ln(1))
	r := NewStream(3, "exp")
	sum := 0.0
	for i := 0; i < 100000; i++ {
		v := ExpFloat64(r)
		require.GreaterOrEqual(t, v, 0.0)
		sum += v
	}
	assert.InDelta(t, 1.0, sum/100000, 0.02)
	// Pinned values: a change here changes every run's fingerprint.
	r = NewStream(1, "pin")
	assert.Equal(t, "0.14740251 1.07660195 0.37266162", fmt.Sprintf("%.8f %.8f %.8f", ExpFloat64(r), ExpFloat64(r), ExpFloat64(r)))
}
