package controller

import (
	"slices"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// MetadataFile is the controller's log of metadata records on its disk.
const MetadataFile = "__cluster_metadata-0/00000000000000000000.log"

// recordSize is the bytes a metadata record takes in the log.
const recordSize = 64

const (
	timerTick int32 = iota + 1
	timerBalance
)

// Controller is the controller node: a node.Machine around State. Every change is
// appended to the metadata log and fsynced before the controller answers the request
// that caused it or publishes it to brokers.
type Controller struct {
	cfg   Config
	env   node.Env
	state *State

	// brokers maps a broker id to its node; the controller learns it from
	// registrations (in this model broker ids are node ids).
	pending []pendingSend // messages waiting for an fsync
	syncOp  node.OpID
	syncing bool
	halted  bool
	// lastHeartbeatOffset remembers the controller's offset at each broker's previous
	// heartbeat, to tell a broker that missed a push from one with a push in flight.
	lastHeartbeatOffset map[int32]int64
	published           int64 // offset of the last delta pushed to brokers
	unpublished         []Record
}

type pendingSend struct {
	to  node.ID
	msg node.Message
	// barrier is true for entries that mark the end of a batch of records.
	publish bool
}

// New returns a controller with cfg.
func New(cfg Config) *Controller {
	return &Controller{cfg: cfg}
}

// State exposes the controller's state for inspection (tests, the harness, faults).
// Callers must not modify it.
func (c *Controller) State() *State { return c.state }

// Leader returns who leads tp and in which epoch, as the controller decided.
func (c *Controller) Leader(tp proto.TopicPartition) (int32, int32, bool) {
	if c.state == nil {
		return proto.NoLeader, -1, false
	}
	p, ok := c.state.Partition(tp)
	return p.Leader, p.LeaderEpoch, ok
}

// Partition returns the controller's record of tp: replicas, ISR, ELR, leader and
// epochs.
func (c *Controller) Partition(tp proto.TopicPartition) (proto.PartitionState, bool) {
	if c.state == nil {
		return proto.PartitionState{}, false
	}
	return c.state.Partition(tp)
}

// Followers returns the replicas of tp other than its leader, in replica order (all
// of them when it has no leader).
func (c *Controller) Followers(tp proto.TopicPartition) []int32 {
	p, ok := c.Partition(tp)
	if !ok {
		return nil
	}
	var out []int32
	for _, id := range p.Replicas {
		if id != p.Leader {
			out = append(out, id)
		}
	}
	return out
}

// Start boots the controller, replaying its metadata log after a restart.
func (c *Controller) Start(env node.Env, restart bool) {
	c.env = env
	c.state = NewState(c.cfg)
	c.lastHeartbeatOffset = map[int32]int64{}
	c.pending, c.unpublished, c.syncing, c.halted = nil, nil, false, false
	if restart {
		entries, err := env.Disk().Read(MetadataFile, 0)
		if err != nil && err != node.ErrNotFound {
			env.Logf("controller: reading metadata log: %v", err)
		}
		for i, e := range entries {
			r, ok := e.Data.(Record)
			if !ok || e.Sum != recordSum(r) || r.Offset != c.state.Offset+1 {
				// A torn or damaged tail: drop it, as KRaft truncates an invalid suffix.
				env.Disk().Truncate(MetadataFile, i)
				break
			}
			c.state.Apply(r)
		}
		c.state.ResetSessions(env.Now())
	}
	c.published = c.state.Offset
	env.After(c.cfg.TickInterval, node.Timer{Kind: timerTick})
	if c.cfg.AutoLeaderRebalanceEnable && c.cfg.LeaderImbalanceCheckInterval > 0 {
		env.After(c.cfg.LeaderImbalanceCheckInterval, node.Timer{Kind: timerBalance})
	}
}

// Handle reacts to one event.
func (c *Controller) Handle(ev node.Event) {
	if c.halted {
		return
	}
	switch ev.Kind {
	case node.TimerFired:
		switch ev.Timer.Kind {
		case timerTick:
			c.commit(c.state.Tick(c.env.Now()))
			c.env.After(c.cfg.TickInterval, node.Timer{Kind: timerTick})
		case timerBalance:
			c.commit(c.state.BalanceLeaders())
			c.env.After(c.cfg.LeaderImbalanceCheckInterval, node.Timer{Kind: timerBalance})
		}
	case node.DiskDone:
		if ev.Err != nil {
			// A metadata log that cannot be written stops the controller, as
			// Kafka's controller process exits on a log write failure.
			c.env.Logf("controller: metadata log write failed: %v; halting", ev.Err)
			c.halted = true
			return
		}
		if c.syncing && ev.Op == c.syncOp {
			c.syncing = false
			c.flushPending()
		}
	case node.Recv:
		c.recv(ev.From, ev.Msg)
	}
	c.state.CheckInvariants()
}

func (c *Controller) recv(from node.ID, m node.Message) {
	now := c.env.Now()
	switch m := m.(type) {
	case *proto.BrokerRegistrationRequest:
		c.env.Charge(20 * time.Microsecond)
		epoch, recs := c.state.Register(m, now)
		c.commit(recs)
		c.reply(from, &proto.BrokerRegistrationResponse{BrokerEpoch: epoch})
		c.reply(from, c.state.Snapshot())
	case *proto.BrokerHeartbeatRequest:
		c.env.Charge(5 * time.Microsecond)
		err, fenced, recs := c.state.Heartbeat(m, now)
		c.commit(recs)
		prev, seen := c.lastHeartbeatOffset[m.BrokerID]
		c.lastHeartbeatOffset[m.BrokerID] = c.state.Offset
		c.reply(from, &proto.BrokerHeartbeatResponse{Err: err, IsFenced: fenced})
		if err == proto.NONE && (!seen || m.MetadataOffset < prev) {
			c.reply(from, c.state.Snapshot())
		}
	case *proto.AlterPartitionRequest:
		c.env.Charge(20 * time.Microsecond)
		err, errs, states, recs := c.state.AlterPartition(m)
		c.commit(recs)
		c.reply(from, &proto.AlterPartitionResponse{Correlation: m.Correlation, Err: err, Errors: errs, Partitions: states})
	case *proto.CreateTopicsRequest:
		c.env.Charge(50 * time.Microsecond)
		resp := &proto.CreateTopicsResponse{Correlation: m.Correlation}
		for _, t := range m.Topics {
			err, msg, recs := c.state.CreateTopic(t)
			c.commit(recs)
			resp.Topics = append(resp.Topics, proto.CreatableTopicResult{Name: t.Name, Err: err, Message: msg})
		}
		c.reply(from, resp)
	case *proto.MetadataRequest:
		c.reply(from, c.metadata(m))
	}
}

// metadata answers a client's MetadataRequest sent to the controller directly.
func (c *Controller) metadata(m *proto.MetadataRequest) *proto.MetadataResponse {
	resp := &proto.MetadataResponse{Correlation: m.Correlation, ControllerID: int32(c.env.ID())}
	for _, b := range c.state.Brokers() {
		if !b.Fenced {
			resp.Brokers = append(resp.Brokers, b.ID)
		}
	}
	names := m.Topics
	if names == nil {
		names = c.state.TopicNames()
	}
	for _, n := range names {
		t, ok := c.state.Topic(n)
		if !ok {
			resp.Topics = append(resp.Topics, proto.TopicMetadata{Name: n, Err: proto.UNKNOWN_TOPIC_OR_PARTITION})
			continue
		}
		tm := proto.TopicMetadata{Name: n}
		for _, p := range t.Partitions {
			tm.Partitions = append(tm.Partitions, proto.PartitionMetadata{Partition: p.Partition, Leader: p.Leader,
				LeaderEpoch: p.LeaderEpoch, Replicas: slices.Clone(p.Replicas), ISR: slices.Clone(p.ISR)})
		}
		resp.Topics = append(resp.Topics, tm)
	}
	return resp
}

// commit appends records to the metadata log and starts an fsync; the delta push to
// brokers waits for it, like every reply queued after it.
func (c *Controller) commit(recs []Record) {
	if len(recs) == 0 {
		return
	}
	for _, r := range recs {
		c.env.Disk().Append(MetadataFile, node.Entry{Data: r, Size: recordSize, Sum: recordSum(r)})
	}
	c.unpublished = append(c.unpublished, recs...)
	c.pending = append(c.pending, pendingSend{publish: true})
	c.syncOp = c.env.Disk().Sync(MetadataFile)
	c.syncing = true
}

// reply sends m, after the pending fsync if there is one.
func (c *Controller) reply(to node.ID, m node.Message) {
	if !c.syncing {
		c.env.Send(to, m)
		return
	}
	c.pending = append(c.pending, pendingSend{to: to, msg: m})
}

func (c *Controller) flushPending() {
	for _, p := range c.pending {
		if p.publish {
			c.publish()
			continue
		}
		c.env.Send(p.to, p.msg)
	}
	c.pending = c.pending[:0]
}

// publish pushes the records committed since the last push to every registered broker.
func (c *Controller) publish() {
	if len(c.unpublished) == 0 {
		return
	}
	delta := Delta(c.published, c.unpublished)
	delta.ControllerID = int32(c.env.ID())
	c.published = delta.Offset
	c.unpublished = nil
	for _, b := range c.state.Brokers() {
		c.env.Send(node.ID(b.ID), delta)
	}
}

func recordSum(r Record) uint32 {
	h := uint64(r.Offset) * 0x9e3779b97f4a7c15
	switch {
	case r.Broker != nil:
		h ^= uint64(r.Broker.ID)<<40 ^ uint64(r.Broker.Epoch)
	case r.Topic != nil:
		h ^= uint64(len(r.Topic.Name))<<32 ^ uint64(r.Topic.Partitions)
	case r.Partition != nil:
		h ^= uint64(r.Partition.Partition)<<48 ^ uint64(uint32(r.Partition.LeaderEpoch))<<16 ^ uint64(uint32(r.Partition.PartitionEpoch))
	}
	h ^= h >> 31
	return uint32(h) ^ uint32(h>>32)
}
