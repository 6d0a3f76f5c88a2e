package checker

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMaxInstances(t *testing.T) {
	ops, err := ReadFile("testdata/corpus/lost-write.jsonl")
	require.NoError(t, err)
	res, err := Check(ops, Options{MaxInstances: 1})
	require.NoError(t, err)
	require.Len(t, res.Anomalies[TypeLostWrite], 1, "one instance kept")
	assert.Equal(t, 2, res.Stats.AnomalyCounts[TypeLostWrite], "all counted")
	assert.False(t, res.Valid)
	var text strings.Builder
	require.NoError(t, res.WriteText(&text, 10))
	assert.Contains(t, text.String(), "lost-write: 2 (error)")
	assert.Contains(t, text.String(), "... and 1 more (--json lists 1)")

	// An instance that counts against validity displaces an excused one.
	a := &analysis{res: &Result{Anomalies: map[string][]*Anomaly{}, Stats: Stats{AnomalyCounts: map[string]int{}}}, maxInstances: 1}
	a.add(TypePollSkip, &Anomaly{Excused: "subscribed"})
	a.add(TypePollSkip, &Anomaly{})
	a.add(TypePollSkip, &Anomaly{Excused: "subscribed"})
	a.res.finish(map[string]bool{})
	require.Len(t, a.res.Anomalies[TypePollSkip], 1)
	assert.Empty(t, a.res.Anomalies[TypePollSkip][0].Excused)
	assert.Equal(t, []string{TypePollSkip}, a.res.Errors)
	assert.Equal(t, 3, a.res.Stats.AnomalyCounts[TypePollSkip])
}
