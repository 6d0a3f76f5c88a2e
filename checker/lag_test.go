package checker

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/checker/history"
)

// TestWorstRealtimeLag is the scenario of Jepsen's realtime-lag test: a consumer that
// keeps polling nothing falls further behind as offsets become known.
func TestWorstRealtimeLag(t *testing.T) {
	x := func(o int64, v string) history.Record { return history.Record{Offset: o, Value: history.String(v)} }
	ops := []history.Op{
		{Time: 0, Process: 0, Type: history.Invoke, F: history.FAssign, Keys: []string{"x"}},
		{Time: 1, Process: 0, Type: history.OK, F: history.FAssign, Keys: []string{"x"}},
		{Time: 2, Process: 0, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}},
		{Time: 3, Process: 0, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll(history.KeyRecords{Key: "x"})}},
		{Time: 4, Process: 0, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("x", history.String("a"))}},
		{Time: 5, Process: 0, Type: history.OK, F: history.FSend, Mops: []history.Mop{history.SendAt("x", 0, history.String("a"))}},
		{Time: 6, Process: 0, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}},
		{Time: 7, Process: 0, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll(history.KeyRecords{Key: "x"})}},
		{Time: 8, Process: 1, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("x", history.String("c")), history.Send("x", history.String("d"))}},
		{Time: 9, Process: 1, Type: history.OK, F: history.FSend, Mops: []history.Mop{history.SendAt("x", 2, history.String("c")), history.SendAt("x", 3, history.String("d"))}},
		{Time: 10, Process: 0, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}},
		{Time: 11, Process: 0, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll()}},
		// Reading d, the tail, brings the lag back to zero.
		{Time: 12, Process: 0, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}},
		{Time: 13, Process: 0, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll(history.KeyRecords{Key: "x", Records: []history.Record{x(0, "a"), x(2, "c"), x(3, "d")}})}},
	}
	for i := range ops {
		ops[i].Index = int64(i)
	}
	res, err := Check(ops, Options{})
	require.NoError(t, err)
	assert.Equal(t, &Lag{Time: 10, Process: 0, Key: "x", Lag: 5}, res.Stats.WorstRealtimeLag)
}
