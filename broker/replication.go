package broker

// Replication, follower side: one fetcher per leader broker, one request in flight.
//
// Behaviour:
//   - A replica that becomes a follower first asks the leader where its log diverges
//     (OffsetForLeaderEpoch with its latest epoch, KIP-101) and truncates, repeating
//     with older epochs until the epochs agree (KIP-279); then it fetches from its LEO.
//   - Appends from the leader keep the leader's offsets and epochs; the follower's HW
//     is min(leader HW, own LEO), and its log start follows the leader's.
//   - A fetch position below the leader's log start restarts the log there.
//   - Errors back off for replica.fetch.backoff.ms; a fetch with no answer is given up
//     after replica.socket.timeout.ms.

import (
	"maps"
	"slices"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// fetcher is a follower's fetch session with one leader.
type fetcher struct {
	leader     int32
	partitions []*replica
	inflight   int64 // correlation of the Fetch or OffsetForLeaderEpoch in flight
	// req and epochReq are the request in flight, if any (at most one is set).
	req      *proto.FetchRequest
	epochReq *proto.OffsetForLeaderEpochRequest
	// reqReps are the replicas of the last FetchRequest's partitions, parallel to its
	// Partitions: they outlive req, as handleFetchResponse ends the request first.
	reqReps []*replica
	// spareReq is the request the leader handed back with its last handled response
	// (FetchResponse.Spare), whose memory the next request reuses. The hand-back, not
	// the correlation, says the leader is done with it: a request that timed out may
	// still be parked there, and correlations restart with each incarnation.
	spareReq *proto.FetchRequest
	// spareResp is the leader's last response, handled and handed back to the leader
	// with the next request (FetchRequest.Spare), so that its memory goes round.
	spareResp *proto.FetchResponse
	timer     node.TimerID
	backoff   bool
}

func (b *Broker) fetcherFor(leader int32) *fetcher {
	f := b.fetchers[leader]
	if f == nil {
		f = &fetcher{leader: leader}
		b.fetchers[leader] = f
	}
	return f
}

func (b *Broker) stopFetching(r *replica) {
	if f := b.fetchers[r.State.Leader]; f != nil {
		if i := slices.Index(f.partitions, r); i >= 0 {
			f.partitions = slices.Delete(f.partitions, i, i+1)
		}
	}
	r.fetchState = fetchIdle
	r.truncInFlight = false
}

func (r *replica) follows(leader int32) bool {
	return r.fetchState != fetchIdle && r.State.Leader == leader && !r.IsLeader()
}

// maybeFetch sends the next request of f if none is in flight.
func (b *Broker) maybeFetch(f *fetcher) {
	if f.inflight != 0 || f.backoff || !b.registered {
		return
	}
	n := 0
	for _, r := range f.partitions {
		if r.follows(f.leader) {
			f.partitions[n] = r
			n++
		}
	}
	clear(f.partitions[n:])
	f.partitions = f.partitions[:n]

	var epochReq *proto.OffsetForLeaderEpochRequest
	for _, r := range f.partitions {
		if r.fetchState != fetchTruncating {
			continue
		}
		if r.Log.LatestEpoch() < 0 {
			r.fetchState = fetchFetching // nothing to reconcile
			continue
		}
		if epochReq == nil {
			epochReq = &proto.OffsetForLeaderEpochRequest{Correlation: b.nextCorrelation(), ReplicaID: b.id}
		}
		epochReq.Partitions = append(epochReq.Partitions, proto.OffsetForLeaderEpochPartition{
			TopicPartition: r.TP, CurrentLeaderEpoch: r.State.LeaderEpoch, LeaderEpoch: r.Log.LatestEpoch()})
	}
	if epochReq != nil {
		f.inflight, f.epochReq, f.req = epochReq.Correlation, epochReq, nil
		b.send(node.ID(f.leader), epochReq)
		f.timer = b.env.After(b.cfg.ReplicaSocketTimeout, node.Timer{Kind: timerFetchTimeout, Arg: f.inflight})
		return
	}
	var req *proto.FetchRequest
	for _, r := range f.partitions {
		if r.fetchState != fetchFetching || r.flushing {
			continue
		}
		if req == nil {
			req = b.newFetchRequest(f)
		}
		req.Partitions = append(req.Partitions, proto.FetchPartition{TopicPartition: r.TP, CurrentLeaderEpoch: r.State.LeaderEpoch,
			FetchOffset: r.Log.LogEndOffset(), LastFetchedEpoch: r.Log.LatestEpoch(), LogStartOffset: r.Log.LogStartOffset(),
			MaxBytes: b.cfg.ReplicaFetchMaxBytes})
		f.reqReps = append(f.reqReps, r)
	}
	if req == nil {
		return
	}
	f.inflight, f.req, f.epochReq = req.Correlation, req, nil
	b.send(node.ID(f.leader), req)
	f.timer = b.env.After(b.cfg.ReplicaSocketTimeout+b.cfg.ReplicaFetchWaitMax, node.Timer{Kind: timerFetchTimeout, Arg: f.inflight})
}

// newFetchRequest starts f's next FetchRequest (no partitions yet), reusing the
// memory of the request the leader handed back (spareReq), and empties f.reqReps.
func (b *Broker) newFetchRequest(f *fetcher) *proto.FetchRequest {
	req := f.spareReq
	f.spareReq = nil
	if req == nil {
		req = &proto.FetchRequest{}
	}
	parts := req.Partitions[:0]
	if cap(parts) < len(f.partitions) {
		parts = make([]proto.FetchPartition, 0, len(f.partitions))
	}
	*req = proto.FetchRequest{Correlation: b.nextCorrelation(), ReplicaID: b.id, BrokerEpoch: b.brokerEpoch,
		MaxWait: b.cfg.ReplicaFetchWaitMax, MinBytes: b.cfg.ReplicaFetchMinBytes, MaxBytes: b.cfg.ReplicaFetchResponseMaxBytes,
		Partitions: parts, Spare: f.spareResp}
	f.spareResp = nil
	clear(f.reqReps)
	f.reqReps = f.reqReps[:0]
	return req
}

func (b *Broker) fetchTimedOut(corr int64) {
	for _, id := range b.fetcherIDs() {
		if f := b.fetchers[id]; f.inflight == corr {
			b.fetchFailed(f)
		}
	}
}

func (b *Broker) fetcherIDs() []int32 {
	return slices.Sorted(maps.Keys(b.fetchers))
}

// fetchFailed gives up the request in flight and backs off.
func (b *Broker) fetchFailed(f *fetcher) {
	b.endRequest(f)
	b.backoff(f)
}

// endRequest forgets f's request in flight (answered or given up) and its timeout.
func (b *Broker) endRequest(f *fetcher) {
	f.inflight, f.req, f.epochReq = 0, nil, nil
	b.env.Cancel(f.timer)
}

// afterResponse backs off if any partition of the answered request failed, and
// otherwise sends the next request at once.
func (b *Broker) afterResponse(f *fetcher, failed bool) {
	if failed {
		b.backoff(f)
		return
	}
	b.maybeFetch(f)
}

func (b *Broker) backoff(f *fetcher) {
	if !f.backoff {
		f.backoff = true
		b.env.After(b.cfg.ReplicaFetchBackoff, node.Timer{Kind: timerFetchBackoff, Arg: int64(f.leader)})
	}
}

func (b *Broker) handleFetchResponse(from node.ID, m *proto.FetchResponse) {
	f := b.fetchers[int32(from)]
	if f == nil || f.inflight != m.Correlation || f.req == nil {
		return
	}
	req := f.req
	b.endRequest(f)
	failed := false
	for i := range m.Partitions {
		if i >= len(req.Partitions) {
			break
		}
		p, rp := &m.Partitions[i], &req.Partitions[i]
		// The leader answers in the request's order, so the replica is the one the
		// request was built from, unless m answers a request of an earlier incarnation
		// of this broker that had the same correlation (the leader kept it parked).
		r := f.reqReps[i]
		if p.TopicPartition != rp.TopicPartition {
			r = b.replicaOf(p.TopicPartition)
		}
		if r == nil || !r.follows(f.leader) || r.fetchState != fetchFetching || r.State.LeaderEpoch != rp.CurrentLeaderEpoch ||
			r.Log.LogEndOffset() != rp.FetchOffset {
			continue // the replica moved on since the request
		}
		switch p.Err {
		case proto.NONE:
			if !b.appendFetched(r, p) {
				return
			}
		case proto.OFFSET_OUT_OF_RANGE:
			b.touch(r)
			if rp.FetchOffset < p.LogStartOffset || p.LogEndOffset < 0 {
				if p.LogStartOffset >= 0 {
					b.resetLog(r, p.LogStartOffset)
				}
			} else {
				r.fetchState = fetchTruncating
			}
		default:
			b.touch(r)
			failed = true
		}
	}
	f.spareReq, f.spareResp, m.Spare = m.Spare, m, nil
	b.afterResponse(f, failed)
}

// appendFetched appends the leader's batches and follows its HW and log start.
func (b *Broker) appendFetched(r *replica, p *proto.FetchPartitionResponse) bool {
	// An empty answer that moves neither the HW nor the log start changes nothing the
	// invariants cover: only a change touches the replica.
	cpu := b.cfg.CPU
	for _, bt := range p.Batches {
		leo := r.Log.LogEndOffset()
		if bt.NextOffset() <= leo {
			continue
		}
		b.touch(r)
		if bt.BaseOffset != leo {
			// Not contiguous with our log: reconcile again rather than leave a gap.
			r.fetchState = fetchTruncating
			return true
		}
		b.env.Charge(cpu.PerBatch + cpu.bytes(int(bt.SizeBytes)))
		if !b.appendBatch(r, bt) {
			return false
		}
	}
	if p.HighWatermark >= 0 {
		hw := r.HW
		r.FollowerSetHW(p.HighWatermark)
		if r.HW != hw {
			b.touch(r)
		}
	}
	if p.LogStartOffset > r.Log.LogStartOffset() {
		b.touch(r)
		files, moved := r.Log.AdvanceLogStart(p.LogStartOffset, r.HW)
		for _, fl := range files {
			b.env.Disk().Delete(fl)
		}
		if moved {
			b.observe(Observation{Kind: ObserveLogStart, TP: r.TP, Epoch: r.State.LeaderEpoch, Offset: r.Log.LogStartOffset()})
		}
	}
	return true
}

// handleOffsetForLeaderEpochResponse truncates each partition to where its log and the
// leader's agree.
func (b *Broker) handleOffsetForLeaderEpochResponse(from node.ID, m *proto.OffsetForLeaderEpochResponse) {
	f := b.fetchers[int32(from)]
	if f == nil || f.inflight != m.Correlation || f.epochReq == nil {
		return
	}
	req := f.epochReq
	b.endRequest(f)
	failed := false
	for i := range m.Partitions {
		if i >= len(req.Partitions) {
			break
		}
		p, rp := &m.Partitions[i], &req.Partitions[i]
		r := b.replicaOf(p.TopicPartition)
		if r == nil || !r.follows(f.leader) || r.fetchState != fetchTruncating || r.State.LeaderEpoch != rp.CurrentLeaderEpoch ||
			r.Log.LatestEpoch() != rp.LeaderEpoch {
			continue
		}
		b.touch(r)
		if p.Err != proto.NONE {
			failed = true
			continue
		}
		b.reconcile(r, p.LeaderEpoch, p.EndOffset)
	}
	b.afterResponse(f, failed)
}

// reconcile applies the leader's answer (epoch, end offset) for our latest epoch, as
// Kafka's fetcher does: truncate to where both logs last agree, or, if we lack the
// leader's epoch, to the end of our own nearest epoch and ask again.
func (b *Broker) reconcile(r *replica, leaderEpoch int32, leaderEnd int64) {
	leo := r.Log.LogEndOffset()
	if leaderEnd < 0 {
		// The leader knows none of our epochs: fall back to our high watermark.
		b.truncate(r, r.HW)
		r.fetchState = fetchFetching
		return
	}
	fe, fo := r.Log.EndOffsetForEpoch(leaderEpoch)
	switch {
	case fe < 0:
		b.truncate(r, min(leaderEnd, leo))
		r.fetchState = fetchFetching
	case fe != leaderEpoch:
		b.truncate(r, min(fo, leo))
		if r.Log.LatestEpoch() >= 0 && r.Log.LatestEpoch() < leaderEpoch {
			return // still truncating: ask about the older epoch
		}
		r.fetchState = fetchFetching
	default:
		b.truncate(r, min(leaderEnd, fo))
		r.fetchState = fetchFetching
	}
}
