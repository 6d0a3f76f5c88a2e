package client

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/node"
)

// stalledDelay is a processing time that reads the clock, like a stalled application:
// base per record, plus the wait until until for a record starting before it.
type stalledDelay struct {
	base  time.Duration
	until time.Duration
	now   func() time.Duration
}

func (s stalledDelay) Sample(r *rand.Rand) time.Duration { return s.SampleAfter(r, 0) }

func (s stalledDelay) SampleAfter(_ *rand.Rand, elapsed time.Duration) time.Duration {
	d := s.base
	if start := s.now() + elapsed; s.until > start {
		d += s.until - start
	}
	return d
}

// plainDelay hides SampleAfter: the App must ask it at each record's start.
type plainDelay struct{ s stalledDelay }

func (p plainDelay) Sample(r *rand.Rand) time.Duration { return p.s.Sample(r) }

// appRun runs one consumer in mode over 2 partitions of 30 records and returns
// what it did, with times, and the timers it armed.
func appRun(t *testing.T, batched bool, mode CommitMode) (trace []string, first time.Duration, timers int, st AppStats) {
	w := newWorld(t)
	w.broker.createTopic("orders", 2)
	produceAll(w, "orders", 2, 30)
	cc := testConsumerConfig("g")
	cc.MaxPollRecords = 7
	cc.EnableAutoCommit = mode == CommitAuto || mode == CommitAsyncWorker
	var sampler DurationSampler
	stall := stalledDelay{base: 30 * time.Millisecond, until: 1500 * time.Millisecond, now: func() time.Duration { return w.now }}
	if batched {
		sampler = stall
	} else {
		sampler = plainDelay{stall}
	}
	w.hook = func(name string, ev ConsumerEvent) {
		if ev.Kind == EventPoll && len(ev.Records) == 0 {
			return
		}
		if first == 0 && ev.Kind == EventPoll {
			first = w.now
		}
		trace = append(trace, fmt.Sprintf("%v %s kind=%d records=%d offsets=%v", w.now, name, ev.Kind, len(ev.Records), ev.Offsets))
	}
	c := w.addConsumer("c1", cc, AppConfig{Topics: []string{"orders"}, Mode: mode, ProcessingTime: sampler})
	c.app.OnProcessed = nil
	w.run(20 * time.Second)
	return trace, first, int(c.env.nextTimer), c.app.Stats()
}

func TestBatchedProcessingEndsWhenTheLastRecordWould(t *testing.T) {
	for _, mode := range []CommitMode{CommitAfterProcessing, CommitBeforeProcessing, CommitAuto, CommitAsyncWorker} {
		t.Run(mode.String(), func(t *testing.T) {
			perRecord, _, perRecordTimers, perRecordStats := appRun(t, false, mode)
			batched, first, batchedTimers, batchedStats := appRun(t, true, mode)
			require.NotEmpty(t, perRecord)
			assert.Equal(t, perRecord, batched, "the loop polls and commits at the same instants")
			assert.Equal(t, perRecordStats, batchedStats)
			assert.Equal(t, int64(60), batchedStats.Processed)
			assert.Zero(t, batchedStats.Backlog)
			// 60 records in batches of at most 7: at least 9 batches, each one timer
			// instead of one per record.
			assert.GreaterOrEqual(t, perRecordTimers-batchedTimers, 60-9-1,
				"timers: %d per record, %d batched", perRecordTimers, batchedTimers)
			// The stall is waited out once, by the first record, which starts at the
			// first poll (before-processing: after the commit's round trip).
			start := first
			if mode == CommitBeforeProcessing {
				start += 2 * latency
			}
			assert.Equal(t, 60*30*time.Millisecond+1500*time.Millisecond-start, batchedStats.ProcessingTime)
		})
	}
}

func TestBatchCountsAtItsEnd(t *testing.T) {
	w := newWorld(t)
	w.broker.createTopic("orders", 1)
	w.broker.produce(tp("orders", 0), 5)
	cc := testConsumerConfig("g")
	cc.EnableAutoCommit = false
	stall := stalledDelay{base: time.Second, now: func() time.Duration { return w.now }}
	c := w.addConsumer("c1", cc, AppConfig{Topics: []string{"orders"}, Mode: CommitAfterProcessing, ProcessingTime: stall})
	c.app.OnProcessed = nil
	var polled time.Duration
	w.hook = func(_ string, ev ConsumerEvent) {
		if ev.Kind == EventPoll && len(ev.Records) > 0 && polled == 0 {
			polled = w.now
		}
	}
	for polled == 0 && w.now < 10*time.Second {
		w.run(w.now + time.Millisecond)
	}
	require.NotZero(t, polled)
	w.run(polled + 4900*time.Millisecond)
	st := c.app.Stats()
	assert.Zero(t, st.Processed, "the batch has not completed")
	assert.Equal(t, 5, st.Backlog)
	assert.Equal(t, 5*time.Second, st.ProcessingTime, "counted when the batch starts")
	w.run(polled + 5*time.Second)
	st = c.app.Stats()
	assert.Equal(t, int64(5), st.Processed)
	assert.Zero(t, st.Backlog)
}

func TestCompletedCommitsLeaveNoTimeoutTimer(t *testing.T) {
	w := newWorld(t)
	w.broker.createTopic("orders", 2)
	produceAll(w, "orders", 2, 30)
	cc := testConsumerConfig("g")
	cc.MaxPollRecords = 7
	cc.EnableAutoCommit = false
	c := w.addConsumer("c1", cc, AppConfig{Topics: []string{"orders"}, Mode: CommitAfterProcessing, ProcessingTime: fixedDelay(time.Millisecond)})
	w.run(5 * time.Second)
	require.GreaterOrEqual(t, len(w.lines("c1 commit auto=false")), 9, "a commit per poll")
	armed := 0
	for _, e := range w.q {
		if e.to == c.env.id && e.ev.Kind == node.TimerFired && e.ev.Timer.Kind == timerConsumerCommitTimeout && !c.env.cancelled[e.tid] {
			armed++
		}
	}
	assert.Zero(t, armed, "every commit completed: its default.api.timeout.ms timer is cancelled")
}
