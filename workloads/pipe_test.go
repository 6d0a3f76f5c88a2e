package workloads

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/client"
	"logsim/broker/proto"
	"logsim/checker/history"
)

// TestBackgroundWritesAndFeedsTheSameLines: in the Background the Writer's file and
// the Sink's lines are those of a History that writes and feeds on the spot, across
// several batches (whose arenas are reused) and a flush in the middle.
func TestBackgroundWritesAndFeedsTheSameLines(t *testing.T) {
	record := func(background bool) (string, lineSink) {
		var buf bytes.Buffer
		var base, now time.Duration // recordSample sets now from 0 to 1ms
		h := NewHistory(history.NewWriter(&buf), func() time.Duration { return base + now })
		var kept lineSink
		h.Feed(&kept)
		if background {
			h.Background()
		}
		for i := range 3 * pipeLines / 13 {
			recordSample(h, &now)
			if i == 100 {
				require.NoError(t, h.Flush())
			}
			base += 2 * time.Millisecond
			now = 0
		}
		require.NoError(t, h.Close())
		return buf.String(), kept
	}
	wantFile, wantLines := record(false)
	gotFile, gotLines := record(true)
	require.Greater(t, len(wantLines), 2*pipeLines)
	assert.Equal(t, wantFile, gotFile)
	assert.Equal(t, []string(wantLines), []string(gotLines))
}

// failingSink rejects (or panics on) the line with index at.
type failingSink struct {
	at    int64
	panic bool
}

func (s *failingSink) Add(op *history.Op) error {
	if op.Index != s.at {
		return nil
	}
	if s.panic {
		panic("broken invariant")
	}
	return errors.New("rejected")
}

// TestBackgroundSurfacesTheFirstError: a line the Sink rejects is a harness bug that
// surfaces a few batches later as a panic naming that line, or at Close; a Sink that panics
// on its goroutine fails the same way instead of ending the process.
func TestBackgroundSurfacesTheFirstError(t *testing.T) {
	for _, panics := range []bool{false, true} {
		t.Run(fmt.Sprint("panics=", panics), func(t *testing.T) {
			h := NewHistory(nil, func() time.Duration { return 0 })
			h.Feed(&failingSink{at: 5, panic: panics})
			h.Background()
			var msg any
			func() {
				defer func() { msg = recover() }()
				for range (pipeBatches + 2) * pipeLines {
					h.Fault("f", "start", "")
				}
			}()
			require.IsType(t, "", msg, "the error must surface within a few batches")
			assert.Contains(t, msg, "workloads: history: ")
			if panics {
				assert.Contains(t, msg, "panic while consuming line 5: broken invariant")
			} else {
				assert.Contains(t, msg, "rejected")
			}
			assert.Error(t, h.Close(), "Close reports the error too")
			assert.Error(t, h.Close(), "and keeps reporting it")
		})
	}

	// An error in the last lines, found after the simulation wrote its last line.
	h := NewHistory(nil, func() time.Duration { return 0 })
	h.Feed(&failingSink{at: 2})
	h.Background()
	for range 3 {
		h.Fault("f", "start", "")
	}
	assert.EqualError(t, h.Close(), "rejected")
}

// TestBackgroundRejectsLinesAfterClose: the goroutine is gone, so a line after Close
// is a harness bug.
func TestBackgroundRejectsLinesAfterClose(t *testing.T) {
	h := NewHistory(nil, func() time.Duration { return 0 })
	var kept lineSink
	h.Feed(&kept)
	h.Background()
	h.Fault("f", "start", "")
	require.NoError(t, h.Close())
	assert.Len(t, kept, 1)
	assert.PanicsWithValue(t, "workloads: history: a line written after Close", func() { h.Fault("f", "stop", "") })
}

// TestBackgroundBoundsABatchsRecords: a final read's polls return hundreds of records
// each; a batch is handed over once it holds about pipeRecords of them, so the
// batches' arenas stay a few megabytes however many lines a batch may hold.
func TestBackgroundBoundsABatchsRecords(t *testing.T) {
	h := NewHistory(nil, func() time.Duration { return 0 })
	var kept lineSink
	h.Feed(&kept)
	h.Background()
	tp := proto.TopicPartition{Topic: "t", Partition: 0}
	recs := make([]client.ConsumerRecord, 1000)
	p := h.NewProcess()
	for i := range 200 {
		for j := range recs {
			recs[j] = client.ConsumerRecord{TP: tp, Offset: int64(i*len(recs) + j), Value: int64(i*len(recs) + j)}
		}
		h.PollInvoke(p, "")
		h.PollDone(p, "", recs, "")
	}
	require.NoError(t, h.Flush())
	assert.Len(t, kept, 400)
	batches := []*lineBatch{h.pipe.cur}
	for range pipeBatches - 1 {
		batches = append(batches, <-h.pipe.free)
	}
	for _, b := range batches {
		assert.LessOrEqual(t, cap(b.recs), 2*(pipeRecords+len(recs)), "a batch's record arena")
	}
	for _, b := range batches[1:] {
		h.pipe.free <- b
	}
	require.NoError(t, h.Close())
}

// TestBackgroundBuildsEveryKindOfLineAsWritten: the compact lines the goroutine makes
// into Ops (sends of every outcome, polls grouped in one pass or by first appearance,
// empty and failed polls, commits) come out as a History without a pipe writes them,
// interleaved with whole-Op lines, across batches handed over by lines and by records.
func TestBackgroundBuildsEveryKindOfLineAsWritten(t *testing.T) {
	a, b, c := proto.TopicPartition{Topic: "t", Partition: 0}, proto.TopicPartition{Topic: "t", Partition: 1},
		proto.TopicPartition{Topic: "u", Partition: 0}
	polls := [][]client.ConsumerRecord{
		nil,
		{{TP: a, Offset: 0, Value: 1}},
		{{TP: a, Offset: 1, Value: 2}, {TP: a, Offset: 2, Value: 3}, {TP: b, Offset: 0, Value: 4}, {TP: c, Offset: 7, Value: 5}},
		{{TP: b, Offset: 1, Value: 6}, {TP: a, Offset: 3, Value: 7}, {TP: b, Offset: 2, Value: 8}, {TP: c, Offset: 8, Value: 9}, {TP: a, Offset: 4, Value: 10}},
		make([]client.ConsumerRecord, 700), // a final read's poll: batches fill up by records too
	}
	for i := range polls[4] {
		polls[4][i] = client.ConsumerRecord{TP: c, Offset: int64(100 + i), Value: int64(1000 + i)}
	}
	record := func(background bool) (string, lineSink) {
		var buf bytes.Buffer
		var now time.Duration
		h := NewHistory(history.NewWriter(&buf), func() time.Duration { return now })
		var kept lineSink
		h.Feed(&kept)
		if background {
			h.Background()
		}
		p, q := h.NewProcess(), h.NewProcess()
		for i := range 3000 {
			now += time.Microsecond
			key := Key([]proto.TopicPartition{a, b, c}[i%3])
			h.SendInvoke(p, key, int64(i))
			switch i % 4 {
			case 0, 1:
				h.SendDone(p, history.OK, key, int64(i), int64(i), "")
			case 2:
				h.SendDone(p, history.Fail, key, history.NoOffset, int64(i), "NOT_LEADER_OR_FOLLOWER")
			default:
				h.SendDone(p, history.Info, key, history.NoOffset, int64(i), "REQUEST_TIMED_OUT")
				p = h.NewProcess()
			}
			h.PollInvoke(q, "g")
			if i%7 == 6 {
				h.PollDone(q, "g", nil, "COORDINATOR_NOT_AVAILABLE")
			} else {
				h.PollDone(q, "g", polls[i%len(polls)], "")
			}
			if i%5 == 0 {
				offs := h.KeyOffsets([]proto.OffsetCommitPartition{{TopicPartition: a, CommittedOffset: int64(i)}, {TopicPartition: c, CommittedOffset: 3}})
				h.CommitInvoke(q, "g", offs)
				h.CommitDone(q, history.OK, "g", offs, "")
			}
			if i%11 == 0 {
				h.Leader(b, 1, int32(i))
				h.Fault("cut", "start", "")
			}
		}
		require.NoError(t, h.Close())
		return buf.String(), kept
	}
	wantFile, wantLines := record(false)
	gotFile, gotLines := record(true)
	require.Greater(t, len(wantLines), 4*pipeLines)
	assert.Equal(t, wantFile, gotFile)
	assert.Equal(t, []string(wantLines), []string(gotLines))
	assert.Contains(t, wantFile, `"type":"fail","f":"poll","error":"COORDINATOR_NOT_AVAILABLE","group":"g","value":[["poll",{}]]}`)
	assert.Contains(t, wantFile, `"f":"poll","group":"g","value":[["poll",{"t/1":[[1,6],[2,8]],"t/0":[[3,7],[4,10]],"u/0":[[8,9]]}]]}`)
	assert.Contains(t, wantFile, `"type":"info","f":"send","error":"REQUEST_TIMED_OUT","value":[["send","t/0",[null,3]]]}`)
}

// TestLinesStayCompact: the simulation's thread appends one line per history line,
// which must stay a few words, within a cache line (an Op and its Mop take
// almost five).
func TestLinesStayCompact(t *testing.T) {
	assert.LessOrEqual(t, unsafe.Sizeof(line{}), uintptr(56))
}
