package broker

// Consumer groups: each broker hosts a group.Coordinator for the partitions of
// __consumer_offsets it leads.
//
// Behaviour:
//   - FindCoordinator answers the leader of the group's partition of
//     __consumer_offsets (group.PartitionFor: Java's String.hashCode of the group id,
//     made non-negative, modulo offsets.topic.num.partitions). While the topic does not
//     exist the broker asks the controller to create it (replication factor
//     offsets.topic.replication.factor, capped at the live brokers) and answers
//     COORDINATOR_NOT_AVAILABLE, as Kafka does on the first FindCoordinator.
//   - JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and OffsetFetch go to
//     the coordinator; for a group whose partition this broker does not lead it
//     answers NOT_COORDINATOR.
//   - The coordinator's records (offset commits, group assignments) are appended as
//     one batch to the group's partition as its leader, with acks=all: the
//     coordinator applies them and answers only once the high watermark passes the
//     batch. A commit that fails (NOT_ENOUGH_REPLICAS, leadership lost,
//     offsets.commit.timeout.ms) is answered with the coordinator error Kafka maps it to.
//   - Becoming the leader of a partition of __consumer_offsets loads its groups from
//     the local log; losing it unloads them, answering their waiting requests
//     NOT_COORDINATOR so that members look for the new coordinator.

import (
	"time"

	"logsim/broker/group"
	"logsim/broker/node"
	"logsim/broker/proto"
)

// groupAppendDone is the outcome of a coordinator append, applied after the handler
// that completed it (the purgatory must not be re-entered while it iterates).
type groupAppendDone struct {
	id  int64
	err proto.ErrorCode
}

// handleGroupRequest routes the group APIs; it reports whether m was one.
func (b *Broker) handleGroupRequest(from node.ID, m node.Message) bool {
	now := b.now()
	var e group.Effects
	switch m := m.(type) {
	case *proto.FindCoordinatorRequest:
		b.stats.Requests[apiFindCoordinator]++
		b.handleFindCoordinator(from, m)
		return true
	case *proto.JoinGroupRequest:
		b.stats.Requests[apiJoinGroup]++
		e = b.groups.JoinGroup(now, from, m)
	case *proto.SyncGroupRequest:
		b.stats.Requests[apiSyncGroup]++
		e = b.groups.SyncGroup(now, from, m)
	case *proto.HeartbeatRequest:
		b.stats.Requests[apiHeartbeat]++
		e = b.groups.Heartbeat(now, from, m)
	case *proto.LeaveGroupRequest:
		b.stats.Requests[apiLeaveGroup]++
		e = b.groups.LeaveGroup(now, from, m)
	case *proto.OffsetCommitRequest:
		b.stats.Requests[apiOffsetCommit]++
		e = b.groups.OffsetCommit(now, from, m)
	case *proto.OffsetFetchRequest:
		b.stats.Requests[apiOffsetFetch]++
		e = b.groups.OffsetFetch(now, from, m)
	case *proto.CreateTopicsResponse:
		return true // our request to create __consumer_offsets; metadata will tell
	default:
		return false
	}
	b.applyGroupEffects(e)
	return true
}

func (b *Broker) handleFindCoordinator(from node.ID, m *proto.FindCoordinatorRequest) {
	resp := &proto.FindCoordinatorResponse{Correlation: m.Correlation, NodeID: -1}
	switch {
	case m.Key == "":
		resp.Err = proto.INVALID_GROUP_ID
	case !b.registered:
		resp.Err = proto.COORDINATOR_NOT_AVAILABLE
	default:
		if _, ok := b.topics[proto.ConsumerOffsetsTopic]; !ok {
			b.createOffsetsTopic()
			resp.Err = proto.COORDINATOR_NOT_AVAILABLE
			break
		}
		tp := proto.TopicPartition{Topic: proto.ConsumerOffsetsTopic, Partition: group.PartitionFor(m.Key, b.cfg.Group.OffsetsTopicNumPartitions)}
		st := b.parts[tp]
		if st == nil || st.Leader == proto.NoLeader {
			resp.Err = proto.COORDINATOR_NOT_AVAILABLE
			break
		}
		resp.NodeID = st.Leader
	}
	b.send(from, resp)
}

// createOffsetsTopic asks the controller for __consumer_offsets, at most once a second.
func (b *Broker) createOffsetsTopic() {
	now := b.now()
	if b.offsetsTopicAsked != 0 && now-b.offsetsTopicAsked < time.Second {
		return
	}
	b.offsetsTopicAsked = now
	live := 0
	for _, br := range b.brokers {
		if !br.Fenced {
			live++
		}
	}
	rf := min(int(b.cfg.Group.OffsetsTopicReplicationFactor), max(live, 1))
	b.send(b.cfg.Controller, &proto.CreateTopicsRequest{Correlation: b.nextCorrelation(), Topics: []proto.CreatableTopic{{
		Name: proto.ConsumerOffsetsTopic, NumPartitions: b.cfg.Group.OffsetsTopicNumPartitions, ReplicationFactor: int16(rf),
		Configs: map[string]string{"retention.ms": "-1", "segment.bytes": "104857600"}}}})
}

// applyGroupEffects sends the coordinator's replies, appends its records, and keeps
// its deadline timer armed.
func (b *Broker) applyGroupEffects(e group.Effects) {
	for _, r := range e.Replies {
		b.send(r.To, r.Msg)
	}
	for _, a := range e.Appends {
		b.appendGroupRecords(a)
	}
	b.groups.Recycle(e) // nothing of e is kept: its records are packed into batches
	b.armGroupTick()
}

// appendGroupRecords appends a coordinator's records to its partition as the leader
// and waits, like an acks=all produce, for the high watermark.
func (b *Broker) appendGroupRecords(a group.Append) {
	tp := proto.TopicPartition{Topic: proto.ConsumerOffsetsTopic, Partition: a.Partition}
	size := proto.BatchHeaderSize
	for i := range a.Records {
		size += proto.RecordOverhead + len(a.Records[i].Key) + int(a.Records[i].Size)
	}
	batch := &proto.RecordBatch{ProducerID: proto.NoProducerID, BaseSequence: -1, SizeBytes: int32(size)}
	batch.SetRecords(a.Records)
	batch.CRC = batch.ComputeCRC()
	pa := b.newGroupWait()
	resp := &pa.resp
	out := &resp.Partitions[0]
	*out = proto.ProducePartitionResponse{TopicPartition: tp, BaseOffset: -1, LogStartOffset: -1}
	r := b.replicaOf(tp)
	err, required := b.appendAsLeader(r, proto.AcksAll, batch, out)
	if err != proto.NONE {
		b.groupDone = append(b.groupDone, groupAppendDone{id: a.ID, err: err})
		b.recycleGroupWait(pa) // never waited: nothing refers to it
		return
	}
	out.Err = proto.NONE
	w := &pa.w
	*w = produceWait{id: b.nextCorrelation(), resp: resp, pending: 1, group: true, groupAppend: a.ID, own: pa}
	r.produceWaiters = append(r.produceWaiters, waiter{w: w, index: 0, required: required})
	b.waits[w.id] = w
	w.timer = b.env.After(b.cfg.OffsetCommitTimeout, node.Timer{Kind: timerProduceTimeout, Arg: w.id})
	b.completeWaiters(r)
}

// maxFreeGroupWaits bounds the coordinator appends' purgatory entries kept for reuse.
const maxFreeGroupWaits = 8

// newGroupWait returns the purgatory entry and response of a coordinator's append:
// one recycled by recycleGroupWait, or a new one. Its response is never sent (the
// outcome goes to the coordinator), so its memory can go round.
func (b *Broker) newGroupWait() *produceAlloc {
	if n := len(b.freeGroupWaits); n > 0 {
		pa := b.freeGroupWaits[n-1]
		b.freeGroupWaits[n-1] = nil
		b.freeGroupWaits = b.freeGroupWaits[:n-1]
		*pa = produceAlloc{}
		pa.resp.Partitions = pa.parts[:1:1]
		return pa
	}
	return newProduceAlloc(1)
}

// recycleGroupWait keeps pa, from newGroupWait, for reuse. Callers make sure nothing
// refers to it any more: it never waited, or finishWaiter completed it and its waiter
// left the replica's list (a wait that timed out keeps a stale waiter there, and is
// never recycled).
func (b *Broker) recycleGroupWait(pa *produceAlloc) {
	if len(b.freeGroupWaits) < maxFreeGroupWaits {
		b.freeGroupWaits = append(b.freeGroupWaits, pa)
	}
}

// finishGroupAppends hands the completed appends to the coordinator; completions may
// cause more appends, which may complete at once.
func (b *Broker) finishGroupAppends() {
	// By index, not by reslicing the front off, so that groupDone keeps its memory;
	// applying may append more.
	for i := 0; i < len(b.groupDone); i++ {
		d := b.groupDone[i]
		b.applyGroupEffects(b.groups.AppendDone(d.id, d.err, b.now()))
	}
	b.groupDone = b.groupDone[:0]
}

// armGroupTick sets the timer for the coordinator's next deadline.
func (b *Broker) armGroupTick() {
	next, ok := b.groups.NextDeadline()
	if !ok || (b.groupTickAt != 0 && b.groupTickAt <= next) {
		return
	}
	b.groupTickAt = next
	b.env.After(max(next-b.now(), 0), node.Timer{Kind: timerGroupTick})
}

func (b *Broker) groupTick() {
	b.groupTickAt = 0
	b.applyGroupEffects(b.groups.Tick(b.now()))
}

// loadGroups makes this broker the coordinator of r's groups (r is a partition of
// __consumer_offsets it now leads).
func (b *Broker) loadGroups(r *replica) {
	var recs []proto.Record
	for _, s := range r.Log.Segments() {
		for _, bt := range s.Batches {
			recs = bt.AppendRecords(recs)
		}
	}
	if skipped := b.groups.Load(r.TP.Partition, recs, b.now()); skipped > 0 {
		b.env.Logf("%s: %d records that are not group records skipped while loading", r.TP, skipped)
	}
	b.armGroupTick()
}

// unloadGroups gives up r's groups (leadership moved away).
func (b *Broker) unloadGroups(r *replica) {
	if b.groups.Loaded(r.TP.Partition) {
		b.applyGroupEffects(b.groups.Unload(r.TP.Partition))
	}
}

// Group returns this broker's coordinator view of a group; ok is false unless this
// broker coordinates it.
func (b *Broker) Group(groupID string) (group.GroupInfo, bool) {
	if b.groups == nil {
		return group.GroupInfo{}, false
	}
	return b.groups.Describe(groupID)
}
