package broker

// Metadata and the controller: registration, heartbeats, the metadata image pushed by
// the controller, the leader/follower transitions it triggers, and AlterPartition.
//
// Fidelity: KRaft brokers fetch the metadata log from the controller quorum; here the
// controller pushes numbered deltas and a snapshot when a broker fell behind.

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"logsim/broker/node"
	"logsim/broker/partition"
	"logsim/broker/proto"
)

// register sends a BrokerRegistration and keeps one retry timer running until it is
// answered.
func (b *Broker) register() {
	b.send(b.cfg.Controller, &proto.BrokerRegistrationRequest{BrokerID: b.id, IncarnationID: b.incarnation, PreviousBrokerEpoch: -1})
	if !b.registerTimer {
		b.registerTimer = true
		b.env.After(b.cfg.BrokerHeartbeatInterval, node.Timer{Kind: timerRegister})
	}
}

func (b *Broker) handleRegistrationResponse(m *proto.BrokerRegistrationResponse) {
	if m.Err != proto.NONE || b.registered {
		return
	}
	b.registered = true
	b.brokerEpoch = m.BrokerEpoch
	b.nextProducerID = m.BrokerEpoch << 24
	b.heartbeat()
}

// heartbeat sends a BrokerHeartbeat; one timer chain repeats it.
func (b *Broker) heartbeat() {
	if !b.registered {
		return
	}
	b.send(b.cfg.Controller, &proto.BrokerHeartbeatRequest{BrokerID: b.id, BrokerEpoch: b.brokerEpoch, MetadataOffset: b.metaOffset})
	if !b.heartbeatTimer {
		b.heartbeatTimer = true
		b.env.After(b.cfg.BrokerHeartbeatInterval, node.Timer{Kind: timerHeartbeat})
	}
}

func (b *Broker) handleHeartbeatResponse(m *proto.BrokerHeartbeatResponse) {
	if m.Err == proto.STALE_BROKER_EPOCH || m.Err == proto.BROKER_ID_NOT_REGISTERED {
		// The controller lost or replaced our registration: register again under a
		// new incarnation, which it treats as a restart.
		b.registered = false
		b.incarnation = int64(b.env.Rand().Uint64() >> 1)
		b.register()
	}
}

// handleUpdateMetadata applies a snapshot, or a delta that follows the image's offset.
func (b *Broker) handleUpdateMetadata(m *proto.UpdateMetadataRequest) {
	if m.Full {
		if m.Offset < b.metaOffset {
			return
		}
		b.topics = map[string]proto.TopicRecord{}
		b.brokers = map[int32]proto.BrokerState{}
	} else if m.PrevOffset != b.metaOffset {
		return // a gap: the snapshot after our next heartbeat repairs it
	}
	b.metaOffset = m.Offset
	for _, br := range m.Brokers {
		b.brokers[br.ID] = br
	}
	for _, t := range m.Topics {
		b.topics[t.Name] = t
	}
	for i := range m.Partitions {
		p := m.Partitions[i]
		if old := b.parts[p.TopicPartition]; old != nil && old.LeaderEpoch > p.LeaderEpoch {
			continue // never go back in epochs, even on a stale snapshot
		}
		b.parts[p.TopicPartition] = &p
		if slices.Contains(p.Replicas, b.id) {
			b.applyPartition(&p)
		}
	}
}

// applyPartition makes the local replica follow the controller's decision.
func (b *Broker) applyPartition(p *proto.PartitionState) {
	r := b.replicaOf(p.TopicPartition)
	settings := b.cfg.topicSettings(b.topics[p.Topic].Configs)
	if r == nil {
		dir := logDir(p.TopicPartition)
		r = &replica{Replica: partition.NewReplica(p.TopicPartition, b.id, partition.NewLog(dir, settings.log, 0))}
		b.addReplica(r)
	}
	r.settings = settings
	r.Log.SetConfig(settings.log)
	r.MinInsyncReplicas, r.ELR = settings.minISR, b.cfg.EligibleLeaderReplicasEnable
	b.touch(r)
	st := *p
	st.Replicas, st.ISR, st.ELR = slices.Clone(p.Replicas), slices.Clone(p.ISR), slices.Clone(p.ELR)
	switch {
	case st.LeaderEpoch < r.State.LeaderEpoch || (st.LeaderEpoch == r.State.LeaderEpoch && st.PartitionEpoch < r.State.PartitionEpoch):
		return // stale
	case st.Leader == b.id:
		if r.IsLeader() && st.LeaderEpoch == r.State.LeaderEpoch {
			r.UpdateState(st)
			b.hwMaybeMoved(r, r.MaybeAdvanceHW())
			return
		}
		b.becomeLeader(r, st)
	default:
		if !r.IsLeader() && st.LeaderEpoch == r.State.LeaderEpoch && st.Leader == r.State.Leader {
			r.UpdateState(st)
			return
		}
		b.becomeFollower(r, st)
	}
}

func (b *Broker) becomeLeader(r *replica, st proto.PartitionState) {
	b.stopFetching(r)
	if e, ok := r.BecomeLeader(st, b.now()); ok {
		b.appendEpochEntry(r, e)
	}
	r.alterInFlight = false
	r.hwEpoch, r.lastLeaderHW = st.LeaderEpoch, r.HW
	b.observe(Observation{Kind: ObserveLeader, TP: r.TP, Epoch: st.LeaderEpoch})
	b.env.Logf("%s: leader in epoch %d, isr %v, hw %d, leo %d", r.TP, st.LeaderEpoch, st.ISR, r.HW, r.Log.LogEndOffset())
	b.hwMaybeMoved(r, r.MaybeAdvanceHW())
	if r.TP.Topic == proto.ConsumerOffsetsTopic && !b.groups.Loaded(r.TP.Partition) {
		b.loadGroups(r)
	}
}

func (b *Broker) becomeFollower(r *replica, st proto.PartitionState) {
	if r.IsLeader() {
		b.failWaiters(r, proto.NOT_LEADER_OR_FOLLOWER)
	}
	if r.TP.Topic == proto.ConsumerOffsetsTopic {
		b.unloadGroups(r)
	}
	b.stopFetching(r)
	r.BecomeFollower(st)
	r.alterInFlight = false
	if st.Leader == proto.NoLeader {
		return
	}
	r.fetchState = fetchTruncating
	b.fetcherFor(st.Leader).partitions = append(b.fetcherFor(st.Leader).partitions, r)
	b.maybeFetch(b.fetchers[st.Leader])
}

// alterISR proposes a new ISR to the controller.
func (b *Broker) alterISR(r *replica, isr []int32) {
	if r.alterInFlight || !b.registered {
		return
	}
	slices.Sort(isr)
	r.alterInFlight = true
	r.PendingISR = isr
	corr := b.nextCorrelation()
	b.alterPending[corr] = []*replica{r}
	b.send(b.cfg.Controller, &proto.AlterPartitionRequest{Correlation: corr, BrokerID: b.id, BrokerEpoch: b.brokerEpoch,
		Items: []proto.AlterPartitionItem{{TopicPartition: r.TP, LeaderEpoch: r.State.LeaderEpoch, PartitionEpoch: r.State.PartitionEpoch, NewISR: isr}}})
	b.env.After(b.cfg.ReplicaSocketTimeout, node.Timer{Kind: timerAlterTimeout, Arg: corr})
}

func (b *Broker) handleAlterPartitionResponse(m *proto.AlterPartitionResponse) {
	rs, ok := b.alterPending[m.Correlation]
	if !ok {
		return // timed out already
	}
	delete(b.alterPending, m.Correlation)
	for i, r := range rs {
		r.alterInFlight = false
		r.PendingISR = nil
		if m.Err != proto.NONE || i >= len(m.Errors) || m.Errors[i] != proto.NONE {
			continue
		}
		st := m.Partitions[i]
		if r.IsLeader() && st.LeaderEpoch == r.State.LeaderEpoch && st.PartitionEpoch > r.State.PartitionEpoch {
			r.UpdateState(st)
			b.touch(r)
			b.hwMaybeMoved(r, r.MaybeAdvanceHW())
		}
	}
}

// maybeShrinkISR drops followers that have not caught up within replica.lag.time.max.ms.
func (b *Broker) maybeShrinkISR() {
	now := b.now()
	for _, r := range b.replicaList {
		if !r.IsLeader() || r.alterInFlight {
			continue
		}
		out := r.OutOfSync(now, b.cfg.ReplicaLagTimeMax)
		if len(out) == 0 {
			continue
		}
		var isr []int32
		for _, id := range r.State.ISR {
			if !slices.Contains(out, id) {
				isr = append(isr, id)
			}
		}
		b.env.Logf("%s: shrinking ISR %v -> %v", r.TP, r.State.ISR, isr)
		b.alterISR(r, isr)
	}
}

func (b *Broker) metadataResponse(m *proto.MetadataRequest) *proto.MetadataResponse {
	resp := &proto.MetadataResponse{Correlation: m.Correlation, ControllerID: int32(b.cfg.Controller)}
	ids := make([]int32, 0, len(b.brokers))
	for id, br := range b.brokers {
		if !br.Fenced {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	resp.Brokers = ids
	names := m.Topics
	if names == nil {
		names = slices.Sorted(maps.Keys(b.topics))
	}
	for _, n := range names {
		t, ok := b.topics[n]
		if !ok {
			resp.Topics = append(resp.Topics, proto.TopicMetadata{Name: n, Err: proto.UNKNOWN_TOPIC_OR_PARTITION})
			continue
		}
		tm := proto.TopicMetadata{Name: n}
		for i := int32(0); i < t.Partitions; i++ {
			p := b.parts[proto.TopicPartition{Topic: n, Partition: i}]
			if p == nil {
				tm.Partitions = append(tm.Partitions, proto.PartitionMetadata{Partition: i, Err: proto.LEADER_NOT_AVAILABLE, Leader: proto.NoLeader})
				continue
			}
			pm := proto.PartitionMetadata{Partition: i, Leader: p.Leader, LeaderEpoch: p.LeaderEpoch, Replicas: p.Replicas, ISR: p.ISR}
			if p.Leader == proto.NoLeader {
				pm.Err = proto.LEADER_NOT_AVAILABLE
			}
			tm.Partitions = append(tm.Partitions, pm)
		}
		resp.Topics = append(resp.Topics, tm)
	}
	b.env.Charge(b.cfg.CPU.bytes(resp.Size()))
	return resp
}

// logDir is a partition's directory, topic-partition as Kafka names it.
func logDir(tp proto.TopicPartition) string { return tp.Topic + "-" + strconv.Itoa(int(tp.Partition)) }

// parseLogDir reads a directory name back.
func parseLogDir(dir string) (proto.TopicPartition, error) {
	i := strings.LastIndexByte(dir, '-')
	if i <= 0 {
		return proto.TopicPartition{}, fmt.Errorf("%q is not topic-partition", dir)
	}
	n, err := strconv.Atoi(dir[i+1:])
	if err != nil {
		return proto.TopicPartition{}, fmt.Errorf("%q is not topic-partition", dir)
	}
	return proto.TopicPartition{Topic: dir[:i], Partition: int32(n)}, nil
}
