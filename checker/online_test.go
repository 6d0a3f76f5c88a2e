package checker

import (
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/checker/history"
)

// checkBoth checks ops as lines are added and with every walk (walkAll), requires
// the same result of both, and returns it.
func checkBoth(t *testing.T, ops []history.Op, opts Options, name string) *Result {
	t.Helper()
	b := NewBuilder(opts)
	for i := range ops {
		require.NoError(t, b.Add(&ops[i]), name)
	}
	got, err := b.Result()
	require.NoError(t, err, name)
	// The walks, with the version orders of the keys shared out between two cores
	// however small the history.
	walkAll, versionOrdersPerWorker = true, 0
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	defer func() { walkAll, versionOrdersPerWorker = false, 1<<16 }()
	want, err := Check(ops, opts)
	require.NoError(t, err, name)
	require.Equal(t, resultJSON(t, want), resultJSON(t, got), name)
	return got
}

// mutate plants a few random faults in a copy of a valid history: records read at
// other offsets or with other values, records skipped or reordered, sends
// acknowledged at other offsets or of unknown outcome. It returns nil when the
// result is not a well-formed history.
func mutate(rng *rand.Rand, ops []history.Op) []history.Op {
	ops = deepCopy(ops)
	var reads [][3]int // op, mop, key-records of ok polls with records
	var sends []int    // ok sends with an offset
	for i := range ops {
		op := &ops[i]
		if op.Type != history.OK {
			continue
		}
		for j, m := range op.Mops {
			for k, kr := range m.Reads {
				if len(kr.Records) > 0 {
					reads = append(reads, [3]int{i, j, k})
				}
			}
			if m.Kind == history.MopSend && m.Offset >= 0 {
				sends = append(sends, i)
			}
		}
	}
	if len(reads) == 0 || len(sends) == 0 {
		return nil
	}
	for range 1 + rng.IntN(4) {
		r := reads[rng.IntN(len(reads))]
		recs := ops[r[0]].Mops[r[1]].Reads[r[2]].Records
		j := rng.IntN(len(recs))
		s := &ops[sends[rng.IntN(len(sends))]]
		switch rng.IntN(7) {
		case 0: // another record's value: a duplicate
			other := reads[rng.IntN(len(reads))]
			if o := ops[other[0]].Mops[other[1]].Reads[other[2]]; o.Key == ops[r[0]].Mops[r[1]].Reads[r[2]].Key {
				recs[j].Value = o.Records[rng.IntN(len(o.Records))].Value
			}
		case 1: // a record skipped
			ops[r[0]].Mops[r[1]].Reads[r[2]].Records = slices.Delete(recs, j, j+1)
		case 2: // two records swapped
			k := rng.IntN(len(recs))
			recs[j], recs[k] = recs[k], recs[j]
		case 3: // a record read at another offset
			recs[j].Offset += int64(rng.IntN(5)) - 2
		case 4: // a send acknowledged at another offset
			s.Mops[0].Offset = max(0, s.Mops[0].Offset+int64(rng.IntN(9))-4)
		case 5: // a send of unknown outcome
			s.Type, s.Mops[0].Offset = history.Info, history.NoOffset
		case 6: // a record read without its offset
			recs[j].Offset = history.NoOffset
		}
	}
	if _, err := Check(ops, Options{}); err != nil {
		return nil
	}
	return ops
}

// TestOnlineMatchesWalks checks that the analyses run as lines are added find what
// the walks of the complete history find, on valid and mutated generated histories
// and on the corpus, with instances bounded (the order they are found in matters)
// and not.
func TestOnlineMatchesWalks(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var anomalies []string
	judged := 0 // histories whose process-order anomalies came from the suspects
	for seed := uint64(1); seed <= 8; seed++ {
		ops := generate(genConfig{seed: seed, lines: 1500, keys: 1 + int(seed%3), procs: 6, maxDelay: 5000, retention: seed%2 == 0, groups: seed%4 != 1})
		checkBoth(t, ops, Options{}, "valid")
		for trial := range 12 {
			bad := mutate(rng, ops)
			if bad == nil {
				continue
			}
			opts := Options{MaxInstances: []int{2, -1}[trial%2], WWDeps: trial%3 == 0}
			res := checkBoth(t, bad, opts, "mutated")
			for typ := range res.Anomalies {
				anomalies = append(anomalies, typ)
			}
			c := res.Stats.AnomalyCounts
			if c[TypeDuplicate] == 0 && c[TypePollSkip]+c[TypeIntPollSkip]+c[TypeIntNonmonotonicPoll]+c[TypeNonmonotonicPoll] > 0 {
				judged++
			}
		}
	}
	// The mutations reach the analyses that run as lines are added.
	for _, typ := range []string{TypePollSkip, TypeNonmonotonicPoll, TypeIntPollSkip, TypeIntNonmonotonicPoll, TypeNonmonotonicSend, TypeDuplicate} {
		assert.Contains(t, anomalies, typ)
	}
	assert.Positive(t, judged)
	files, err := filepath.Glob("testdata/corpus/*.*l")
	require.NoError(t, err)
	edns, err := filepath.Glob("testdata/corpus/*.edn")
	require.NoError(t, err)
	for _, f := range append(files, edns...) {
		if filepath.Ext(f) != ".jsonl" && filepath.Ext(f) != ".edn" {
			continue
		}
		ops, err := ReadFile(f)
		require.NoError(t, err, f)
		checkBoth(t, ops, Options{WWDeps: true}, f)
		checkBoth(t, ops, Options{MaxInstances: 1}, f)
	}
}

// TestOnlineOverflow checks the histories whose suspects or candidates the watches
// stop keeping: Result walks them whole, with the same result.
func TestOnlineOverflow(t *testing.T) {
	defer func(s func(int) int, c int) { maxSuspects, maxSendCands = s, c }(maxSuspects, maxSendCands)
	rng := rand.New(rand.NewPCG(9, 10))
	ops := generate(genConfig{seed: 3, lines: 2000, keys: 2, procs: 6, maxDelay: 5000, groups: true})
	walked := 0 // histories whose realtime-send-order candidates overflowed
	for range 40 {
		bad := mutate(rng, ops)
		if bad == nil {
			continue
		}
		want, err := Check(bad, Options{MaxInstances: 2})
		require.NoError(t, err)
		maxSuspects, maxSendCands = func(int) int { return 0 }, 0
		b := NewBuilder(Options{MaxInstances: 2})
		for i := range bad {
			require.NoError(t, b.Add(&bad[i]))
		}
		overflow := b.orderW.overflow
		if b.sendW.overflow {
			walked++
		}
		got, err := b.Result()
		maxSuspects, maxSendCands = func(int) int { return 1 << 16 }, 1<<16
		require.NoError(t, err)
		require.Equal(t, resultJSON(t, want), resultJSON(t, got))
		if got.Stats.AnomalyCounts[TypeIntPollSkip]+got.Stats.AnomalyCounts[TypePollSkip] > 0 {
			assert.True(t, overflow, "a suspect was found, and not kept")
		}
	}
	assert.Positive(t, walked, "no history had a candidate to overflow")
}
