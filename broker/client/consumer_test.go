package client

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/proto"
)

type fixedDelay time.Duration

func (d fixedDelay) Sample(*rand.Rand) time.Duration { return time.Duration(d) }

func tp(topic string, p int32) proto.TopicPartition {
	return proto.TopicPartition{Topic: topic, Partition: p}
}

func produceAll(w *world, topic string, partitions, n int) {
	for p := 0; p < partitions; p++ {
		w.broker.produce(tp(topic, int32(p)), n)
	}
}

func TestGroupFormsAndSplitsPartitions(t *testing.T) {
	w := newWorld(t)
	w.broker.createTopic("orders", 4)
	produceAll(w, "orders", 4, 5)
	cc := testConsumerConfig("g")
	a := w.addConsumer("c1", cc, AppConfig{Topics: []string{"orders"}})
	b := w.addConsumer("c2", cc, AppConfig{Topics: []string{"orders"}})
	w.run(5 * time.Second)
	assert.Len(t, assigned(w, a), 2)
	assert.Len(t, assigned(w, b), 2)
	assert.NotEqual(t, assigned(w, a), assigned(w, b))
	got := w.processedValues()
	assert.Len(t, got, 20, "every record processed")
	for v, n := range got {
		assert.Equal(t, 1, n, "value %d processed once", v)
	}
	// Auto-commit stored the positions: the group's committed offsets reach the end.
	gi, ok := w.broker.coord.Describe("g")
	require.True(t, ok)
	for p := int32(0); p < 4; p++ {
		assert.Equal(t, int64(5), gi.Offsets[tp("orders", p)].Offset, "orders/%d committed", p)
	}
	assert.Equal(t, Eager, a.app.Consumer().Protocol(), "range is eager")
}

func TestEagerRebalanceRevokesEverything(t *testing.T) {
	w := newWorld(t)
	w.broker.createTopic("orders", 4)
	cc := testConsumerConfig("g")
	a := w.addConsumer("c1", cc, AppConfig{Topics: []string{"orders"}})
	w.run(3 * time.Second)
	require.Len(t, assigned(w, a), 4)
	w.addConsumer("c2", cc, AppConfig{Topics: []string{"orders"}})
	w.run(8 * time.Second)
	assert.Len(t, assigned(w, a), 2)
	assert.NotEmpty(t, w.lines("c1 rebalance gen=1 assigned=[] revoked=[orders/0 orders/1 orders/2 orders/3]"),
		"eager: c1 gives up all its partitions before rejoining; trace:\n%v", w.trace)
}

func TestCooperativeRebalanceKeepsPartitions(t *testing.T) {
	w := newWorld(t)
	w.broker.createTopic("orders", 4)
	produceAll(w, "orders", 4, 3)
	cc := testConsumerConfig("g")
	cc.PartitionAssignmentStrategy = []string{CooperativeStickyAssignorName}
	a := w.addConsumer("c1", cc, AppConfig{Topics: []string{"orders"}})
	w.run(3 * time.Second)
	require.Len(t, assigned(w, a), 4)
	b := w.addConsumer("c2", cc, AppConfig{Topics: []string{"orders"}})
	w.run(10 * time.Second)
	assert.Len(t, assigned(w, a), 2)
	assert.Len(t, assigned(w, b), 2)
	assert.Empty(t, w.lines("c1 rebalance", "assigned=[]"), "cooperative: c1 never drops everything; trace:\n%v", w.trace)
	assert.NotEmpty(t, w.lines("c1 rebalance", "revoked=[orders/2 orders/3]"), "c1 revokes only what moves; trace:\n%v", w.trace)
	assert.Len(t, w.processedValues(), 12)
	assert.Equal(t, Cooperative, a.app.Consumer().Protocol())
}

func TestCrashedConsumerPartitionsMove(t *testing.T) {
	for _, strategy := range []string{RangeAssignorName, CooperativeStickyAssignorName} {
		t.Run(strategy, func(t *testing.T) {
			w := newWorld(t)
			w.broker.createTopic("orders", 4)
			cc := testConsumerConfig("g")
			cc.PartitionAssignmentStrategy = []string{strategy}
			a := w.addConsumer("c1", cc, AppConfig{Topics: []string{"orders"}})
			b := w.addConsumer("c2", cc, AppConfig{Topics: []string{"orders"}})
			w.run(5 * time.Second)
			require.Len(t, assigned(w, b), 2)
			w.crash(a)
			w.run(12 * time.Second)
			assert.Len(t, assigned(w, b), 2, "the session has not expired yet")
			w.run(20 * time.Second)
			assert.Len(t, assigned(w, b), 4, "after session.timeout.ms the crashed member's partitions move")
		})
	}
}

func TestConsumerExceedingMaxPollIntervalIsRemoved(t *testing.T) {
	w := newWorld(t)
	w.broker.createTopic("orders", 2)
	produceAll(w, "orders", 2, 3)
	cc := testConsumerConfig("g")
	slow := w.addConsumer("slow", cc, AppConfig{Topics: []string{"orders"}, ProcessingTime: fixedDelay(20 * time.Second)})
	fast := w.addConsumer("fast", cc, AppConfig{Topics: []string{"orders"}})
	w.run(5 * time.Second)
	require.Len(t, assigned(w, slow), 1)
	// The slow consumer is stuck processing 3 records (60 s) without polling: after
	// max.poll.interval.ms (30 s) it leaves the group and its partition moves; its
	// heartbeats alone do not keep it in.
	w.run(40 * time.Second)
	assert.Empty(t, assigned(w, slow))
	assert.Len(t, assigned(w, fast), 2)
	assert.NotEmpty(t, w.lines("slow rebalance", "lost=true"), "trace:\n%v", w.trace)
	// When it finally polls again it rejoins as a new member and gets a share back.
	w.run(100 * time.Second)
	assert.Len(t, assigned(w, slow), 1)
}

// lossSetup runs one consumer with slow processing, crashes it, and lets a successor
// finish the partition. It returns the values processed by anyone.
func lossSetup(t *testing.T, cc ConsumerConfig, mode CommitMode) (map[int64]int, *world) {
	w := newWorld(t)
	w.broker.createTopic("orders", 1)
	w.broker.produce(tp("orders", 0), 20)
	a := w.addConsumer("c1", cc, AppConfig{Topics: []string{"orders"}, Mode: mode, ProcessingTime: fixedDelay(200 * time.Millisecond)})
	w.run(3 * time.Second)
	require.NotEmpty(t, w.lines("c1 processed"))
	require.Less(t, len(w.lines("c1 processed")), 20)
	w.crash(a)
	w.run(15 * time.Second)
	cc.ClientID = "c2"
	w.addConsumer("c2", cc, AppConfig{Topics: []string{"orders"}, Mode: mode})
	w.run(30 * time.Second)
	return w.processedValues(), w
}

func TestAsyncWorkerWithAutoCommitLosesRecords(t *testing.T) {
	got, w := lossSetup(t, testConsumerConfig("g"), CommitAsyncWorker)
	assert.Less(t, len(got), 20, "records polled, committed by auto-commit, never processed: lost; trace:\n%v", w.trace)
	assert.Empty(t, w.lines("c2 processed"), "the successor starts after everything c1 polled")
}

func TestCommitAfterProcessingRedelivers(t *testing.T) {
	cc := testConsumerConfig("g")
	cc.EnableAutoCommit = false
	cc.MaxPollRecords = 5
	got, w := lossSetup(t, cc, CommitAfterProcessing)
	assert.Len(t, got, 20, "nothing lost; trace:\n%v", w.trace)
	dup := 0
	for _, n := range got {
		if n > 1 {
			dup++
		}
	}
	assert.Positive(t, dup, "records processed but not committed are delivered again")
}

func TestCommitBeforeProcessingLosesTheBatchInFlight(t *testing.T) {
	cc := testConsumerConfig("g")
	cc.EnableAutoCommit = false
	cc.MaxPollRecords = 5
	got, w := lossSetup(t, cc, CommitBeforeProcessing)
	assert.Less(t, len(got), 20, "at-most-once: the batch being processed at the crash is lost; trace:\n%v", w.trace)
	for v, n := range got {
		assert.Equal(t, 1, n, "value %d never processed twice", v)
	}
}

func TestOffsetOutOfRangeResets(t *testing.T) {
	for _, reset := range []OffsetReset{ResetEarliest, ResetLatest, ResetNone} {
		t.Run(reset.String(), func(t *testing.T) {
			w := newWorld(t)
			w.broker.createTopic("orders", 1)
			for i := 0; i < 10; i++ {
				w.broker.produce(tp("orders", 0), 2)
			}
			cc := testConsumerConfig("")
			cc.EnableAutoCommit = false
			cc.AutoOffsetReset = reset
			cc.MaxPartitionFetchBytes = 1 // one batch per fetch: the consumer does not read ahead
			w.addConsumer("c1", cc, AppConfig{Partitions: []proto.TopicPartition{tp("orders", 0)}, SeekToBeginning: true,
				Mode: CommitAuto, ProcessingTime: fixedDelay(time.Second)})
			w.run(3 * time.Second)
			// Retention deletes what the slow consumer has not read yet.
			w.broker.deleteBefore(tp("orders", 0), 15)
			w.run(20 * time.Second)
			switch reset {
			case ResetEarliest:
				assert.NotEmpty(t, w.lines("reset orders/0", "->15 (auto.offset.reset=earliest)"), "trace:\n%v", w.trace)
				assert.NotEmpty(t, w.lines("processed orders/0@19"))
			case ResetLatest:
				assert.NotEmpty(t, w.lines("reset orders/0", "->20 (auto.offset.reset=latest)"), "trace:\n%v", w.trace)
				assert.Empty(t, w.lines("processed orders/0@19"))
			case ResetNone:
				assert.NotEmpty(t, w.lines("c1 poll OFFSET_OUT_OF_RANGE"), "trace:\n%v", w.trace)
				assert.Empty(t, w.lines("processed orders/0@15"))
			}
		})
	}
}

func TestTruncationDetection(t *testing.T) {
	for _, detect := range []bool{true, false} {
		t.Run(map[bool]string{true: "kip320", false: "off"}[detect], func(t *testing.T) {
			w := newWorld(t)
			w.broker.createTopic("orders", 1)
			w.broker.produce(tp("orders", 0), 10) // values 1..10 at offsets 0..9, epoch 1
			cc := testConsumerConfig("g")
			cc.TruncationDetection = detect
			w.addConsumer("c1", cc, AppConfig{Topics: []string{"orders"}})
			w.run(3 * time.Second)
			require.Len(t, w.lines("processed"), 10)
			// An unclean election: the new leader had only offsets 0..5, then takes
			// writes at 6.. in epoch 2.
			w.broker.truncateAndLead(tp("orders", 0), 6)
			w.broker.produce(tp("orders", 0), 10) // values 11..20 at 6..15
			w.run(20 * time.Second)
			got := w.processedValues()
			if detect {
				assert.NotEmpty(t, w.lines("reset orders/0 10->6 (truncation detected)"), "trace:\n%v", w.trace)
				assert.Len(t, got, 20, "every value the new leader holds is read")
			} else {
				assert.Empty(t, w.lines("truncation detected"))
				for v := int64(11); v <= 14; v++ {
					assert.NotContains(t, got, v, "without KIP-320 the records at offsets 6..9 of the new leader are skipped")
				}
			}
		})
	}
}

func TestConsumerConfigValidation(t *testing.T) {
	ok := DefaultConsumerConfig("g", 1)
	require.NoError(t, ok.Validate())
	bad := []func(*ConsumerConfig){
		func(c *ConsumerConfig) { c.BootstrapServers = nil },
		func(c *ConsumerConfig) { c.HeartbeatInterval = c.SessionTimeout },
		func(c *ConsumerConfig) { c.PartitionAssignmentStrategy = []string{"sticky-ish"} },
		func(c *ConsumerConfig) { c.MaxPollRecords = 0 },
		func(c *ConsumerConfig) { c.RequestTimeout = c.FetchMaxWait },
	}
	for i, f := range bad {
		c := ok
		f(&c)
		assert.Error(t, c.Validate(), "case %d", i)
	}
	r, err := ParseOffsetReset("none")
	require.NoError(t, err)
	assert.Equal(t, ResetNone, r)
	_, err = ParseOffsetReset("smallest")
	assert.ErrorContains(t, err, "want latest, earliest or none")
	m, err := ParseCommitMode("async-worker")
	require.NoError(t, err)
	assert.Equal(t, CommitAsyncWorker, m)
	assert.Error(t, AppConfig{Topics: []string{"t"}, Mode: CommitAfterProcessing}.Validate(ok), "after-processing needs auto-commit off")
}

// TestEventsPairAsTheHistoryNeeds checks what a history writer relies on: a consumer
// has at most one poll outstanding, every completion follows its own invocation, and
// everything invoked completes unless the consumer crashed.
func TestEventsPairAsTheHistoryNeeds(t *testing.T) {
	w := newWorld(t)
	w.broker.createTopic("orders", 3)
	produceAll(w, "orders", 3, 10)
	type open struct {
		poll    int64
		commits map[int64]bool
	}
	state := map[string]*open{}
	w.hook = func(name string, ev ConsumerEvent) {
		st := state[name]
		if st == nil {
			st = &open{commits: map[int64]bool{}}
			state[name] = st
		}
		switch ev.Kind {
		case EventPollInvoke:
			require.Zero(t, st.poll, "%s: a second poll while %d is outstanding", name, st.poll)
			st.poll = ev.ID
		case EventPoll:
			require.Equal(t, st.poll, ev.ID, "%s: poll completion without its invocation", name)
			st.poll = 0
		case EventCommitInvoke:
			require.False(t, st.commits[ev.ID])
			st.commits[ev.ID] = true
		case EventCommit:
			require.True(t, st.commits[ev.ID], "%s: commit %d completed twice or never invoked", name, ev.ID)
			delete(st.commits, ev.ID)
		}
	}
	cc := testConsumerConfig("g")
	a := w.addConsumer("c1", cc, AppConfig{Topics: []string{"orders"}, ProcessingTime: fixedDelay(100 * time.Millisecond)})
	cc2 := cc
	cc2.EnableAutoCommit = false
	b := w.addConsumer("c2", cc2, AppConfig{Topics: []string{"orders"}, Mode: CommitAfterProcessing, ProcessingTime: fixedDelay(100 * time.Millisecond)})
	w.run(5 * time.Second)
	w.crash(a)
	w.run(30 * time.Second)
	done := false
	b.app.Stop(func() { done = true })
	w.run(31 * time.Second)
	require.True(t, done, "Close completes")
	assert.Zero(t, state["c2"].poll, "c2's last poll completed")
	assert.Empty(t, state["c2"].commits, "c2's commits all completed")
	assert.Len(t, w.processedValues(), 30)
}

func TestSeekRereadsFromTheOffset(t *testing.T) {
	w := newWorld(t)
	w.broker.createTopic("orders", 1)
	w.broker.produce(tp("orders", 0), 10) // offsets 0..9
	cc := testConsumerConfig("")
	cc.EnableAutoCommit = false
	c := w.addConsumer("c1", cc, AppConfig{Partitions: []proto.TopicPartition{tp("orders", 0)}, SeekToBeginning: true})
	w.run(3 * time.Second)
	require.Len(t, w.lines("c1 processed orders/0@"), 10, "trace:\n%v", w.trace)
	c.app.Consumer().Seek(tp("orders", 0), 4)
	w.run(6 * time.Second)
	assert.Len(t, w.lines("c1 processed orders/0@"), 16, "offsets 4..9 again; trace:\n%v", w.trace)
	assert.Len(t, w.lines("c1 processed orders/0@3="), 1, "nothing before the sought offset again")
	assert.Len(t, w.lines("c1 processed orders/0@4="), 2)
}

// The per-event check catches a partition in the assignment that lost its mark, and
// buffered data of a partition no longer assigned.
func TestConsumerInvariantsCatchAssignmentMismatch(t *testing.T) {
	w := newWorld(t)
	w.broker.createTopic("orders", 1)
	w.broker.produce(tp("orders", 0), 10)
	cc := testConsumerConfig("")
	cc.EnableAutoCommit = false
	c := w.addConsumer("c1", cc, AppConfig{Partitions: []proto.TopicPartition{tp("orders", 0)}, SeekToBeginning: true})
	w.run(3 * time.Second)
	cons := c.app.Consumer()
	require.NotPanics(t, cons.checkInvariants)
	p := cons.order[0]
	p.assigned = false
	require.Panics(t, cons.checkInvariants)
	p.assigned = true
	cons.buffer = append(cons.buffer, &completedFetch{p: &partition{tp: p.tp, buffered: true}})
	require.Panics(t, cons.checkInvariants)
}

// An App hands each processed poll's records back to its consumer, and the next poll
// fills them again. In every mode, with records arriving while earlier ones are still
// being processed, the App processes exactly what its polls returned, in order: no
// poll overwrites records still queued.
func TestAppProcessesWhatItPolledWhileRecordsAreReused(t *testing.T) {
	for _, mode := range []CommitMode{CommitAuto, CommitAfterProcessing, CommitBeforeProcessing, CommitAsyncWorker} {
		t.Run(mode.String(), func(t *testing.T) {
			w := newWorld(t)
			w.broker.createTopic("orders", 2)
			cc := testConsumerConfig("g")
			cc.MaxPollRecords = 7
			cc.EnableAutoCommit = mode == CommitAuto || mode == CommitAsyncWorker
			w.addConsumer("c1", cc, AppConfig{Topics: []string{"orders"}, Mode: mode, WorkerQueue: 20,
				ProcessingTime: fixedDelay(20 * time.Millisecond)})
			for i := 1; i <= 10; i++ {
				w.broker.produce(tp("orders", 0), 9)
				w.broker.produce(tp("orders", 1), 4)
				w.run(time.Duration(i) * time.Second)
			}
			w.run(30 * time.Second)

			var polled, processed []string
			for _, l := range w.lines("c1 poll ") {
				polled = append(polled, strings.Fields(strings.TrimPrefix(l, "c1 poll "))...)
			}
			for _, l := range w.lines("c1 processed ") {
				processed = append(processed, strings.TrimPrefix(l, "c1 processed "))
			}
			require.Len(t, processed, 130, "every record processed once")
			assert.Equal(t, polled, processed)
		})
	}
}
