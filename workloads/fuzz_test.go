package workloads

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzParse feeds arbitrary text to every parser of this package: no panics, and
// whatever parses prints a canonical form that parses back to the same value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2000/s", "poisson(steps(1/s, 2/s@1s))", "ramp(0/s, 1k/s, 1m)", "bursts(1/s, 2/s, 2s, 1s)",
		"closed-loop", "1KiB", "uniform(1, 2)", "lognormal(1KiB, 0.5, 4KiB)", "exponential(1ms)", "zipf(10, 0.99)", "round-robin(3)", "none"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseRate(s); err == nil {
			back, err := ParseRate(r.String())
			require.NoError(t, err, r.String())
			require.Equal(t, r, back)
			if !r.ClosedLoop() {
				a := r.Arrivals(rng(1), 1)
				for i := 0; i < 100; i++ {
					if _, ok := a.Next(); !ok {
						break
					}
				}
			}
		}
		if v, err := ParseSize(s); err == nil {
			back, err := ParseSize(v.String())
			require.NoError(t, err, v.String())
			require.Equal(t, v, back)
			require.GreaterOrEqual(t, v.Sample(rng(1)), 0)
		}
		if v, err := ParseDelay(s); err == nil {
			back, err := ParseDelay(v.String())
			require.NoError(t, err, v.String())
			require.Equal(t, v, back)
		}
		if k, err := ParseKeys(s); err == nil {
			back, err := ParseKeys(k.String())
			require.NoError(t, err)
			require.Equal(t, k, back)
			c := k.Chooser(rng(1), 0)
			for i := 0; i < 10; i++ {
				if v := c.Next(); v >= k.Count() || v < -1 {
					t.Fatalf("key %d outside [0, %d)", v, k.Count())
				}
			}
		}
	})
}
