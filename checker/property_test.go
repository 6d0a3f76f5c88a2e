package checker

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"logsim/checker/history"
)

// TestPropertyCorrectModelIsValid: histories of a correct sequential model of
// partitioned logs (concurrent clients, random delays, unknown and failed outcomes,
// client replacement, retention) are always valid and linearizable.
func TestPropertyCorrectModelIsValid(t *testing.T) {
	runs := 40
	if testing.Short() {
		runs = 12
	}
	for seed := uint64(1); seed <= uint64(runs); seed++ {
		cfg := genConfig{seed: seed, lines: 600 + int(seed)*37, keys: 1 + int(seed%6), procs: 2 + int(seed%7), maxDelay: 3000, retention: seed%2 == 0, groups: seed%3 != 1}
		ops := generate(cfg)
		res, err := Check(ops, Options{Linearizability: true, Timeout: 30 * time.Second, WWDeps: seed%3 == 0, crossCheck: true})
		require.NoError(t, err)
		if !res.Valid || res.Linearizable != LinOK {
			data, _ := json.MarshalIndent(res.Anomalies, "", " ")
			t.Fatalf("seed %d (%+v): valid=%v linearizable=%s errors=%v\n%s", seed, cfg, res.Valid, res.Linearizable, res.Errors, data)
		}
		// Partitions too large for porcupine are decided directly, with the same verdict.
		direct, err := Check(ops, Options{Linearizability: true, PorcupineMaxOps: 50})
		require.NoError(t, err)
		require.Equal(t, LinOK, direct.Linearizable, "seed %d", seed)
		require.Positive(t, direct.Stats.Linearizability.DirectPartitions, "seed %d", seed)
	}
}

// TestDeterministicResult: the same history gives the same result, byte for byte
// (the parallel porcupine workers must not leak their order into it).
func TestDeterministicResult(t *testing.T) {
	base := generate(genConfig{seed: 3, lines: 3000, keys: 5, procs: 6, maxDelay: 3000, retention: true})
	ops := deepCopy(base)
	mutated := deepCopy(base)
	for i := range mutated {
		if mutated[i].Type == history.OK && mutated[i].F == history.FSend && mutated[i].Mops[0].Offset > 0 {
			mutated[i].Mops[0].Offset--
			break
		}
	}
	for _, h := range [][]history.Op{ops, mutated} {
		first, err := Check(h, Options{Linearizability: true, WWDeps: true})
		require.NoError(t, err)
		want, err := json.Marshal(first)
		require.NoError(t, err)
		for range 3 {
			again, err := Check(h, Options{Linearizability: true, WWDeps: true})
			require.NoError(t, err)
			got, err := json.Marshal(again)
			require.NoError(t, err)
			require.Equal(t, string(want), string(got))
		}
	}
}
