package workloads

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func TestParseRateRoundTrip(t *testing.T) {
	for _, tc := range []struct{ in, canon string }{
		{"2000/s", "2000/s"},
		{"2/ms", "2000/s"},
		{"1.5k/s", "1500/s"},
		{"60/min", "1/s"},
		{"poisson(2000/s)", "poisson(2000/s)"},
		{"steps(1000/s, 5000/s@10s, 0/s@20s)", "steps(1000/s@0s, 5000/s@10s, 0/s@20s)"},
		{"ramp(0/s, 10k/s, 30s)", "ramp(0/s, 10000/s, 30s)"},
		{"bursts(1000/s, 20000/s, 10s, 1s)", "bursts(1000/s, 20000/s, 10s, 1s)"},
		{"poisson(ramp(1/s, 2/s, 1m))", "poisson(ramp(1/s, 2/s, 1m0s))"},
		{"closed-loop", "closed-loop"},
	} {
		r, err := ParseRate(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.canon, r.String(), tc.in)
		back, err := ParseRate(r.String())
		require.NoError(t, err)
		assert.Equal(t, r, back, tc.in)
	}
}

func TestParseRateErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2000", "needs a time unit"},
		{"2000/day", "unknown time unit"},
		{"poisson(2000/s", "missing closing parenthesis"},
		{"poisson(poisson(1/s))", "cannot be nested"},
		{"steps(1/s, 2/s)", "needs a start time"},
		{"steps(1/s, 2/s@5s, 3/s@5s)", "must increase"},
		{"ramp(1/s, 2/s)", "three arguments"},
		{"ramp(1/s, 2/s, 0s)", "positive duration"},
		{"bursts(1/s, 2/s, 1s, 1s)", "LENGTH < EVERY"},
		{"sawtooth(1/s)", "unknown rate form"},
		{"-5/s", "not a count"},
		{"poisson(closed-loop)", "cannot be nested"},
	} {
		_, err := ParseRate(tc.in)
		require.Error(t, err, tc.in)
		assert.Contains(t, err.Error(), tc.want, tc.in)
		assert.Contains(t, err.Error(), "accepted:", tc.in)
	}
}

// times draws intended send times until limit.
func times(t *testing.T, spec string, seed uint64, phase float64, limit time.Duration) []time.Duration {
	r, err := ParseRate(spec)
	require.NoError(t, err)
	a := r.Arrivals(rng(seed), phase)
	var out []time.Duration
	for {
		at, ok := a.Next()
		if !ok || at > limit {
			return out
		}
		out = append(out, at)
	}
}

func TestArrivalsConstant(t *testing.T) {
	got := times(t, "1000/s", 1, 1, 5*time.Millisecond)
	assert.Equal(t, []time.Duration{1e6, 2e6, 3e6, 4e6, 5e6}, got)
	// Four instances sharing 2000/s are evenly spaced together.
	r, _ := ParseRate("2000/s")
	var all []time.Duration
	for i := 0; i < 4; i++ {
		a := r.Split(4).Arrivals(rng(1), float64(i+1)/4)
		first, _ := a.Next()
		all = append(all, first)
	}
	assert.Equal(t, []time.Duration{500e3, 1e6, 1500e3, 2e6}, all)
}

func TestArrivalsNoDriftOverLongRuns(t *testing.T) {
	r, _ := ParseRate("3/ms") // a period of 333.33µs is not a whole number of ns
	a := r.Arrivals(rng(1), 1)
	var last time.Duration
	for i := 0; i < 3_000_000; i++ {
		last, _ = a.Next()
	}
	assert.Equal(t, 1000*time.Second, last)
}

func TestArrivalsBeyondDurationRange(t *testing.T) {
	r, err := ParseRate("1e-12/s")
	require.NoError(t, err)
	_, ok := r.Arrivals(rng(1), 1).Next()
	assert.False(t, ok, "a record due after 292 years is never sent")
}

func TestArrivalsSteps(t *testing.T) {
	got := times(t, "steps(0/s, 2/s@1s, 0/s@2s, 1/s@10s)", 1, 1, 12*time.Second)
	assert.Equal(t, []time.Duration{1500 * time.Millisecond, 2 * time.Second, 11 * time.Second, 12 * time.Second}, got)
	// A schedule that ends at zero stops.
	r, _ := ParseRate("steps(1/s, 0/s@3s)")
	a := r.Arrivals(rng(1), 1)
	n := 0
	for {
		if _, ok := a.Next(); !ok {
			break
		}
		n++
	}
	assert.Equal(t, 3, n)
}

func TestArrivalsRamp(t *testing.T) {
	// From 0 to 2/s over 2 s: Λ(t) = t²/2, so the first record is due at t = √2.
	got := times(t, "ramp(0/s, 2/s, 2s)", 1, 1, 3*time.Second)
	require.Len(t, got, 4)
	assert.InDelta(t, math.Sqrt2, got[0].Seconds(), 1e-9)
	assert.InDelta(t, 2.0, got[1].Seconds(), 1e-9)
	assert.InDelta(t, 2.5, got[2].Seconds(), 1e-9)
	assert.InDelta(t, 3.0, got[3].Seconds(), 1e-9)
	// Ramping down.
	got = times(t, "ramp(2/s, 0/s, 2s)", 1, 1, time.Hour)
	require.Len(t, got, 2)
	assert.InDelta(t, 2-math.Sqrt2, got[0].Seconds(), 1e-9)
	assert.InDelta(t, 2.0, got[1].Seconds(), 1e-6)
}

func TestArrivalsBursts(t *testing.T) {
	got := times(t, "bursts(1/s, 10/s, 2s, 500ms)", 1, 1, 4*time.Second)
	// 1/s during the first period (records at 1 s and 2 s), then 10/s for 500 ms.
	want := []time.Duration{1e9, 2e9, 2.1e9, 2.2e9, 2.3e9, 2.4e9, 2.5e9 - 0, 3.5e9 - 0}
	require.Len(t, got, 8)
	for i := range want {
		assert.InDelta(t, want[i].Seconds(), got[i].Seconds(), 1e-9, "record %d", i)
	}
	r, _ := ParseRate("bursts(0/s, 0/s, 1s, 500ms)")
	_, ok := r.Arrivals(rng(1), 1).Next()
	assert.False(t, ok, "a schedule that is zero forever ends")
}

func TestPoissonMatchesRate(t *testing.T) {
	for _, spec := range []string{"poisson(1000/s)", "poisson(ramp(0/s, 2000/s, 10s))", "poisson(bursts(100/s, 5000/s, 2s, 200ms))"} {
		r, _ := ParseRate(spec)
		got := float64(len(times(t, spec, 7, 1, 10*time.Second)))
		want := r.Expected(10 * time.Second)
		assert.InDelta(t, want, got, 4*math.Sqrt(want), spec) // within four standard deviations
	}
	// Same seed, same times; a different seed differs.
	assert.Equal(t, times(t, "poisson(100/s)", 3, 1, time.Second), times(t, "poisson(100/s)", 3, 1, time.Second))
	assert.NotEqual(t, times(t, "poisson(100/s)", 3, 1, time.Second), times(t, "poisson(100/s)", 4, 1, time.Second))
}

func TestExpected(t *testing.T) {
	for _, tc := range []struct {
		spec string
		d    time.Duration
		want float64
	}{
		{"1000/s", 2 * time.Second, 2000},
		{"steps(10/s, 20/s@1s)", 3 * time.Second, 50},
		{"ramp(0/s, 10/s, 2s)", 4 * time.Second, 30},
		{"bursts(1/s, 11/s, 2s, 1s)", 7 * time.Second, 2 + 2*(11+1) + 11},
	} {
		r, _ := ParseRate(tc.spec)
		assert.InDelta(t, tc.want, r.Expected(tc.d), 1e-9, tc.spec)
	}
	assert.True(t, math.IsInf(ClosedLoopRate().Expected(time.Second), 1))
}

func TestSizes(t *testing.T) {
	for _, tc := range []struct{ in, canon string }{
		{"1KiB", "1KiB"}, {"100", "100B"}, {"1.5KB", "1500B"},
		{"uniform(100B, 4KiB)", "uniform(100B, 4KiB)"},
		{"lognormal(1KiB, 0.5)", "lognormal(1KiB, 0.5, 1MiB)"},
		{"exponential(2KiB, 64KiB)", "exponential(2KiB, 64KiB)"},
	} {
		s, err := ParseSize(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.canon, s.String())
		back, err := ParseSize(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, back)
	}
	for _, bad := range []string{"1 parsec", "uniform(4KiB, 1KiB)", "lognormal(1KiB)", "lognormal(1KiB, -1)", "normal(1, 2)", "-3"} {
		_, err := ParseSize(bad)
		assert.Error(t, err, bad)
	}
	u, _ := ParseSize("uniform(10, 12)")
	r := rng(1)
	seen := map[int]int{}
	for i := 0; i < 3000; i++ {
		seen[u.Sample(r)]++
	}
	assert.Len(t, seen, 3)
	for v, n := range seen {
		assert.True(t, v >= 10 && v <= 12)
		assert.InDelta(t, 1000, n, 150)
	}
	l, _ := ParseSize("lognormal(1KiB, 0.5, 4KiB)")
	assert.Equal(t, int64(4096), l.Max())
	var below int
	for i := 0; i < 10000; i++ {
		v := l.Sample(r)
		require.True(t, v >= 0 && v <= 4096, "capped at MAX")
		if v < 1024 {
			below++
		}
	}
	assert.InDelta(t, 5000, below, 300, "half the draws fall below the median")
}

func TestDelays(t *testing.T) {
	d, err := ParseDelay("exponential(200us)")
	require.NoError(t, err)
	assert.Equal(t, "exponential(200µs)", d.String())
	back, err := ParseDelay(d.String())
	require.NoError(t, err)
	assert.Equal(t, d, back)
	r := rng(2)
	var sum time.Duration
	for i := 0; i < 20000; i++ {
		sum += d.Sample(r)
	}
	assert.InDelta(t, 200e3, float64(sum)/20000, 10e3)
	f, _ := ParseDelay("0")
	assert.True(t, f.IsZero())
	_, err = ParseDelay("-1ms")
	assert.Error(t, err)
}

func TestKeys(t *testing.T) {
	for _, tc := range []struct{ in, canon string }{
		{"none", "none"}, {"uniform(1000)", "uniform(1000)"}, {"zipf(1k, 0.99)", "zipf(1000, 0.99)"}, {"round-robin(3)", "round-robin(3)"},
	} {
		k, err := ParseKeys(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.canon, k.String())
	}
	for _, bad := range []string{"zipf(10)", "zipf(10, 0)", "uniform(0)", "uniform(2.5)", "hash(3)", "random"} {
		_, err := ParseKeys(bad)
		assert.Error(t, err, bad)
	}
	k, _ := ParseKeys("round-robin(3)")
	c := k.Chooser(rng(1), 4)
	assert.Equal(t, []int64{1, 2, 0, 1}, []int64{c.Next(), c.Next(), c.Next(), c.Next()})
	assert.Equal(t, int64(-1), Keys{}.Chooser(rng(1), 0).Next())
}

// TestZipfFrequencies compares draw frequencies with the exact probabilities k^-s/H.
func TestZipfFrequencies(t *testing.T) {
	for _, s := range []float64{0.5, 0.99, 1, 1.5} {
		const n, draws = 10, 200000
		k, err := ParseKeys("zipf(10, " + formatCount(s) + ")")
		require.NoError(t, err)
		c := k.Chooser(rng(9), 0)
		var counts [n]float64
		for i := 0; i < draws; i++ {
			v := c.Next()
			require.True(t, v >= 0 && v < n)
			counts[v]++
		}
		h := 0.0
		for i := 1; i <= n; i++ {
			h += math.Pow(float64(i), -s)
		}
		for i := 1; i <= n; i++ {
			p := math.Pow(float64(i), -s) / h
			assert.InDelta(t, p, counts[i-1]/draws, 5*math.Sqrt(p*(1-p)/draws), "s=%v key %d", s, i-1)
		}
	}
}

func TestValueIDsUnique(t *testing.T) {
	seen := map[int64]bool{}
	for i := 0; i < 3; i++ {
		ids := NewValueIDs(i, 3)
		for j := 0; j < 100; j++ {
			v := ids.Next()
			require.False(t, seen[v], "value %d twice", v)
			require.Positive(t, v)
			seen[v] = true
		}
	}
	assert.Len(t, seen, 300)
	assert.Panics(t, func() { NewValueIDs(3, 3) })
}

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{{"16384", 16384}, {"16KiB", 16384}, {"1MB", 1e6}, {"1_000", 1000}, {"0.5KiB", 512}} {
		v, err := ParseBytes(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, v)
		back, err := ParseBytes(FormatBytes(v))
		require.NoError(t, err)
		assert.Equal(t, v, back)
	}
	_, err := ParseBytes("12 bananas")
	assert.ErrorContains(t, err, "KiB")
}

func BenchmarkArrivalsConstant(b *testing.B) {
	r, _ := ParseRate("100000/s")
	a := r.Arrivals(rng(1), 1)
	b.ReportAllocs()
	for b.Loop() {
		a.Next()
	}
}

func BenchmarkArrivalsPoissonBursts(b *testing.B) {
	r, _ := ParseRate("poisson(bursts(1000/s, 50000/s, 1s, 100ms))")
	a := r.Arrivals(rng(1), 1)
	b.ReportAllocs()
	for b.Loop() {
		a.Next()
	}
}

func BenchmarkSizeLognormal(b *testing.B) {
	s, _ := ParseSize("lognormal(1KiB, 0.5)")
	r := rng(1)
	b.ReportAllocs()
	for b.Loop() {
		s.Sample(r)
	}
}

func BenchmarkKeysZipf(b *testing.B) {
	k, _ := ParseKeys("zipf(1000000, 0.99)")
	c := k.Chooser(rng(1), 0)
	b.ReportAllocs()
	for b.Loop() {
		c.Next()
	}
}

func BenchmarkValueIDs(b *testing.B) {
	ids := NewValueIDs(0, 4)
	b.ReportAllocs()
	for b.Loop() {
		ids.Next()
	}
}
