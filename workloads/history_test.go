package workloads

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/client"
	"logsim/broker/proto"
	"logsim/checker/history"
)

// recordSample records one line of each kind, advancing *now once.
func recordSample(h *History, now *time.Duration) {
	a, b := proto.TopicPartition{Topic: "orders", Partition: 0}, proto.TopicPartition{Topic: "orders", Partition: 1}
	p := h.NewProcess()
	h.SendInvoke(p, Key(a), 7)
	*now = time.Millisecond
	h.SendDone(p, history.OK, Key(a), 0, 7, "")
	c := h.NewProcess()
	h.Assign(c, []proto.TopicPartition{a, b}, true)
	h.PollInvoke(c, "")
	recs := []client.ConsumerRecord{{TP: b, Offset: 0, Value: 9}, {TP: a, Offset: 0, Value: 7}, {TP: b, Offset: 1, Value: 11}}
	h.PollDone(c, "", recs, "")
	h.Leader(a, 2, 1)
	h.Truncate(a, 1, 1, 5)
	h.LogStart(b, 3)
	h.Fault("cut", "start", "partition: broker-1 | broker-0")
	h.Rebalance("g", c, 3, []proto.TopicPartition{b})
	offs := h.KeyOffsets([]proto.OffsetCommitPartition{{TopicPartition: b, CommittedOffset: 2}})
	h.CommitInvoke(c, "g", offs)
	h.CommitDone(c, history.Info, "g", offs, "REQUEST_TIMED_OUT")
}

// lineSink keeps the JSON line of every op it is fed.
type lineSink []string

func (s *lineSink) Add(op *history.Op) error {
	*s = append(*s, op.String())
	return nil
}

// validatingSink checks each line as the checker's Builder does.
type validatingSink struct{ v history.Validator }

func (s *validatingSink) Add(op *history.Op) error { return s.v.Check(op) }

func TestHistoryWritesTheSpecsLinesAndFeedsThem(t *testing.T) {
	var buf bytes.Buffer
	now := time.Duration(0)
	h := NewHistory(history.NewWriter(&buf), func() time.Duration { return now })
	var kept lineSink
	h.Feed(&kept)
	recordSample(h, &now)
	require.NoError(t, h.Flush())
	assert.EqualValues(t, 13, h.Lines())

	lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
	require.Len(t, lines, 13)
	assert.Equal(t, `{"index":0,"time":0,"process":0,"type":"invoke","f":"send","value":[["send","orders/0",7]]}`, string(lines[0]))
	assert.Equal(t, `{"index":1,"time":1000000,"process":0,"type":"ok","f":"send","value":[["send","orders/0",[0,7]]]}`, string(lines[1]))
	assert.Contains(t, string(lines[2]), `"seek_to_beginning":true`)
	// Records grouped per key in order of first appearance, each key's in the order returned.
	assert.Contains(t, string(lines[5]), `[["poll",{"orders/1":[[0,9],[1,11]],"orders/0":[[0,7]]}]]`)
	assert.Contains(t, string(lines[6]), `"f":"leader","value":{"orders/0":{"node":2,"epoch":1}}`)
	assert.Contains(t, string(lines[7]), `"f":"truncate","value":{"orders/0":{"node":1,"offset":5,"epoch":1}}`)
	assert.Contains(t, string(lines[8]), `"f":"log-start","value":{"orders/1":3}`)
	assert.Contains(t, string(lines[10]), `"f":"rebalance","value":{"group":"g","process":1,"generation":3,"assigned":["orders/1"]}`)
	assert.Contains(t, string(lines[12]), `"type":"info","f":"commit","error":"REQUEST_TIMED_OUT","group":"g","value":{"orders/1":2}`)

	// The lines fed are the file's lines.
	fromFile, err := history.ReadAll(bytes.NewReader(buf.Bytes()), "h")
	require.NoError(t, err)
	require.Len(t, kept, len(fromFile))
	for i := range kept {
		assert.Equal(t, fromFile[i].String(), kept[i], "line %d", i)
	}
}

// TestHistoryWithoutWriterFeedsTheSameLines: without a Writer the lines are numbered
// and validated as a Writer would, and fed, but not encoded.
func TestHistoryWithoutWriterFeedsTheSameLines(t *testing.T) {
	var buf bytes.Buffer
	now := time.Duration(0)
	withFile := NewHistory(history.NewWriter(&buf), func() time.Duration { return now })
	var want, got lineSink
	withFile.Feed(&want)
	recordSample(withFile, &now)
	now = 0
	feedOnly := NewHistory(nil, func() time.Duration { return now })
	feedOnly.Feed(&got)
	recordSample(feedOnly, &now)
	require.NoError(t, feedOnly.Flush())
	assert.EqualValues(t, withFile.Lines(), feedOnly.Lines())
	assert.Equal(t, []string(want), []string(got))

	// A line the Writer would reject is still a harness bug.
	var msg any
	func() {
		defer func() { msg = recover() }()
		h := NewHistory(nil, func() time.Duration { return 0 })
		p := h.NewProcess()
		h.SendInvoke(p, "orders/0", 7)
		h.SendInvoke(p, "orders/0", 8)
	}()
	require.IsType(t, "", msg, "a second invoke on a busy process must panic")
	assert.Contains(t, msg, "workloads: history: ")
	assert.Contains(t, msg, `(line: {"index":1,"time":0,"process":0,"type":"invoke","f":"send"`)

	// Fed to a Sink, the History leaves validation to it; what the Sink rejects is
	// the same harness bug.
	msg = nil
	func() {
		defer func() { msg = recover() }()
		h := NewHistory(nil, func() time.Duration { return 0 })
		h.Feed(&validatingSink{})
		p := h.NewProcess()
		h.SendInvoke(p, "orders/0", 7)
		h.SendInvoke(p, "orders/0", 8)
	}()
	require.IsType(t, "", msg, "a second invoke on a busy process must panic")
	assert.Contains(t, msg, "has not completed")
}

func TestConsumerFaultsChangeTheProcessingTime(t *testing.T) {
	now := 10 * time.Second
	s := &ConsumerSpec{Now: func() time.Duration { return now }, base: FixedDelay(time.Millisecond)}
	x := sampler{s}
	assert.Equal(t, time.Millisecond, x.Sample(nil))
	s.SetExtraProcessing(4 * time.Millisecond)
	assert.Equal(t, 5*time.Millisecond, x.Sample(nil), "slow-consumer adds to every record")
	s.StallUntil(12 * time.Second)
	assert.Equal(t, 5*time.Millisecond+2*time.Second, x.Sample(nil), "a stalled application is stuck until the stall ends")
	assert.Equal(t, 5*time.Millisecond+time.Second, x.SampleAfter(nil, time.Second), "a record starting a second later waits the rest")
	assert.Equal(t, 5*time.Millisecond, x.SampleAfter(nil, 3*time.Second), "a record starting after the stall is not held")
	now = 13 * time.Second
	assert.Equal(t, 5*time.Millisecond, x.Sample(nil), "a stall in the past does nothing")
	s.SetExtraProcessing(0)
	assert.Equal(t, time.Millisecond, x.Sample(nil))
}

// TestPollGroupsRecordsPerKey: records come grouped per partition (one pass) or
// interleaved (grouped by first appearance); either way each key's records keep the
// order returned.
func TestPollGroupsRecordsPerKey(t *testing.T) {
	a, b := proto.TopicPartition{Topic: "t", Partition: 0}, proto.TopicPartition{Topic: "t", Partition: 1}
	for _, tc := range []struct {
		recs []client.ConsumerRecord
		want string
	}{
		{[]client.ConsumerRecord{{TP: b, Offset: 4, Value: 1}, {TP: b, Offset: 5, Value: 2}, {TP: a, Offset: 0, Value: 3}},
			`[["poll",{"t/1":[[4,1],[5,2]],"t/0":[[0,3]]}]]`},
		{[]client.ConsumerRecord{{TP: a, Offset: 0, Value: 3}, {TP: b, Offset: 4, Value: 1}, {TP: a, Offset: 1, Value: 5}},
			`[["poll",{"t/0":[[0,3],[1,5]],"t/1":[[4,1]]}]]`},
		{nil, `[["poll",{}]]`},
	} {
		var buf bytes.Buffer
		h := NewHistory(history.NewWriter(&buf), func() time.Duration { return 0 })
		p := h.NewProcess()
		h.PollInvoke(p, "g")
		h.PollDone(p, "g", tc.recs, "")
		require.NoError(t, h.Flush())
		assert.Contains(t, buf.String(), `"value":`+tc.want+"}\n")
	}
}
