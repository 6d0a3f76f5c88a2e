package client

// The application around a consumer: the poll loop, the processing of each record, and
// when offsets are committed. Where the commit sits relative to the processing decides
// the delivery guarantee, which is what the scenarios explore:
//
//   - auto: enable.auto.commit, records processed synchronously between polls. A crash
//     re-delivers what was processed since the last auto-commit (at-least-once).
//   - after-processing: commitSync after each poll's records are processed
//     (at-least-once; a crash between processing and commit re-delivers).
//   - before-processing: commitSync before processing (at-most-once; a crash during
//     processing loses the rest of the batch for the group).
//   - async-worker: records are handed to a worker and the loop polls again at once,
//     with auto-commit on: the commit covers records the worker has not processed
//     yet, so a crash loses them. The setup that loses records with auto-commit.

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// CommitMode says when the application commits.
type CommitMode uint8

// The commit modes.
const (
	// CommitAuto: enable.auto.commit, records processed between polls.
	CommitAuto CommitMode = iota
	// CommitAfterProcessing: commitSync once a poll's records are processed.
	CommitAfterProcessing
	// CommitBeforeProcessing: commitSync before processing a poll's records.
	CommitBeforeProcessing
	// CommitAsyncWorker: records handed to a worker, auto-commit on.
	CommitAsyncWorker
)

var commitModeNames = [...]string{"auto", "after-processing", "before-processing", "async-worker"}

// String is the mode's scenario name.
func (m CommitMode) String() string {
	if int(m) < len(commitModeNames) {
		return commitModeNames[m]
	}
	return fmt.Sprintf("invalid(%d)", m)
}

// ParseCommitMode reads auto, after-processing, before-processing or async-worker.
func ParseCommitMode(s string) (CommitMode, error) {
	for i, n := range commitModeNames {
		if n == s {
			return CommitMode(i), nil
		}
	}
	return 0, fmt.Errorf("commit mode %q: want auto, after-processing, before-processing or async-worker", s)
}

// DurationSampler draws a duration from a distribution (workloads.Delay is one).
type DurationSampler interface {
	Sample(r *rand.Rand) time.Duration
}

// BatchSampler is a DurationSampler that can draw a record's processing time before
// the record starts. With it, and without App.OnProcessed, the App draws the times of
// all queued records at once and processes them under one timer (see App.work);
// a plain DurationSampler is asked at each record's start, since it may read the
// clock. What a sampler's state (a fault) changes takes effect from the next batch.
type BatchSampler interface {
	DurationSampler
	// SampleAfter draws the processing time of a record whose processing starts
	// elapsed after now.
	SampleAfter(r *rand.Rand, elapsed time.Duration) time.Duration
}

// AppConfig is the application's behaviour.
type AppConfig struct {
	// Topics are subscribed to (group management); if empty, Partitions are assigned.
	Topics     []string
	Partitions []proto.TopicPartition
	// SeekToBeginning starts assigned partitions at their log start.
	SeekToBeginning bool
	// Mode is when offsets are committed.
	Mode CommitMode
	// ProcessingTime is the time spent on each record; nil is none.
	ProcessingTime DurationSampler
	// PollTimeout is the timeout passed to each poll. Default 100 ms.
	PollTimeout time.Duration
	// WorkerQueue bounds the async worker's backlog in records: the loop stops
	// polling while it is full. Default 10000.
	WorkerQueue int
}

// Validate checks the application against the consumer's settings.
func (a AppConfig) Validate(cc ConsumerConfig) error {
	switch {
	case len(a.Topics) == 0 && len(a.Partitions) == 0:
		return fmt.Errorf("the consumer needs topics to subscribe to or partitions to assign")
	case len(a.Topics) > 0 && cc.GroupID == "":
		return fmt.Errorf("subscribing needs a group.id")
	case (a.Mode == CommitAuto || a.Mode == CommitAsyncWorker) && !cc.EnableAutoCommit && cc.GroupID != "":
		return fmt.Errorf("commit mode %s needs enable.auto.commit=true", a.Mode)
	case (a.Mode == CommitAfterProcessing || a.Mode == CommitBeforeProcessing) && cc.EnableAutoCommit:
		return fmt.Errorf("commit mode %s needs enable.auto.commit=false", a.Mode)
	case (a.Mode == CommitAfterProcessing || a.Mode == CommitBeforeProcessing) && cc.GroupID == "":
		return fmt.Errorf("commit mode %s needs a group.id", a.Mode)
	case a.PollTimeout < 0 || a.WorkerQueue < 0:
		return fmt.Errorf("poll timeout and worker queue must not be negative")
	}
	return nil
}

// AppStats are the application's counters.
type AppStats struct {
	// Processed counts the records whose processing completed (a batch processed
	// under one timer counts when the batch completes).
	Processed int64
	// ProcessingTime is the total time spent processing, counted when a record or
	// batch starts.
	ProcessingTime time.Duration
	// Backlog is the records polled but not yet processed.
	Backlog int
}

// App is the application loop around a Consumer.
type App struct {
	c   *Consumer
	env node.Env
	cfg AppConfig

	// OnProcessed, if set, is called when a record's processing completes.
	OnProcessed func(ConsumerRecord)

	queue []ConsumerRecord // the batch being processed, or the worker's backlog
	// queueBuf is the slice queue was taken from, handed back to the consumer for
	// reuse once processed.
	queueBuf   []ConsumerRecord
	processing bool // a processing timer is out
	procSeq    int64
	procN      int // the records at the queue's head that the processing timer covers
	batchable  BatchSampler
	polling    bool
	inBatch    bool // sync modes: the loop is busy with the current batch
	started    bool
	stopped    bool
	stats      AppStats
	// onPolled and onCommitted are polled and committed as func values, made once:
	// a method value passed at each poll or commit would allocate each time.
	onPolled    func(PollResult)
	onCommitted func(string)
}

// NewApp builds the application around c. It panics on an invalid config (validate
// user input with AppConfig.Validate first).
func NewApp(env node.Env, c *Consumer, cfg AppConfig) *App {
	if err := cfg.Validate(c.cfg); err != nil {
		panic("client: invalid consumer application: " + err.Error())
	}
	if cfg.PollTimeout == 0 {
		cfg.PollTimeout = 100 * time.Millisecond
	}
	if cfg.WorkerQueue == 0 {
		cfg.WorkerQueue = 10000
	}
	a := &App{c: c, env: env, cfg: cfg}
	a.batchable, _ = cfg.ProcessingTime.(BatchSampler)
	a.onPolled, a.onCommitted = a.polled, a.committed
	return a
}

// Consumer is the application's consumer.
func (a *App) Consumer() *Consumer { return a.c }

// Stats returns the counters.
func (a *App) Stats() AppStats {
	s := a.stats
	s.Backlog = len(a.queue)
	return s
}

// Start subscribes or assigns and begins the poll loop.
func (a *App) Start() {
	if a.started {
		return
	}
	a.started = true
	if len(a.cfg.Topics) > 0 {
		a.c.Subscribe(a.cfg.Topics)
	} else {
		a.c.Assign(a.cfg.Partitions)
		if a.cfg.SeekToBeginning {
			a.c.SeekToBeginning(a.cfg.Partitions)
		}
	}
	a.next()
}

// Stop ends the loop after the current step, closes the consumer (a final commit with
// auto-commit, and LeaveGroup) and calls done.
func (a *App) Stop(done func()) {
	a.stopped = true
	a.c.Close(done)
}

// Handle consumes the application's timers, then passes the event to the consumer.
func (a *App) Handle(ev node.Event) bool {
	if ev.Kind == node.TimerFired {
		switch ev.Timer.Kind {
		case timerAppProcess:
			if ev.Timer.Arg == a.procSeq && a.processing {
				a.processing = false
				a.processed(a.procN)
				a.work()
			}
			return true
		case timerAppPoll:
			a.next()
			return true
		}
	}
	return a.c.Handle(ev)
}

// next takes the loop's next step.
func (a *App) next() {
	if a.stopped || a.polling || a.inBatch {
		return
	}
	if a.cfg.Mode == CommitAsyncWorker && len(a.queue) >= a.cfg.WorkerQueue {
		return // the worker's backlog is full: resume when it drains
	}
	a.polling = true
	a.c.Poll(a.cfg.PollTimeout, a.onPolled)
}

func (a *App) polled(r PollResult) {
	a.polling = false
	if a.stopped {
		return
	}
	if r.Err != "" {
		// The poll failed (auto.offset.reset=none, a fatal group error): try again
		// after the poll timeout rather than spinning.
		a.env.After(a.cfg.PollTimeout, node.Timer{Kind: timerAppPoll})
		return
	}
	switch a.cfg.Mode {
	case CommitAsyncWorker:
		a.enqueue(r.Records)
		a.work()
		a.next()
	case CommitBeforeProcessing:
		if len(r.Records) == 0 {
			a.next()
			return
		}
		a.inBatch = true
		a.c.Commit(nil, func(string) {
			a.enqueue(r.Records)
			a.work()
		})
	default:
		if len(r.Records) == 0 {
			a.next()
			return
		}
		a.inBatch = true
		a.enqueue(r.Records)
		a.work()
	}
}

// enqueue adds polled records to the queue, taking the poll's slice when the queue is
// empty (nobody else holds a poll's slice once the poll's callbacks returned).
func (a *App) enqueue(recs []ConsumerRecord) {
	if len(a.queue) == 0 {
		a.queue, a.queueBuf = recs, recs
		return
	}
	a.queue = append(a.queue, recs...)
	a.c.reuseRecords(recs) // copied into the queue: free again
}

// work processes queued records: inline when they take no time, else under a timer.
//
// With OnProcessed set, each record gets a timer of its own, because the host records
// each completion at its instant (the async worker's history). Without it nothing can
// observe when a single record completes: only the loop's next step (commit, poll,
// room in the worker's queue) and the counters, and those come after the last queued
// record in either case. So the whole queue is processed under ONE timer lasting the
// sum of the records' times, drawn in order, each as for a record starting at the sum
// so far (BatchSampler): the batch ends at the instant the last record would have,
// with one event instead of one per record. Records stay in the queue until the timer
// fires (Backlog counts them; Processed counts them then). Stop leaves the timer
// running, as it leaves a record's timer; a crash rebuilds the node and the dead
// incarnation's timer never fires. In the async-worker mode records polled meanwhile
// queue behind the batch, as they would behind its last record, and the loop's
// worker-queue limit sees the same queue length.
func (a *App) work() {
	for len(a.queue) > 0 {
		if a.processing {
			return
		}
		n, d := 1, time.Duration(0)
		switch {
		case a.cfg.ProcessingTime == nil:
			n = len(a.queue)
		case a.batchable != nil && a.OnProcessed == nil:
			n = len(a.queue)
			for range n {
				dd := max(a.batchable.SampleAfter(a.env.Rand(), d), 0)
				d = min(d, math.MaxInt64-dd) + dd // saturate at the end of time
			}
		default:
			d = max(a.cfg.ProcessingTime.Sample(a.env.Rand()), 0)
		}
		if d > 0 {
			a.stats.ProcessingTime = min(a.stats.ProcessingTime, math.MaxInt64-d) + d
			a.processing = true
			a.procN = n
			a.procSeq++
			a.env.After(d, node.Timer{Kind: timerAppProcess, Arg: a.procSeq})
			return
		}
		a.processed(n)
	}
	a.c.reuseRecords(a.queueBuf)
	a.queue, a.queueBuf = nil, nil
	a.batchDone()
}

// processed completes the n records at the head of the queue.
func (a *App) processed(n int) {
	if a.OnProcessed != nil {
		for _, rec := range a.queue[:n] {
			a.OnProcessed(rec)
		}
	}
	a.queue = a.queue[n:]
	a.stats.Processed += int64(n)
}

// batchDone runs when the queue is empty: commit after processing, then poll.
func (a *App) batchDone() {
	switch {
	case a.stopped:
	case a.cfg.Mode == CommitAsyncWorker:
		a.next() // in case the loop waited for room
	case !a.inBatch:
	case a.cfg.Mode == CommitAfterProcessing:
		a.c.Commit(nil, a.onCommitted)
	default:
		a.inBatch = false
		a.next()
	}
}

// committed ends a batch once its commit after processing completed: poll again.
func (a *App) committed(string) {
	a.inBatch = false
	a.next()
}
