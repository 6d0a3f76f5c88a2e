package workloads

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

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
