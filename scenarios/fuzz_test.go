package scenarios

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and whatever loads
// must marshal to a file that loads back to the same scenario.
func FuzzLoad(f *testing.F) {
	entries, err := fs.ReadDir(shippedFS, ".")
	require.NoError(f, err)
	for _, e := range entries {
		src, err := fs.ReadFile(shippedFS, e.Name())
		require.NoError(f, err)
		f.Add(src)
	}
	f.Add([]byte(minimal))
	f.Add([]byte("topics: &x [*x]\nsweep: {a: &y [*y, *y]}\n"))
	f.Add([]byte("name: [1, {2: 3}]\nseed: -1\n"))
	f.Add([]byte("hardware: {profile: none}\n"))
	f.Add([]byte(minimal + "faults: [{kind: nemesis, every: 1s, for: 500ms, mix: [crash]}]\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := LoadBytes("fuzz.yaml", src)
		if err != nil {
			return
		}
		out, err := s.Marshal()
		require.NoError(t, err)
		back, err := LoadBytes("fuzz.yaml", out)
		require.NoError(t, err, "resolved scenario does not load:\n%s", out)
		require.Equal(t, s, back)
	})
}

// FuzzSet applies arbitrary --set arguments to a valid scenario: no panics.
func FuzzSet(f *testing.F) {
	for _, s := range []string{"producers.p.config.linger.ms=50", "cluster.brokers=5", "hardware=laptop",
		"expect.latency.max.produce.p99=1s", "faults=[{kind: crash, target: broker-1}]", "topics.0=", "sweep.x=[1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, set string) {
		_, _ = LoadBytes("fuzz.yaml", []byte(minimal), set)
	})
}
