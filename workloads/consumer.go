package workloads

import (
	"math/rand/v2"
	"slices"
	"time"

	"logsim/broker/client"
	"logsim/broker/node"
	"logsim/broker/proto"
	"logsim/checker/history"
)

// ConsumerSpec is one consumer instance: a Kafka consumer and the application around
// it (processing time, commit mode), members of Group or readers of assigned
// partitions.
type ConsumerSpec struct {
	// Name is the instance's name (c-0).
	Name string
	// Config is the Kafka consumer's configuration (its GroupID is the history's group).
	Config client.ConsumerConfig
	// App is the application: topics or partitions, commit mode, processing time.
	App client.AppConfig
	// MetricsGroup names the consumer in the reports' per-group figures: the group, or
	// the entry's name for assign-mode readers without a group.
	MetricsGroup string
	// Start is when the application starts, in simulator time.
	Start time.Duration
	// History and Metrics record what happens; Now is the simulator's exact clock.
	History *History
	Metrics Metrics
	Now     func() time.Duration

	// Faults on the application, set by the runner: extra processing per record, and
	// a stall until a time (the application thread stuck).
	extra      time.Duration
	stallUntil time.Duration
	base       client.DurationSampler
}

// SetExtraProcessing adds d to every record's processing time (slow-consumer faults).
func (s *ConsumerSpec) SetExtraProcessing(d time.Duration) { s.extra = d }

// StallUntil makes the application stop at its next record until t (stall-consumer
// faults); a time in the past ends a stall.
func (s *ConsumerSpec) StallUntil(t time.Duration) { s.stallUntil = t }

// sampler is the processing time with the faults applied.
type sampler struct{ s *ConsumerSpec }

// Sample draws the processing time of a record starting now.
func (x sampler) Sample(r *rand.Rand) time.Duration { return x.SampleAfter(r, 0) }

// SampleAfter draws the processing time of a record starting elapsed from now, so
// that the App can process a poll's records under one timer (client.BatchSampler): a
// stall already under way holds the record until it ends.
func (x sampler) SampleAfter(r *rand.Rand, elapsed time.Duration) time.Duration {
	var d time.Duration
	if x.s.base != nil {
		d = x.s.base.Sample(r)
	}
	d += x.s.extra
	if start := x.s.Now() + elapsed; x.s.stallUntil > start {
		d += x.s.stallUntil - start
	}
	return d
}

var _ client.BatchSampler = sampler{}

// ConsumerHost is a consumer client node: a Machine hosting a Kafka consumer and its
// application loop. It records the consumer's operations in the history on one process
// (polls, subscribe, assign, the process of rebalance events) and its commits on
// processes of their own, since a commit may be in flight while the loop polls. After
// a restart the consumer is a new process.
//
// A history poll is what the application received. With the async-worker commit mode
// the application receives a record when its worker processes it, not when the loop
// polls it (auto-commit may commit it before that), so in that mode each processed
// record is recorded as a poll of its own, and records polled but never processed (a
// crash) are not in the history as received.
type ConsumerHost struct {
	spec     *ConsumerSpec
	env      node.Env
	consumer *client.Consumer
	app      *client.App
	proc     int64
	free     []int64
	commits  map[int64]commitCall
	seek     bool
	worker   bool
	one      []client.ConsumerRecord
	stopped  bool
}

type commitCall struct {
	proc int64
	offs []history.KeyOffset
}

// NewConsumerHost returns the Machine of spec's client node; call it from the node's
// factory, once per (re)start.
func NewConsumerHost(spec *ConsumerSpec) *ConsumerHost {
	return &ConsumerHost{spec: spec}
}

// Start builds the consumer and starts the application at spec.Start.
func (c *ConsumerHost) Start(env node.Env, restart bool) {
	s := c.spec
	c.env = env
	c.proc = s.History.NewProcess()
	c.commits = map[int64]commitCall{}
	c.consumer = client.NewConsumer(env, s.Config)
	c.consumer.OnEvent = c.onEvent
	app := s.App
	if s.base == nil {
		s.base = app.ProcessingTime
	}
	app.ProcessingTime = sampler{s}
	c.seek = app.SeekToBeginning
	c.app = client.NewApp(env, c.consumer, app)
	if app.Mode == client.CommitAsyncWorker {
		c.worker = true
		c.one = make([]client.ConsumerRecord, 1)
		c.app.OnProcessed = c.processed
	}
	if d := s.Start - s.Now(); d > 0 {
		env.After(d, node.Timer{Kind: timerConsumerStart})
		return
	}
	c.app.Start()
}

// Consumer is the hosted Kafka consumer.
func (c *ConsumerHost) Consumer() *client.Consumer { return c.consumer }

// Handle passes events to the application and the consumer.
func (c *ConsumerHost) Handle(ev node.Event) {
	if ev.Kind == node.TimerFired && ev.Timer.Kind == timerConsumerStart {
		c.app.Start()
		return
	}
	c.app.Handle(ev)
}

// Stop ends the application loop: a final commit (with auto-commit), LeaveGroup.
func (c *ConsumerHost) Stop() {
	if c.stopped {
		return
	}
	c.stopped = true
	c.app.Stop(func() {})
}

// CaughtUp reports whether the consumer has read every assigned partition up to the
// high watermark of its last fetch (and holds at least one partition).
func (c *ConsumerHost) CaughtUp() bool {
	if c.consumer == nil {
		return false
	}
	as := c.consumer.Assignment()
	if len(as) == 0 {
		return false
	}
	lag := c.consumer.Lag()
	for _, tp := range as {
		l, ok := lag[tp]
		if !ok || l > 0 {
			return false
		}
	}
	return true
}

// Behind lists the assigned partitions not yet read up to the high watermark.
func (c *ConsumerHost) Behind() []proto.TopicPartition {
	var out []proto.TopicPartition
	if c.consumer == nil {
		return nil
	}
	lag := c.consumer.Lag()
	for _, tp := range c.consumer.Assignment() {
		if l, ok := lag[tp]; !ok || l > 0 {
			out = append(out, tp)
		}
	}
	return out
}

// SampleLag reports the consumer's lag per assigned partition to fn, sorted.
func (c *ConsumerHost) SampleLag(fn func(tp proto.TopicPartition, lag int64)) {
	if c.consumer == nil {
		return
	}
	lag := c.consumer.Lag()
	for _, tp := range c.consumer.Assignment() {
		if l, ok := lag[tp]; ok {
			fn(tp, l)
		}
	}
}

// processed records one record the async worker processed as a poll of its own.
func (c *ConsumerHost) processed(rec client.ConsumerRecord) {
	h, group := c.spec.History, c.spec.Config.GroupID
	c.one[0] = rec
	h.PollInvoke(c.proc, group)
	h.PollDone(c.proc, group, c.one, "")
}

func (c *ConsumerHost) takeProc() int64 {
	if n := len(c.free); n > 0 {
		p := c.free[n-1]
		c.free = c.free[:n-1]
		return p
	}
	return c.spec.History.NewProcess()
}

// refusals are the commit errors that prove the commit did not take effect.
var refusals = []string{"ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID", "REBALANCE_IN_PROGRESS", "FENCED_INSTANCE_ID",
	"GROUP_AUTHORIZATION_FAILED", "OFFSET_METADATA_TOO_LARGE", "INVALID_COMMIT_OFFSET_SIZE", "COORDINATOR_NOT_AVAILABLE", "NOT_COORDINATOR"}

func (c *ConsumerHost) onEvent(ev client.ConsumerEvent) {
	s := c.spec
	h := s.History
	group := s.Config.GroupID
	switch ev.Kind {
	case client.EventSubscribe:
		h.Subscribe(c.proc, group, slices.Clone(ev.Topics))
	case client.EventAssign:
		h.Assign(c.proc, ev.Partitions, c.seek)
	case client.EventPollInvoke:
		if !c.worker {
			h.PollInvoke(c.proc, group)
		}
	case client.EventPoll:
		if !c.worker {
			h.PollDone(c.proc, group, ev.Records, ev.Err)
		}
		now := s.Now()
		for i := range ev.Records {
			s.Metrics.Consumed(now, s.MetricsGroup, ev.Records[i].Timestamp, int(ev.Records[i].Size))
		}
	case client.EventCommitInvoke:
		p := c.takeProc()
		offs := h.KeyOffsets(ev.Offsets)
		c.commits[ev.ID] = commitCall{proc: p, offs: offs}
		h.CommitInvoke(p, group, offs)
	case client.EventCommit:
		call, ok := c.commits[ev.ID]
		if !ok {
			return
		}
		delete(c.commits, ev.ID)
		switch {
		case ev.Err == "":
			h.CommitDone(call.proc, history.OK, group, call.offs, "")
			c.free = append(c.free, call.proc)
		case slices.Contains(refusals, ev.Err):
			h.CommitDone(call.proc, history.Fail, group, call.offs, ev.Err)
			c.free = append(c.free, call.proc)
		default:
			h.CommitDone(call.proc, history.Info, group, call.offs, ev.Err)
		}
	case client.EventRebalance:
		h.Rebalance(group, c.proc, ev.Generation, ev.Partitions)
	}
}
