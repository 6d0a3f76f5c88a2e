package checker

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
		cfg := genConfig{seed: seed, lines: 600 + int(seed)*37, keys: 1 + int(seed%6), procs: 2 + int(seed%7), maxDelay: 3000, retention: seed%2 == 0}
		ops := generate(cfg)
		res, err := Check(ops, Options{Linearizability: true, Timeout: 30 * time.Second, WWDeps: seed%3 == 0})
		require.NoError(t, err)
		if !res.Valid || res.Linearizable != LinOK {
			data, _ := json.MarshalIndent(res.Anomalies, "", " ")
			t.Fatalf("seed %d (%+v): valid=%v linearizable=%s errors=%v\n%s", seed, cfg, res.Valid, res.Linearizable, res.Errors, data)
		}
	}
}
