package workloads

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"logsim/broker/client"
	"logsim/broker/node"
	"logsim/broker/proto"
	"logsim/checker/history"
)

// Metrics receives a run's client-side measurements. Times are the simulator's exact
// clock. *reports.Recorder has these methods; the runner adapts it (its clock starts
// with the load phase).
type Metrics interface {
	// PublishSent: a record of bytes payload was handed to the producer at t, for the
	// load schedule's intended send time.
	PublishSent(t, intended time.Duration, bytes int)
	// PublishAcked: the record sent at sent was acknowledged at t.
	PublishAcked(t, sent time.Duration, bytes int)
	// PublishFailed: the record sent at sent failed (or ended unknown) at t.
	PublishFailed(t, sent time.Duration, bytes int)
	// Consumed: group received at t a record the producer stamped at sent.
	Consumed(t time.Duration, group string, sent time.Duration, bytes int)
}

// ProducerSpec is one producer instance: what it sends, when, and where it records
// what happened. The generators it holds (Arrivals, Keys, Values, Rand) carry over a
// restart of the client, so a restarted producer continues its schedule with fresh
// values rather than sending old ones again.
type ProducerSpec struct {
	// Name is the instance's name (p-0).
	Name string
	// Config is the Kafka producer's configuration.
	Config client.ProducerConfig
	// Topic is written to; Partitions is its partition count (the workload picks each
	// record's partition itself, as Kafka's default partitioner would, so that the
	// history's invocation names the partition).
	Topic      string
	Partitions int
	// Arrivals are the intended send times, relative to Start; nil is closed loop.
	Arrivals *Arrivals
	// Size draws value sizes; Keys draws keys (nil or a none chooser: no keys).
	Size Size
	Keys *KeyChooser
	// IgnoreKeys is partitioner.ignore.keys: keyed records are spread as keyless ones.
	IgnoreKeys bool
	// Values hands out the unique values.
	Values ValueIDs
	// Rand draws sizes and sticky partitions.
	Rand *rand.Rand
	// Start and Stop bound the sending, in simulator time.
	Start, Stop time.Duration
	// History and Metrics record what happens; Now is the simulator's exact clock.
	History *History
	Metrics Metrics
	Now     func() time.Duration

	// Carried across restarts.
	next     time.Duration
	haveNext bool
	keyNames []string
	keyParts []int32 // the partition of each of keyNames (murmur2, computed once)
	tpLabels []string
	sticky   int32
	stickyB  int
	sent     int64
}

// Sent is the number of records the instance has handed to its producer so far.
func (s *ProducerSpec) Sent() int64 { return s.sent }

// Timer kinds of the hosts (outside client.TimerBase's range).
const (
	timerPump int32 = iota + 1
	timerConsumerStart
)

// maxSendsPerHandler bounds the records one handler hands to the producer before it
// yields to other events (a closed-loop producer would otherwise fill its buffer in
// one step).
const maxSendsPerHandler = 2048

// ProducerHost is a producer client node: a Machine hosting a Kafka producer and the
// application that feeds it, open loop (records at their intended send times) or
// closed loop (the next record as soon as the client accepts it). Every record is one
// history send operation; a process number is reused only after an ok or fail
// completion, since a process has at most one operation outstanding.
type ProducerHost struct {
	spec     *ProducerSpec
	env      node.Env
	producer *client.Producer
	free     []int64
	// idle holds completed pendingSends for reuse: with its callback bound once, a
	// record costs no allocation of its own on the send path.
	idle     []*pendingSend
	timer    node.TimerID
	timerSet bool
	stopped  bool
}

// NewProducerHost returns the Machine of spec's client node; call it from the node's
// factory, once per (re)start.
func NewProducerHost(spec *ProducerSpec) *ProducerHost {
	return &ProducerHost{spec: spec}
}

// Start builds the producer and begins sending at spec.Start.
func (p *ProducerHost) Start(env node.Env, restart bool) {
	p.env = env
	p.producer = client.NewProducer(env, p.spec.Config)
	p.producer.Metadata().Want(p.spec.Topic)
	now := p.spec.Now()
	if restart && p.spec.Arrivals != nil {
		// Records due while the client was down were never sent: skip them.
		for {
			if !p.spec.haveNext {
				t, ok := p.spec.Arrivals.Next()
				if !ok {
					break
				}
				p.spec.next, p.spec.haveNext = p.spec.Start+t, true
			}
			if p.spec.next >= now {
				break
			}
			p.spec.haveNext = false
		}
	}
	p.wake(max(p.spec.Start-now, 0))
}

// Producer is the hosted Kafka producer.
func (p *ProducerHost) Producer() *client.Producer { return p.producer }

// Stop ends sending now; records already handed over still complete.
func (p *ProducerHost) Stop() {
	p.stopped = true
	if p.timerSet {
		p.env.Cancel(p.timer)
		p.timerSet = false
	}
}

// Idle reports whether every record handed to the producer has completed.
func (p *ProducerHost) Idle() bool { return p.producer == nil || p.producer.Pending() == 0 }

func (p *ProducerHost) wake(d time.Duration) {
	if p.timerSet {
		p.env.Cancel(p.timer)
	}
	p.timer, p.timerSet = p.env.After(d, node.Timer{Kind: timerPump}), true
}

// Handle passes events to the producer and runs the application's send loop.
func (p *ProducerHost) Handle(ev node.Event) {
	if ev.Kind == node.TimerFired && ev.Timer.Kind == timerPump {
		p.timerSet = false
		p.pump()
		return
	}
	p.producer.Handle(ev)
	if p.spec.Arrivals == nil && !p.timerSet && !p.stopped {
		p.pump()
	}
}

// pump hands records to the producer: those whose intended time has come (open loop)
// or as many as it accepts (closed loop), modelling one application thread that
// blocks while the producer blocks.
func (p *ProducerHost) pump() {
	s := p.spec
	now := s.Now()
	if p.stopped || now >= s.Stop {
		p.stopped = true
		return
	}
	for n := 0; ; n++ {
		if p.producer.BlockedSends() > 0 {
			// The application thread is blocked in send(): look again shortly.
			p.wake(time.Millisecond)
			return
		}
		if n == maxSendsPerHandler {
			p.wake(0)
			return
		}
		intended := now
		if s.Arrivals != nil {
			if !s.haveNext {
				t, ok := s.Arrivals.Next()
				if !ok {
					return
				}
				s.next, s.haveNext = s.Start+t, true
			}
			if s.next >= s.Stop {
				p.stopped = true
				return
			}
			if s.next > now {
				p.wake(s.next - now)
				return
			}
			intended, s.haveNext = s.next, false
		} else if n > 0 && p.producer.Pending() >= int64(p.spec.Config.BufferMemory)/max(int64(s.Size.Mean()), 1) {
			// Closed loop: the buffer holds what it can; sends resume on completions.
			return
		}
		p.send(intended, now)
	}
}

func (p *ProducerHost) key() (string, int32) {
	s := p.spec
	if s.Keys == nil {
		return "", -1
	}
	k := s.Keys.Next()
	if k < 0 {
		return "", -1
	}
	if s.keyNames == nil && s.Keys != nil {
		s.keyNames = make([]string, 0, 1024)
		s.keyParts = make([]int32, 0, 1024)
	}
	for int64(len(s.keyNames)) <= k && k < 1<<20 {
		name := "k" + strconv.Itoa(len(s.keyNames))
		s.keyNames = append(s.keyNames, name)
		s.keyParts = append(s.keyParts, s.keyPartition(name))
	}
	if k < int64(len(s.keyNames)) {
		return s.keyNames[k], s.keyParts[k]
	}
	name := "k" + strconv.FormatInt(k, 10)
	return name, s.keyPartition(name)
}

// keyPartition is the partition of a record with key name: Kafka's default
// partitioner's, or -1 (the sticky partitioner's choice) when keys are ignored.
func (s *ProducerSpec) keyPartition(name string) int32 {
	if s.IgnoreKeys {
		return -1
	}
	return client.KeyPartition(name, s.Partitions)
}

// stickyPartition is Kafka's uniform sticky partitioner for keyless records: stay on
// one partition until about batch.size bytes went to it, then move to another at random.
func (p *ProducerHost) stickyPartition(size int) int32 {
	s := p.spec
	if s.stickyB == 0 || s.stickyB >= s.Config.BatchSize {
		if s.Partitions > 1 && s.stickyB > 0 {
			np := int32(s.Rand.IntN(s.Partitions - 1))
			if np >= s.sticky {
				np++
			}
			s.sticky = np
		} else if s.stickyB == 0 {
			s.sticky = int32(s.Rand.IntN(s.Partitions))
		}
		s.stickyB = 0
	}
	s.stickyB += size
	return s.sticky
}

// pendingSend is one record between its send and its completion. Each is reused once
// its callback ran (a callback runs exactly once), with doneFn bound at creation.
type pendingSend struct {
	host     *ProducerHost
	doneFn   func(client.Result)
	active   bool // between send and callback: a second callback is a client bug
	proc     int64
	value    int64
	sent     time.Duration
	size     int32
	tp       proto.TopicPartition
	keyLabel string
}

func (p *ProducerHost) send(intended, now time.Duration) {
	s := p.spec
	size := s.Size.Sample(s.Rand)
	key, part := p.key()
	if part < 0 {
		part = p.stickyPartition(size)
	}
	tp := proto.TopicPartition{Topic: s.Topic, Partition: part}
	var proc int64
	if n := len(p.free); n > 0 {
		proc, p.free = p.free[n-1], p.free[:n-1]
	} else {
		proc = s.History.NewProcess()
	}
	if s.tpLabels == nil {
		s.tpLabels = make([]string, s.Partitions)
	}
	if s.tpLabels[part] == "" {
		s.tpLabels[part] = Key(tp)
	}
	var ps *pendingSend
	if n := len(p.idle); n > 0 {
		ps, p.idle = p.idle[n-1], p.idle[:n-1]
	} else {
		ps = &pendingSend{host: p}
		ps.doneFn = ps.done
	}
	ps.active = true
	ps.proc, ps.value, ps.sent, ps.size, ps.tp, ps.keyLabel = proc, s.Values.Next(), now, int32(size), tp, s.tpLabels[part]
	s.sent++
	s.History.SendInvoke(proc, ps.keyLabel, ps.value)
	s.Metrics.PublishSent(now, intended, size)
	p.producer.Send(client.Record{Topic: s.Topic, Partition: part, Key: key, Value: ps.value, Size: int32(size)}, ps.doneFn)
}

func (ps *pendingSend) done(r client.Result) {
	p := ps.host
	s := p.spec
	now := s.Now()
	if !ps.active {
		panic(fmt.Sprintf("workloads: %s: record %d completed twice", s.Name, ps.value))
	}
	ps.active = false
	if r.TP != ps.tp && r.TP.Topic != "" {
		panic(fmt.Sprintf("workloads: %s: record %d sent to %s completed for %s", s.Name, ps.value, ps.tp, r.TP))
	}
	switch r.Outcome {
	case client.OK:
		s.History.SendDone(ps.proc, history.OK, ps.keyLabel, r.Offset, ps.value, "")
		s.Metrics.PublishAcked(now, ps.sent, int(ps.size))
		p.free = append(p.free, ps.proc)
	case client.Fail:
		s.History.SendDone(ps.proc, history.Fail, ps.keyLabel, history.NoOffset, ps.value, r.Err)
		s.Metrics.PublishFailed(now, ps.sent, int(ps.size))
		p.free = append(p.free, ps.proc)
	default:
		// Unknown outcome: the process may still have the operation in flight, so it
		// is never used again.
		s.History.SendDone(ps.proc, history.Info, ps.keyLabel, history.NoOffset, ps.value, r.Err)
		s.Metrics.PublishFailed(now, ps.sent, int(ps.size))
	}
	p.idle = append(p.idle, ps)
}
