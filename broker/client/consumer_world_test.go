package client

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"logsim/broker/group"
	"logsim/broker/node"
	"logsim/broker/proto"
)

// world is a miniature deterministic cluster for the consumer's tests: one fake broker
// (node 1) that leads every partition from in-memory logs and hosts a real
// group.Coordinator, and client nodes running consumers. Messages take 1 ms; appends
// to __consumer_offsets commit at once. It tests the consumer alone; the real broker is
// exercised by the scripted interaction tests.
type world struct {
	t       *testing.T
	now     time.Duration
	seq     uint64
	q       eventQueue
	clients map[node.ID]*worldClient
	broker  *fakeBroker
	trace   []string
	quiet   bool // no trace (benchmarks)
	// hook, if set, sees every consumer event first.
	hook func(name string, ev ConsumerEvent)
}

type worldEvent struct {
	at  time.Duration
	seq uint64
	to  node.ID
	ev  node.Event
	fn  func() // broker-side work
	tid node.TimerID
}

type eventQueue []*worldEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*worldEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

const latency = time.Millisecond

func newWorld(t *testing.T) *world {
	w := &world{t: t, clients: map[node.ID]*worldClient{}}
	cfg := group.DefaultConfig()
	cfg.GroupInitialRebalanceDelay = 0
	cfg.OffsetsTopicNumPartitions = 1
	w.broker = &fakeBroker{w: w, logs: map[proto.TopicPartition]*fakeLog{}, coord: group.New(cfg, 1)}
	w.broker.coord.Load(0, nil, 0)
	return w
}

func (w *world) push(e *worldEvent) {
	w.seq++
	e.seq = w.seq
	heap.Push(&w.q, e)
}

// run processes events until t.
func (w *world) run(until time.Duration) {
	for w.q.Len() > 0 && w.q[0].at <= until {
		e := heap.Pop(&w.q).(*worldEvent)
		w.now = e.at
		if e.fn != nil {
			e.fn()
			continue
		}
		c := w.clients[e.to]
		if c == nil || c.crashed {
			continue
		}
		if e.ev.Kind == node.TimerFired {
			if c.env.cancelled[e.tid] {
				delete(c.env.cancelled, e.tid)
				continue
			}
		}
		c.handle(e.ev)
	}
	w.now = until
}

// worldClient is a client node hosting one App.
type worldClient struct {
	name    string
	env     *worldEnv
	app     *App
	crashed bool
}

func (c *worldClient) handle(ev node.Event) {
	if !c.app.Handle(ev) && ev.Kind == node.Recv {
		panic(fmt.Sprintf("%s: unexpected %s", c.name, ev.Msg.Kind()))
	}
}

type worldEnv struct {
	w         *world
	id        node.ID
	rnd       *rand.Rand
	nextTimer node.TimerID
	cancelled map[node.TimerID]bool
	cpu       time.Duration
}

func (e *worldEnv) ID() node.ID        { return e.id }
func (e *worldEnv) Now() time.Duration { return e.w.now }
func (e *worldEnv) After(d time.Duration, t node.Timer) node.TimerID {
	e.nextTimer++
	e.w.push(&worldEvent{at: e.w.now + d, to: e.id, ev: node.Event{Kind: node.TimerFired, Timer: t}, tid: e.nextTimer})
	return e.nextTimer
}
func (e *worldEnv) Cancel(id node.TimerID) { e.cancelled[id] = true }
func (e *worldEnv) Send(to node.ID, m node.Message) {
	from := e.id
	e.w.push(&worldEvent{at: e.w.now + latency, fn: func() { e.w.broker.recv(from, m) }})
}
func (e *worldEnv) Disk() node.Disk        { return nil }
func (e *worldEnv) Rand() *rand.Rand       { return e.rnd }
func (e *worldEnv) Charge(d time.Duration) { e.cpu += d }
func (e *worldEnv) Logf(string, ...any)    {}
func (w *world) reply(to node.ID, m node.Message) {
	w.push(&worldEvent{at: w.now + latency, to: to, ev: node.Event{Kind: node.Recv, From: 1, Msg: m}})
}

// addConsumer starts a client node with a consumer and its application.
func (w *world) addConsumer(name string, cc ConsumerConfig, ac AppConfig) *worldClient {
	id := node.ID(100 + len(w.clients))
	env := &worldEnv{w: w, id: id, rnd: rand.New(rand.NewPCG(uint64(id), 7)), cancelled: map[node.TimerID]bool{}}
	cc.ClientID = name
	c := NewConsumer(env, cc)
	wc := &worldClient{name: name, env: env, app: NewApp(env, c, ac)}
	if !w.quiet {
		c.OnEvent = func(ev ConsumerEvent) {
			if w.hook != nil {
				w.hook(name, ev)
			}
			w.record(name, ev)
		}
		wc.app.OnProcessed = func(r ConsumerRecord) {
			w.trace = append(w.trace, fmt.Sprintf("%s processed %s@%d=%d", name, r.TP, r.Offset, r.Value))
		}
	}
	w.clients[id] = wc
	wc.app.Start()
	return wc
}

func (w *world) record(name string, ev ConsumerEvent) {
	var line string
	switch ev.Kind {
	case EventPoll:
		if len(ev.Records) == 0 && ev.Err == "" {
			return
		}
		var vs []string
		for _, r := range ev.Records {
			vs = append(vs, fmt.Sprintf("%s@%d=%d", r.TP, r.Offset, r.Value))
		}
		line = fmt.Sprintf("%s poll %s%s", name, strings.Join(vs, " "), ev.Err)
	case EventCommit:
		var vs []string
		for _, o := range ev.Offsets {
			vs = append(vs, fmt.Sprintf("%s:%d", o.TopicPartition, o.CommittedOffset))
		}
		line = fmt.Sprintf("%s commit auto=%v %s %s", name, ev.Auto, strings.Join(vs, " "), ev.Err)
	case EventRebalance:
		line = fmt.Sprintf("%s rebalance gen=%d assigned=%v revoked=%v lost=%v", name, ev.Generation, ev.Partitions, ev.Revoked, ev.Lost)
	case EventReset:
		line = fmt.Sprintf("%s reset %s %d->%d (%s)", name, ev.TP, ev.From, ev.To, ev.Reason)
	default:
		return
	}
	w.trace = append(w.trace, line)
}

// crash stops a client node: no LeaveGroup, its session expires.
func (w *world) crash(c *worldClient) { c.crashed = true }

// lines returns the trace lines that contain every part.
func (w *world) lines(parts ...string) []string {
	var out []string
	for _, l := range w.trace {
		ok := true
		for _, p := range parts {
			if !strings.Contains(l, p) {
				ok = false
			}
		}
		if ok {
			out = append(out, l)
		}
	}
	return out
}

// processedValues is the set of values every application processed.
func (w *world) processedValues() map[int64]int {
	out := map[int64]int{}
	for _, l := range w.lines(" processed ") {
		var v int64
		fmt.Sscanf(l[strings.LastIndexByte(l, '=')+1:], "%d", &v)
		out[v]++
	}
	return out
}

// fakeLog is one partition's log at the fake broker.
type fakeLog struct {
	batches  []*proto.RecordBatch
	logStart int64
	leo      int64
	epoch    int32
	epochs   [][2]int64 // epoch, start offset
}

type fakeBroker struct {
	w     *world
	logs  map[proto.TopicPartition]*fakeLog
	coord *group.Coordinator
	value int64
	ticks bool
}

func (b *fakeBroker) log(tp proto.TopicPartition) *fakeLog {
	l := b.logs[tp]
	if l == nil {
		l = &fakeLog{epoch: 1, epochs: [][2]int64{{1, 0}}}
		b.logs[tp] = l
	}
	return l
}

func (b *fakeBroker) createTopic(name string, partitions int) {
	for p := 0; p < partitions; p++ {
		b.log(proto.TopicPartition{Topic: name, Partition: int32(p)})
	}
}

// produce appends n records with fresh values, one batch.
func (b *fakeBroker) produce(tp proto.TopicPartition, n int) {
	l := b.log(tp)
	bt := &proto.RecordBatch{BaseOffset: l.leo, PartitionLeaderEpoch: l.epoch, ProducerID: proto.NoProducerID, SizeBytes: int32(100 * n)}
	recs := make([]proto.Record, n)
	for i := range recs {
		b.value++
		recs[i] = proto.Record{Value: b.value, Size: 50}
	}
	bt.SetRecords(recs)
	bt.CRC = bt.ComputeCRC()
	l.batches = append(l.batches, bt)
	l.leo += int64(n)
}

// truncateAndLead models an unclean election: the log is cut to offset and a new
// leader epoch begins there.
func (b *fakeBroker) truncateAndLead(tp proto.TopicPartition, offset int64) {
	l := b.log(tp)
	var kept []*proto.RecordBatch
	for _, bt := range l.batches {
		if bt.NextOffset() <= offset {
			kept = append(kept, bt)
		}
	}
	l.batches = kept
	l.leo = offset
	l.epoch++
	l.epochs = append(l.epochs, [2]int64{int64(l.epoch), offset})
}

// deleteBefore moves the log start (retention).
func (b *fakeBroker) deleteBefore(tp proto.TopicPartition, offset int64) {
	l := b.log(tp)
	var kept []*proto.RecordBatch
	for _, bt := range l.batches {
		if bt.NextOffset() > offset {
			kept = append(kept, bt)
		}
	}
	l.batches = kept
	l.logStart = offset
}

func (b *fakeBroker) apply(e group.Effects) {
	for _, a := range e.Appends {
		b.apply(b.coord.AppendDone(a.ID, proto.NONE, b.w.now))
	}
	for _, r := range e.Replies {
		b.w.reply(r.To, r.Msg)
	}
	b.scheduleTick()
}

func (b *fakeBroker) scheduleTick() {
	if next, ok := b.coord.NextDeadline(); ok && !b.ticks {
		b.ticks = true
		at := max(next, b.w.now)
		b.w.push(&worldEvent{at: at, fn: func() {
			b.ticks = false
			b.apply(b.coord.Tick(b.w.now))
		}})
	}
}

func (b *fakeBroker) recv(from node.ID, m node.Message) {
	if c := b.w.clients[from]; c == nil || c.crashed {
		return
	}
	now := b.w.now
	switch m := m.(type) {
	case *proto.MetadataRequest:
		resp := &proto.MetadataResponse{Correlation: m.Correlation, Brokers: []int32{1}, ControllerID: 0}
		for _, t := range m.Topics {
			tm := proto.TopicMetadata{Name: t}
			for p := int32(0); ; p++ {
				l := b.logs[proto.TopicPartition{Topic: t, Partition: p}]
				if l == nil {
					break
				}
				tm.Partitions = append(tm.Partitions, proto.PartitionMetadata{Partition: p, Leader: 1, LeaderEpoch: l.epoch, Replicas: []int32{1}, ISR: []int32{1}})
			}
			if len(tm.Partitions) == 0 {
				tm.Err = proto.UNKNOWN_TOPIC_OR_PARTITION
			}
			resp.Topics = append(resp.Topics, tm)
		}
		b.w.reply(from, resp)
	case *proto.FindCoordinatorRequest:
		b.w.reply(from, &proto.FindCoordinatorResponse{Correlation: m.Correlation, NodeID: 1})
	case *proto.JoinGroupRequest:
		b.apply(b.coord.JoinGroup(now, from, m))
	case *proto.SyncGroupRequest:
		b.apply(b.coord.SyncGroup(now, from, m))
	case *proto.HeartbeatRequest:
		b.apply(b.coord.Heartbeat(now, from, m))
	case *proto.LeaveGroupRequest:
		b.apply(b.coord.LeaveGroup(now, from, m))
	case *proto.OffsetCommitRequest:
		b.apply(b.coord.OffsetCommit(now, from, m))
	case *proto.OffsetFetchRequest:
		b.apply(b.coord.OffsetFetch(now, from, m))
	case *proto.ListOffsetsRequest:
		resp := &proto.ListOffsetsResponse{Correlation: m.Correlation}
		for _, p := range m.Partitions {
			l := b.log(p.TopicPartition)
			out := proto.ListOffsetsPartitionResponse{TopicPartition: p.TopicPartition, Offset: l.leo, LeaderEpoch: l.epoch}
			if p.Timestamp == proto.EarliestTimestamp {
				out.Offset = l.logStart
			}
			if p.CurrentLeaderEpoch >= 0 && p.CurrentLeaderEpoch < l.epoch {
				out = proto.ListOffsetsPartitionResponse{TopicPartition: p.TopicPartition, Err: proto.FENCED_LEADER_EPOCH, Offset: -1}
			}
			resp.Partitions = append(resp.Partitions, out)
		}
		b.w.reply(from, resp)
	case *proto.OffsetForLeaderEpochRequest:
		resp := &proto.OffsetForLeaderEpochResponse{Correlation: m.Correlation}
		for _, p := range m.Partitions {
			l := b.log(p.TopicPartition)
			out := proto.OffsetForLeaderEpochPartitionResponse{TopicPartition: p.TopicPartition, LeaderEpoch: -1, EndOffset: -1}
			for i := len(l.epochs) - 1; i >= 0; i-- {
				if int32(l.epochs[i][0]) <= p.LeaderEpoch {
					out.LeaderEpoch = int32(l.epochs[i][0])
					out.EndOffset = l.leo
					if i+1 < len(l.epochs) {
						out.EndOffset = l.epochs[i+1][1]
					}
					break
				}
			}
			resp.Partitions = append(resp.Partitions, out)
		}
		b.w.reply(from, resp)
	case *proto.FetchRequest:
		b.fetch(from, m, false)
	default:
		b.w.t.Fatalf("fake broker: unexpected %s", m.Kind())
	}
}

// fetch answers at once with data or an error, else after MaxWait.
func (b *fakeBroker) fetch(from node.ID, m *proto.FetchRequest, waited bool) {
	resp := &proto.FetchResponse{Correlation: m.Correlation}
	any := false
	for _, p := range m.Partitions {
		l := b.log(p.TopicPartition)
		out := proto.FetchPartitionResponse{TopicPartition: p.TopicPartition, HighWatermark: l.leo, LogStartOffset: l.logStart, LogEndOffset: l.leo}
		switch {
		case p.CurrentLeaderEpoch >= 0 && p.CurrentLeaderEpoch < l.epoch:
			out.Err = proto.FENCED_LEADER_EPOCH
			any = true
		case p.FetchOffset < l.logStart || p.FetchOffset > l.leo:
			out.Err = proto.OFFSET_OUT_OF_RANGE
			any = true
		default:
			bytes := 0
			for _, bt := range l.batches {
				if bt.NextOffset() > p.FetchOffset && bytes < int(p.MaxBytes) {
					out.Batches = append(out.Batches, bt)
					bytes += int(bt.SizeBytes)
				}
			}
			any = any || len(out.Batches) > 0
		}
		resp.Partitions = append(resp.Partitions, out)
	}
	if any || waited || m.MaxWait == 0 {
		b.w.reply(from, resp)
		return
	}
	b.w.push(&worldEvent{at: b.w.now + m.MaxWait, fn: func() {
		if c := b.w.clients[from]; c != nil && !c.crashed {
			b.fetch(from, m, true)
		}
	}})
}

func testConsumerConfig(groupID string) ConsumerConfig {
	cc := DefaultConsumerConfig(groupID, 1)
	cc.SessionTimeout = 10 * time.Second
	cc.HeartbeatInterval = time.Second
	cc.MaxPollInterval = 30 * time.Second
	cc.AutoCommitInterval = time.Second
	cc.AutoOffsetReset = ResetEarliest
	cc.FetchMaxWait = 100 * time.Millisecond
	return cc
}

func assigned(w *world, c *worldClient) []proto.TopicPartition {
	_ = w
	return c.app.Consumer().Assignment()
}

func sortedValues(m map[int64]int) []int64 {
	var out []int64
	for v := range m {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
