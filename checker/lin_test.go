package checker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/checker/history"
)

// lostAckHistory: an acknowledged record at offset 1 is overwritten by another after an
// unclean leader election, with the fault and partition events recorded.
func lostAckHistory() []history.Op {
	ops := []history.Op{
		{Time: 1000, Process: 0, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("orders/0", history.Int(1))}},
		{Time: 2000, Process: 0, Type: history.OK, F: history.FSend, Mops: []history.Mop{history.SendAt("orders/0", 0, history.Int(1))}},
		{Time: 3000, Process: 0, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("orders/0", history.Int(2))}},
		{Time: 4000, Process: 0, Type: history.OK, F: history.FSend, Mops: []history.Mop{history.SendAt("orders/0", 1, history.Int(2))}},
		{Time: 4500, Process: history.NoProcess, Type: history.Event, F: history.FFault, Fault: &history.Fault{Name: "partition-leader", Action: "start", Detail: "n1 | n2 n3"}},
		{Time: 5000, Process: history.NoProcess, Type: history.Event, F: history.FLeader, Replicas: []history.ReplicaChange{{Key: "orders/0", Node: 2, Offset: history.NoOffset, Epoch: 3}}},
		{Time: 5000, Process: history.NoProcess, Type: history.Event, F: history.FTruncate, Replicas: []history.ReplicaChange{{Key: "orders/0", Node: 1, Offset: 1, Epoch: 3}}},
		{Time: 6000, Process: 1, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("orders/0", history.Int(3))}},
		{Time: 7000, Process: 1, Type: history.OK, F: history.FSend, Mops: []history.Mop{history.SendAt("orders/0", 1, history.Int(3))}},
		{Time: 7500, Process: history.NoProcess, Type: history.Event, F: history.FFault, Fault: &history.Fault{Name: "partition-leader", Action: "stop"}},
		{Time: 8000, Process: 2, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}},
		{Time: 9000, Process: 2, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll(history.KeyRecords{Key: "orders/0", Records: []history.Record{{Offset: 0, Value: history.Int(1)}, {Offset: 1, Value: history.Int(3)}}})}},
	}
	for i := range ops {
		ops[i].Index = int64(i)
	}
	return ops
}

func TestVisualizationOfIllegalPartition(t *testing.T) {
	dir := t.TempDir()
	res, err := Check(lostAckHistory(), Options{Linearizability: true, Timeout: 10 * time.Second, OutDir: dir})
	require.NoError(t, err)
	assert.Equal(t, LinIllegal, res.Linearizable)
	assert.Contains(t, res.Errors, TypeNonlinearizable)
	assert.Contains(t, res.Errors, TypeLostWrite)
	assert.Contains(t, res.Errors, TypeInconsistentOffsets)

	path := filepath.Join(dir, "linearizability-orders_0.html")
	require.Equal(t, []string{path}, res.Stats.Linearizability.Visualizations)
	require.Len(t, res.Anomalies[TypeNonlinearizable], 1)
	an := res.Anomalies[TypeNonlinearizable][0]
	assert.Equal(t, "orders/0", an.Key)
	assert.Equal(t, path, an.File)
	assert.Contains(t, an.Explanation, path, "the report says where the visualization is")
	assert.Contains(t, an.Explanation, "For example, two sends were told offset 1: value 2 (operation 3) and value 3 (operation 8)", "and what cannot be ordered")

	html, err := os.ReadFile(path)
	require.NoError(t, err)
	page := string(html)
	assert.True(t, strings.HasPrefix(strings.TrimSpace(page), "<!DOCTYPE html>") || strings.Contains(page, "<html"), "an HTML page")
	assert.Contains(t, page, "partition-leader", "the fault is annotated")
	assert.Contains(t, page, "n1 | n2 n3", "with its detail")
	assert.Contains(t, page, "truncated to offset 1", "the partition's truncation is annotated")
	assert.Contains(t, page, "send 2@1", "operations are described")

	var text strings.Builder
	require.NoError(t, res.WriteText(&text, 10))
	assert.Contains(t, text.String(), path)
}

func TestLinearizabilityTimeoutIsUnknown(t *testing.T) {
	ops := generate(genConfig{seed: 7, lines: 3000, keys: 3, procs: 6, maxDelay: 3000})
	res, err := Check(ops, Options{Linearizability: true, Timeout: time.Nanosecond})
	require.NoError(t, err)
	assert.Equal(t, LinUnknown, res.Linearizable, "a timeout is never a pass")
	assert.Len(t, res.Stats.Linearizability.UnknownKeys, 3)
	assert.True(t, res.Valid, "unknown does not make a history invalid")

	res, err = Check(ops, Options{})
	require.NoError(t, err)
	assert.Equal(t, LinSkipped, res.Linearizable)
	assert.Nil(t, res.Stats.Linearizability)
}

func TestUnknownSendsAreSettledFromReads(t *testing.T) {
	ops := []history.Op{
		{Time: 1, Process: 0, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("k", history.String("a"))}},
		{Time: 2, Process: 1, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("k", history.String("b"))}},
		{Time: 3, Process: 0, Type: history.Info, F: history.FSend, Error: "REQUEST_TIMED_OUT", Mops: []history.Mop{history.SendAt("k", history.NoOffset, history.String("a"))}},
		{Time: 4, Process: 1, Type: history.Info, F: history.FSend, Error: "REQUEST_TIMED_OUT", Mops: []history.Mop{history.SendAt("k", history.NoOffset, history.String("b"))}},
		{Time: 5, Process: 2, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}},
		{Time: 6, Process: 2, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll(history.KeyRecords{Key: "k", Records: []history.Record{{Offset: 0, Value: history.String("b")}}})}},
	}
	for i := range ops {
		ops[i].Index = int64(i)
	}
	res, err := Check(ops, Options{Linearizability: true, Timeout: 10 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, LinOK, res.Linearizable)
	assert.Equal(t, 1, res.Stats.Linearizability.SettledUnknown)
	assert.Equal(t, 1, res.Stats.Linearizability.DroppedUnknown)
	assert.True(t, res.Valid)
}

// TestOKSendWithoutOffsetIsPlacedFromReads checks that an acknowledged send whose
// completion reported no offset takes the offset a poll later read it at.
func TestOKSendWithoutOffsetIsPlacedFromReads(t *testing.T) {
	ops := []history.Op{
		{Time: 1, Process: 0, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("k", history.Int(10))}},
		{Time: 2, Process: 0, Type: history.OK, F: history.FSend, Mops: []history.Mop{history.SendAt("k", 0, history.Int(10))}},
		{Time: 3, Process: 1, Type: history.Invoke, F: history.FSend, Mops: []history.Mop{history.Send("k", history.Int(11))}},
		{Time: 4, Process: 1, Type: history.OK, F: history.FSend, Mops: []history.Mop{history.SendAt("k", history.NoOffset, history.Int(11))}},
		{Time: 5, Process: 2, Type: history.Invoke, F: history.FPoll, Mops: []history.Mop{history.Poll()}},
		{Time: 6, Process: 2, Type: history.OK, F: history.FPoll, Mops: []history.Mop{history.Poll(history.KeyRecords{Key: "k", Records: []history.Record{
			{Offset: 0, Value: history.Int(10)}, {Offset: 1, Value: history.Int(11)}}})}},
	}
	for i := range ops {
		ops[i].Index = int64(i)
	}
	res, err := Check(ops, Options{Linearizability: true, Timeout: 10 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, LinOK, res.Linearizable)
	assert.True(t, res.Valid, "errors: %v", res.Errors)
}
