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
	id    int64
	from  node.ID
	req   *proto.FetchRequest
	timer node.TimerID
	// replicas are req's partitions, resolved once and parallel to req.Partitions.
	// Only fetches whose every partition is hosted here are parked (any other is
	// answered at once with an error), and a hosted replica is never replaced, so the
	// pointers stay valid while the fetch waits.
	replicas []*replica
}

// fetchWaiter is a parked fetch waiting on a replica, with the index of the replica's
// partition in the fetch.
type fetchWaiter struct {
	pf    *parkedFetch
	index int
}

// resolveFetch looks up the replica of every partition of m, once per request, into
// a scratch slice (nil where none is hosted); it is valid until the next call.
func (b *Broker) resolveFetch(m *proto.FetchRequest) []*replica {
	reps := b.fetchReps[:0]
	for i := range m.Partitions {
		reps = append(reps, b.replicaOf(m.Partitions[i].TopicPartition))
	}
	b.fetchReps = reps
	return reps
}

func (b *Broker) handleFetch(from node.ID, m *proto.FetchRequest) {
	if m.Spare != nil {
		b.recycleFetchResponse(m.Spare)
		m.Spare = nil
	}
	follower := m.ReplicaID >= 0
	canJoin := false // Like Kafka, only propose brokers the metadata shows as unfenced.
	if follower {
		br, known := b.brokers[m.ReplicaID]
		if known && m.BrokerEpoch < br.Epoch {
			// A fetch from a previous incarnation of the follower.
			b.send(from, b.fetchErrorResponse(m, proto.STALE_BROKER_EPOCH))
			return
		}
		canJoin = known && !br.Fenced
	}
	reps := b.resolveFetch(m)
	if follower {
		now := b.now()
		for i := range m.Partitions {
			p := &m.Partitions[i]
			r := reps[i]
			if b.leaderError(r, p.CurrentLeaderEpoch) != proto.NONE {
				continue
			}
			// A follower's progress is not part of the invariants: the replica is
			// touched (and checked) when the HW moves or the ISR is to change.
			moved := r.FollowerFetched(m.ReplicaID, p.FetchOffset, now)
			b.hwMaybeMoved(r, moved)
			if canJoin && r.CanJoinISR(m.ReplicaID) {
				b.touch(r)
				b.env.Logf("%s: follower %d caught up at %d, expanding ISR", r.TP, m.ReplicaID, p.FetchOffset)
				b.alterISR(r, append(slices.Clone(r.State.ISR), m.ReplicaID))
			}
		}
	}
	if m.MaxWait <= 0 || m.MinBytes <= 0 || !b.fetchIdle(m, reps) {
		resp, bytes, failed := b.readFetch(m, reps)
		if failed || bytes >= int(m.MinBytes) || m.MaxWait <= 0 {
			b.sendFetch(from, resp)
			return
		}
	}
	pf := b.newParkedFetch()
	pf.id, pf.from, pf.req, pf.replicas = b.nextCorrelation(), from, m, append(pf.replicas[:0], reps...)
	for i, r := range pf.replicas {
		if r == nil {
			failf("fetch %d from %d parked with %s not hosted on %d", m.Correlation, from, m.Partitions[i].TopicPartition, b.id)
		}
		r.fetchWaiters = append(r.fetchWaiters, fetchWaiter{pf: pf, index: i})
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
	resp := b.newFetchResponse(m)
	for i := range m.Partitions {
		resp.Partitions[i] = proto.FetchPartitionResponse{TopicPartition: m.Partitions[i].TopicPartition, Err: err, HighWatermark: -1, LogStartOffset: -1, LogEndOffset: -1}
	}
	return resp
}

// newFetchResponse starts the response to m with one partition per requested one,
// reusing a spare response when one is big enough (see recycleFetchResponse). The
// response hands m back to its sender (FetchResponse.Spare): once sent, it answered m,
// and a leader keeps no answered request. Followers and consumers reuse the request
// and hand the response back with their next fetch. Callers set every partition.
func (b *Broker) newFetchResponse(m *proto.FetchRequest) *proto.FetchResponse {
	n := len(m.Partitions)
	for i := len(b.spareFetch) - 1; i >= 0; i-- {
		if resp := b.spareFetch[i]; cap(resp.Partitions) >= n {
			last := len(b.spareFetch) - 1
			b.spareFetch[i] = b.spareFetch[last]
			b.spareFetch[last] = nil
			b.spareFetch = b.spareFetch[:last]
			*resp = proto.FetchResponse{Correlation: m.Correlation, Partitions: resp.Partitions[:n], Spare: m}
			return resp
		}
	}
	if m.ReplicaID < 0 && n <= len(fetchResponse2{}.parts) {
		// A consumer's fetch names the few partitions it reads here: one allocation
		// for the response and its partitions.
		f := &fetchResponse2{}
		f.resp = proto.FetchResponse{Correlation: m.Correlation, Partitions: f.parts[:n], Spare: m}
		return &f.resp
	}
	// Room to spare: the follower's partitions come and go.
	return &proto.FetchResponse{Correlation: m.Correlation, Partitions: make([]proto.FetchPartitionResponse, n, (n+7)&^7), Spare: m}
}

// fetchResponse2 is a FetchResponse with room for two partitions in the same
// allocation.
type fetchResponse2 struct {
	resp  proto.FetchResponse
	parts [2]proto.FetchPartitionResponse
}

// maxSpareFetch bounds the spare responses a broker keeps.
const maxSpareFetch = 8

// recycleFetchResponse keeps a FetchResponse that a follower or consumer handed back
// with its next fetch (FetchRequest.Spare), for the next responses. Nobody else holds
// it by then: the fetcher handled it before sending the request, and the broker that
// sent it (this one, or for a consumer maybe another) keeps no reference to what it
// sent. The batches it points to are shared and left alone.
func (b *Broker) recycleFetchResponse(m *proto.FetchResponse) {
	if cap(m.Partitions) == 0 {
		return
	}
	i := len(b.spareFetch)
	if i == maxSpareFetch {
		// Full: replace the smallest spare, if m is bigger.
		i = 0
		for j, s := range b.spareFetch {
			if cap(s.Partitions) < cap(b.spareFetch[i].Partitions) {
				i = j
			}
		}
		if cap(m.Partitions) <= cap(b.spareFetch[i].Partitions) {
			return
		}
	} else {
		b.spareFetch = append(b.spareFetch, nil)
	}
	// Drop the batch pointers, so that they do not outlive their segments. Only the
	// used partitions hold any: a response's unused room is zero when it is made and
	// after every recycling, and a response is only ever cut to fewer partitions.
	clear(m.Partitions)
	m.Partitions = m.Partitions[:0]
	b.spareFetch[i] = m
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
// partition of m (whose replicas are reps): every fetch offset is at its limit (the
// HW, or for a follower the log end). Such a fetch is parked without building a
// response.
func (b *Broker) fetchIdle(m *proto.FetchRequest, reps []*replica) bool {
	for i := range m.Partitions {
		if !b.partitionIdle(m, &m.Partitions[i], reps[i]) {
			return false
		}
	}
	return true
}

// partitionIdle is fetchIdle for one partition p of m, hosted by r (nil if none).
func (b *Broker) partitionIdle(m *proto.FetchRequest, p *proto.FetchPartition, r *replica) bool {
	if r == nil || !r.IsLeader() || b.epochError(r, p.CurrentLeaderEpoch) != proto.NONE {
		return false
	}
	limit := r.HW
	if m.ReplicaID >= 0 {
		limit = r.Log.LogEndOffset()
	}
	return p.FetchOffset >= limit && p.FetchOffset >= r.Log.LogStartOffset() && p.FetchOffset <= r.Log.LogEndOffset()
}

// readFetch reads every partition of m (whose replicas are reps). failed is set when a
// partition has an error, which answers the fetch at once.
func (b *Broker) readFetch(m *proto.FetchRequest, reps []*replica) (*proto.FetchResponse, int, bool) {
	resp := b.newFetchResponse(m)
	total, failed := 0, false
	for i := range m.Partitions {
		p := &m.Partitions[i]
		out := &resp.Partitions[i]
		// Field by field: assigning a whole FetchPartitionResponse goes through a
		// temporary and a bulk write barrier while the GC marks.
		// TestFetchPartitionResponseFields keeps this list complete.
		out.TopicPartition, out.Err = p.TopicPartition, proto.NONE
		out.HighWatermark, out.LogStartOffset, out.LogEndOffset = -1, -1, -1
		out.DivergingEpoch = proto.EpochEndOffset{Epoch: -1, EndOffset: -1}
		out.Batches = nil
		r := reps[i]
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
	// Answering a fetch unparks it, which edits r.fetchWaiters: walk a copy, kept in
	// a scratch slice that is taken for the walk.
	waiters := append(b.wakeScratch[:0], r.fetchWaiters...)
	b.wakeScratch = nil
	for _, w := range waiters {
		pf := w.pf
		if pf.req.ReplicaID < 0 && !hwMoved {
			continue
		}
		// r's own partition usually has news; only when it has none must every
		// partition be checked (fetchIdle is a conjunction, so the order is free).
		if pf.req.MinBytes > 0 && b.partitionIdle(pf.req, &pf.req.Partitions[w.index], r) && b.fetchIdle(pf.req, pf.replicas) {
			continue
		}
		resp, bytes, failed := b.readFetch(pf.req, pf.replicas)
		if failed || bytes >= int(pf.req.MinBytes) {
			b.unpark(pf)
			b.sendFetch(pf.from, resp)
		}
	}
	clear(waiters)
	b.wakeScratch = waiters[:0]
}

// completeParkedFetch answers a parked fetch with whatever is there now.
func (b *Broker) completeParkedFetch(pf *parkedFetch) {
	if _, ok := b.parkedFetch[pf.id]; !ok {
		return
	}
	b.unpark(pf)
	resp, _, _ := b.readFetch(pf.req, pf.replicas)
	b.sendFetch(pf.from, resp)
}

// newParkedFetch returns a parkedFetch to fill: one unparked earlier, or a new one.
func (b *Broker) newParkedFetch() *parkedFetch {
	if n := len(b.freeParked); n > 0 {
		pf := b.freeParked[n-1]
		b.freeParked[n-1] = nil
		b.freeParked = b.freeParked[:n-1]
		return pf
	}
	return &parkedFetch{}
}

// maxFreeParked bounds the unparked fetches kept for reuse.
const maxFreeParked = 16

// unpark takes pf out of the purgatory (its timer, its replicas' waiter lists) and
// keeps it for reuse.
func (b *Broker) unpark(pf *parkedFetch) {
	if _, parked := b.parkedFetch[pf.id]; parked && len(b.freeParked) < maxFreeParked {
		// Reused by the next fetch to park. Only handleFetch parks, and never from
		// inside a walk over fetch waiters (wakeFetchers, failWaiters), so a walk
		// still holding pf sees it unchanged; nothing else refers to it.
		b.freeParked = append(b.freeParked, pf)
	}
	delete(b.parkedFetch, pf.id)
	b.env.Cancel(pf.timer)
	for _, r := range pf.replicas {
		ws := r.fetchWaiters
		for i := range ws {
			if ws[i].pf == pf {
				// slices.Delete, written out: a replica has a few waiters.
				last := len(ws) - 1
				copy(ws[i:], ws[i+1:])
				ws[last] = fetchWaiter{}
				r.fetchWaiters = ws[:last]
				break
			}
		}
	}
}

// handleOffsetForLeaderEpoch tells a follower where an epoch ends in the leader's log.
func (b *Broker) handleOffsetForLeaderEpoch(from node.ID, m *proto.OffsetForLeaderEpochRequest) {
	resp := &proto.OffsetForLeaderEpochResponse{Correlation: m.Correlation}
	for _, p := range m.Partitions {
		out := proto.OffsetForLeaderEpochPartitionResponse{TopicPartition: p.TopicPartition, LeaderEpoch: -1, EndOffset: -1}
		r := b.replicaOf(p.TopicPartition)
		if out.Err = b.leaderError(r, p.CurrentLeaderEpoch); out.Err == proto.NONE {
			out.LeaderEpoch, out.EndOffset = r.Log.EndOffsetForEpoch(p.LeaderEpoch)
		}
		resp.Partitions = append(resp.Partitions, out)
	}
	b.send(from, resp)
}
