package broker

// Fetch (leader side) and OffsetForLeaderEpoch.
//
// Behaviour:
//   - Followers (ReplicaID >= 0) read up to the log end offset; their fetch offset is
//     their LEO, which moves the HW, their caught-up time, and may bring them back into
//     the ISR. Consumers (ReplicaID -1) read up to the high watermark.
//   - CurrentLeaderEpoch is checked (KIP-320): older is FENCED_LEADER_EPOCH, newer
//     UNKNOWN_LEADER_EPOCH, so stale leaders and stale fetchers are fenced.
//   - A fetch that finds fewer than MinBytes waits in the fetch purgatory until data
//     (followers) or a higher HW (consumers) arrives, or MaxWait passes.
//   - Fetch sessions (KIP-227), preferred read replicas (KIP-392) and isolation levels
//     are not modelled (SKIPPED.md).

import (
	"slices"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// parkedFetch is a fetch waiting in the purgatory.
type parkedFetch struct {
	id       int64
	from     node.ID
	req      *proto.FetchRequest
	timer    node.TimerID
	replicas []*replica
}

func (b *Broker) handleFetch(from node.ID, m *proto.FetchRequest) {
	follower := m.ReplicaID >= 0
	if follower {
		if br, ok := b.brokers[m.ReplicaID]; ok && m.BrokerEpoch < br.Epoch {
			// A fetch from a previous incarnation of the follower.
			b.send(from, b.fetchErrorResponse(m, proto.STALE_BROKER_EPOCH))
			return
		}
		now := b.now()
		for i := range m.Partitions {
			p := &m.Partitions[i]
			r := b.replicas[p.TopicPartition]
			if b.leaderError(r, p.CurrentLeaderEpoch) != proto.NONE {
				continue
			}
			b.touch(r)
			moved := r.FollowerFetched(m.ReplicaID, p.FetchOffset, now)
			b.hwMaybeMoved(r, moved)
			// Like Kafka, only propose brokers the metadata shows as unfenced.
			if br, ok := b.brokers[m.ReplicaID]; ok && !br.Fenced && r.CanJoinISR(m.ReplicaID) {
				b.env.Logf("%s: follower %d caught up at %d, expanding ISR", r.TP, m.ReplicaID, p.FetchOffset)
				b.alterISR(r, append(slices.Clone(r.State.ISR), m.ReplicaID))
			}
		}
	}
	if m.MaxWait <= 0 || m.MinBytes <= 0 || !b.fetchIdle(m) {
		resp, bytes, failed := b.readFetch(m)
		if failed || bytes >= int(m.MinBytes) || m.MaxWait <= 0 {
			b.sendFetch(from, resp)
			return
		}
	}
	pf := &parkedFetch{id: b.nextCorrelation(), from: from, req: m, replicas: make([]*replica, 0, len(m.Partitions))}
	for i := range m.Partitions {
		if r := b.replicas[m.Partitions[i].TopicPartition]; r != nil {
			r.fetchWaiters = append(r.fetchWaiters, pf)
			pf.replicas = append(pf.replicas, r)
		}
	}
	b.parkedFetch[pf.id] = pf
	pf.timer = b.env.After(m.MaxWait, node.Timer{Kind: timerFetchWait, Arg: pf.id})
}

func (b *Broker) sendFetch(to node.ID, resp *proto.FetchResponse) {
	n := 0
	for i := range resp.Partitions {
		b.countError(resp.Partitions[i].Err)
		for _, bt := range resp.Partitions[i].Batches {
			n += int(bt.SizeBytes)
		}
	}
	b.env.Charge(b.cfg.CPU.bytes(n))
	b.send(to, resp)
}

func (b *Broker) fetchErrorResponse(m *proto.FetchRequest, err proto.ErrorCode) *proto.FetchResponse {
	resp := &proto.FetchResponse{Correlation: m.Correlation, Partitions: make([]proto.FetchPartitionResponse, len(m.Partitions))}
	for i := range m.Partitions {
		resp.Partitions[i] = proto.FetchPartitionResponse{TopicPartition: m.Partitions[i].TopicPartition, Err: err, HighWatermark: -1, LogStartOffset: -1, LogEndOffset: -1}
	}
	return resp
}

// epochError checks a request's CurrentLeaderEpoch against r's (KIP-320): older is
// FENCED_LEADER_EPOCH, newer UNKNOWN_LEADER_EPOCH, and -1 skips the check.
func (b *Broker) epochError(r *replica, epoch int32) proto.ErrorCode {
	switch {
	case epoch < 0:
		return proto.NONE
	case epoch < r.State.LeaderEpoch:
		return proto.FENCED_LEADER_EPOCH
	case epoch > r.State.LeaderEpoch:
		return proto.UNKNOWN_LEADER_EPOCH
	}
	return proto.NONE
}

// leaderError is the error for a request that must reach r's leader and carries the
// leader epoch epoch: NOT_LEADER_OR_FOLLOWER unless r leads here, else epochError's.
func (b *Broker) leaderError(r *replica, epoch int32) proto.ErrorCode {
	if r == nil || !r.IsLeader() {
		return proto.NOT_LEADER_OR_FOLLOWER
	}
	return b.epochError(r, epoch)
}

// fetchIdle reports whether readFetch would find no error and nothing to read in any
// partition of m: every fetch offset is at its limit (the HW, or for a follower the log
// end). Such a fetch is parked without building a response.
func (b *Broker) fetchIdle(m *proto.FetchRequest) bool {
	for i := range m.Partitions {
		p := &m.Partitions[i]
		r := b.replicas[p.TopicPartition]
		if r == nil || !r.IsLeader() || b.epochError(r, p.CurrentLeaderEpoch) != proto.NONE {
			return false
		}
		limit := r.HW
		if m.ReplicaID >= 0 {
			limit = r.Log.LogEndOffset()
		}
		if p.FetchOffset < limit || p.FetchOffset < r.Log.LogStartOffset() || p.FetchOffset > r.Log.LogEndOffset() {
			return false
		}
	}
	return true
}

// readFetch reads every partition of m. failed is set when a partition has an error,
// which answers the fetch at once.
func (b *Broker) readFetch(m *proto.FetchRequest) (*proto.FetchResponse, int, bool) {
	resp := &proto.FetchResponse{Correlation: m.Correlation, Partitions: make([]proto.FetchPartitionResponse, len(m.Partitions))}
	total, failed := 0, false
	for i := range m.Partitions {
		p := &m.Partitions[i]
		out := &resp.Partitions[i]
		out.TopicPartition = p.TopicPartition
		out.HighWatermark, out.LogStartOffset, out.LogEndOffset = -1, -1, -1
		out.DivergingEpoch = proto.EpochEndOffset{Epoch: -1, EndOffset: -1}
		r := b.replicas[p.TopicPartition]
		switch {
		case r == nil:
			out.Err = proto.UNKNOWN_TOPIC_OR_PARTITION
			if _, known := b.parts[p.TopicPartition]; known {
				out.Err = proto.NOT_LEADER_OR_FOLLOWER
			}
		case !r.IsLeader():
			out.Err = proto.NOT_LEADER_OR_FOLLOWER
		default:
			out.Err = b.epochError(r, p.CurrentLeaderEpoch)
		}
		if out.Err != proto.NONE {
			failed = true
			continue
		}
		out.HighWatermark, out.LogStartOffset, out.LogEndOffset = r.HW, r.Log.LogStartOffset(), r.Log.LogEndOffset()
		limit := r.HW
		if m.ReplicaID >= 0 {
			limit = r.Log.LogEndOffset()
		}
		max := int(p.MaxBytes)
		if rest := int(m.MaxBytes) - total; rest < max {
			max = rest
		}
		if max <= 0 && total > 0 {
			continue
		}
		res, err := r.Log.Read(p.FetchOffset, limit, max)
		if err != proto.NONE {
			out.Err = err
			failed = true
			continue
		}
		out.Batches = res.Batches
		total += res.Bytes
	}
	return resp, total, failed
}

// wakeFetchers retries the parked fetches of r: after an append (hwMoved false) only
// followers' fetches can find more; after the HW moved consumers' can too.
func (b *Broker) wakeFetchers(r *replica, hwMoved bool) {
	if len(r.fetchWaiters) == 0 {
		return
	}
	for _, pf := range slices.Clone(r.fetchWaiters) {
		if pf.req.ReplicaID < 0 && !hwMoved || pf.req.MinBytes > 0 && b.fetchIdle(pf.req) {
			continue
		}
		resp, bytes, failed := b.readFetch(pf.req)
		if failed || bytes >= int(pf.req.MinBytes) {
			b.unpark(pf)
			b.sendFetch(pf.from, resp)
		}
	}
}

// completeParkedFetch answers a parked fetch with whatever is there now.
func (b *Broker) completeParkedFetch(pf *parkedFetch) {
	if _, ok := b.parkedFetch[pf.id]; !ok {
		return
	}
	b.unpark(pf)
	resp, _, _ := b.readFetch(pf.req)
	b.sendFetch(pf.from, resp)
}

func (b *Broker) unpark(pf *parkedFetch) {
	delete(b.parkedFetch, pf.id)
	b.env.Cancel(pf.timer)
	for _, r := range pf.replicas {
		if i := slices.Index(r.fetchWaiters, pf); i >= 0 {
			r.fetchWaiters = slices.Delete(r.fetchWaiters, i, i+1)
		}
	}
}

// handleOffsetForLeaderEpoch tells a follower where an epoch ends in the leader's log.
func (b *Broker) handleOffsetForLeaderEpoch(from node.ID, m *proto.OffsetForLeaderEpochRequest) {
	resp := &proto.OffsetForLeaderEpochResponse{Correlation: m.Correlation}
	for _, p := range m.Partitions {
		out := proto.OffsetForLeaderEpochPartitionResponse{TopicPartition: p.TopicPartition, LeaderEpoch: -1, EndOffset: -1}
		r := b.replicas[p.TopicPartition]
		if out.Err = b.leaderError(r, p.CurrentLeaderEpoch); out.Err == proto.NONE {
			out.LeaderEpoch, out.EndOffset = r.Log.EndOffsetForEpoch(p.LeaderEpoch)
		}
		resp.Partitions = append(resp.Partitions, out)
	}
	b.send(from, resp)
}
