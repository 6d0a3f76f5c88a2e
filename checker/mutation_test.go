package checker

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/checker/history"
)

// deepCopy copies a history so that a mutation does not touch the original.
func deepCopy(ops []history.Op) []history.Op {
	out := slices.Clone(ops)
	for i := range out {
		out[i].Mops = slices.Clone(out[i].Mops)
		for j := range out[i].Mops {
			reads := slices.Clone(out[i].Mops[j].Reads)
			for k := range reads {
				reads[k].Records = slices.Clone(reads[k].Records)
			}
			out[i].Mops[j].Reads = reads
		}
	}
	return out
}

// findRead returns the position, mop, key-records and record index of the first ok
// poll record satisfying pred.
func findRead(ops []history.Op, pred func(op *history.Op, kr history.KeyRecords, r int) bool) (int, int, int, int) {
	for i := range ops {
		op := &ops[i]
		if op.Type != history.OK || op.F != history.FPoll {
			continue
		}
		for j, m := range op.Mops {
			for k, kr := range m.Reads {
				for r := range kr.Records {
					if pred(op, kr, r) {
						return i, j, k, r
					}
				}
			}
		}
	}
	return -1, 0, 0, 0
}

// TestPropertyMutationsAreFlagged: the checker is never silent. Each mutation of a
// valid generated history plants one known anomaly, which must be reported.
func TestPropertyMutationsAreFlagged(t *testing.T) {
	mutations := []struct {
		name  string
		want  []string
		apply func(t *testing.T, ops []history.Op)
	}{
		{"a poll skips a record in the middle", []string{TypeIntPollSkip, TypeNonlinearizable}, func(t *testing.T, ops []history.Op) {
			// Not a group member's poll: a rebalance during it would excuse the skip.
			i, j, k, r := findRead(ops, func(op *history.Op, kr history.KeyRecords, r int) bool {
				return op.Group == "" && r == 1 && len(kr.Records) >= 3
			})
			require.GreaterOrEqual(t, i, 0)
			kr := &ops[i].Mops[j].Reads[k]
			kr.Records = slices.Delete(kr.Records, r, r+1)
		}},
		{"an acknowledged record vanishes from every poll", []string{TypeLostWrite}, func(t *testing.T, ops []history.Op) {
			// A record below the final log start would be expired-unconsumed, not lost.
			logStart := map[string]int64{}
			for p := range ops {
				for _, ko := range ops[p].Offsets {
					if ops[p].F == history.FLogStart {
						logStart[ko.Key] = max(logStart[ko.Key], ko.Offset)
					}
				}
			}
			i, j, k, r := findRead(ops, func(_ *history.Op, kr history.KeyRecords, r int) bool {
				return r == 1 && len(kr.Records) >= 3 && kr.Records[r].Offset >= logStart[kr.Key]
			})
			require.GreaterOrEqual(t, i, 0)
			kr := ops[i].Mops[j].Reads[k]
			lost := kr.Records[r]
			// Only a value an ok send acknowledged counts as a lost write.
			acked := false
			for p := range ops {
				if ops[p].Type == history.OK {
					ops[p].Sends(func(m *history.Mop) { acked = acked || (m.Key == kr.Key && m.Value == lost.Value) })
				}
			}
			if !acked {
				t.Skip("the record chosen was not acknowledged")
			}
			for p := range ops {
				for q := range ops[p].Mops {
					for s := range ops[p].Mops[q].Reads {
						x := &ops[p].Mops[q].Reads[s]
						if x.Key == kr.Key {
							x.Records = slices.DeleteFunc(x.Records, func(rec history.Record) bool { return rec.Value == lost.Value })
						}
					}
				}
			}
		}},
		{"an acknowledged offset is reported for another record", []string{TypeInconsistentOffsets, TypeNonlinearizable}, func(t *testing.T, ops []history.Op) {
			for p := range ops {
				op := &ops[p]
				if op.Type != history.OK || op.F != history.FSend || op.Mops[0].Offset < 1 {
					continue
				}
				op.Mops[0].Offset-- // the previous record's offset
				return
			}
			t.Fatal("no ok send")
		}},
		{"a poll returns a value nobody sent", []string{TypeUnexpectedValue, TypeNonlinearizable}, func(t *testing.T, ops []history.Op) {
			i, j, k, r := findRead(ops, func(_ *history.Op, kr history.KeyRecords, r int) bool { return true })
			require.GreaterOrEqual(t, i, 0)
			ops[i].Mops[j].Reads[k].Records[r].Value = history.String("never sent")
		}},
		{"a send that was read is reported failed", []string{TypeG1a, TypeNonlinearizable}, func(t *testing.T, ops []history.Op) {
			i, j, k, r := findRead(ops, func(_ *history.Op, kr history.KeyRecords, r int) bool { return true })
			require.GreaterOrEqual(t, i, 0)
			kr := ops[i].Mops[j].Reads[k]
			v := kr.Records[r].Value
			for p := range ops {
				op := &ops[p]
				if op.Type.IsCompletion() && op.F == history.FSend && slices.ContainsFunc(op.Mops, func(m history.Mop) bool { return m.Key == kr.Key && m.Value == v }) {
					op.Type = history.Fail
					return
				}
			}
			t.Fatal("no writer")
		}},
		{"a consumer group commits past a record no member received", []string{TypeGroupLoss}, func(t *testing.T, ops []history.Op) {
			// The group's final commit of some key, and a record below it that a member
			// received: remove it from every member's polls.
			final, logStart := map[string]int64{}, map[string]int64{}
			for p := range ops {
				if ops[p].F == history.FCommit && ops[p].Type == history.OK {
					for _, ko := range ops[p].Offsets {
						final[ko.Key] = ko.Offset
					}
				}
				if ops[p].F == history.FLogStart {
					for _, ko := range ops[p].Offsets {
						logStart[ko.Key] = max(logStart[ko.Key], ko.Offset)
					}
				}
			}
			// Not the first record of its poll: the group's start is its lowest offset
			// received, so the record below stays and marks the start.
			i, j, k, r := findRead(ops, func(op *history.Op, kr history.KeyRecords, r int) bool {
				c, ok := final[kr.Key]
				o := kr.Records[r].Offset
				return op.Group == "g" && ok && r >= 1 && o < c && o >= logStart[kr.Key] // retention may delete what is below the log start
			})
			if i < 0 {
				t.Skip("no group consumption in this history")
			}
			gone := ops[i].Mops[j].Reads[k].Records[r]
			key := ops[i].Mops[j].Reads[k].Key
			for p := range ops {
				if ops[p].Group != "g" {
					continue
				}
				for q := range ops[p].Mops {
					for x := range ops[p].Mops[q].Reads {
						kr := &ops[p].Mops[q].Reads[x]
						if kr.Key == key {
							kr.Records = slices.DeleteFunc(kr.Records, func(rec history.Record) bool { return rec == gone })
						}
					}
				}
			}
		}},
		{"a record is delivered again at a new offset", []string{TypeDuplicate, TypeNonlinearizable}, func(t *testing.T, ops []history.Op) {
			for p := len(ops) - 1; p >= 0; p-- {
				op := &ops[p]
				if op.Type != history.OK || op.F != history.FPoll {
					continue
				}
				for k := range op.Mops[0].Reads {
					kr := &op.Mops[0].Reads[k]
					if n := len(kr.Records); n > 1 {
						kr.Records = append(kr.Records, history.Record{Offset: kr.Records[n-1].Offset + 1, Value: kr.Records[0].Value})
						return
					}
				}
			}
			t.Fatal("no poll with two records")
		}},
	}
	for seed := uint64(1); seed <= 6; seed++ {
		base := generate(genConfig{seed: seed, lines: 2000, keys: 2 + int(seed%3), procs: 3 + int(seed%4), maxDelay: 3000, retention: seed%2 == 0, groups: true})
		res, err := Check(base, Options{Linearizability: true})
		require.NoError(t, err)
		require.True(t, res.Valid, "seed %d: the unmutated history is valid: %v", seed, res.Errors)
		for _, m := range mutations {
			t.Run(m.name, func(t *testing.T) {
				ops := deepCopy(base)
				m.apply(t, ops)
				res, err := Check(ops, Options{Linearizability: true, crossCheck: true})
				require.NoError(t, err)
				assert.False(t, res.Valid, "seed %d", seed)
				for _, typ := range m.want {
					assert.Contains(t, res.Errors, typ, "seed %d", seed)
				}
			})
		}
	}
}
