package client

// Positions and fetching: OffsetFetch (committed offsets), ListOffsets
// (auto.offset.reset), OffsetForLeaderEpoch (KIP-320 validation) and Fetch.

import (
	"slices"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// stepPositions asks for the positions partitions lack: committed offsets from the
// coordinator, resets and validations from the leaders, batched per destination.
func (c *Consumer) stepPositions() {
	now := c.env.Now()
	var committed []*partition
	resets := map[node.ID][]*partition{}
	checks := map[node.ID][]*partition{}
	var leaders []node.ID
	for _, p := range c.order {
		if p.busy || p.state == partFetchable || p.state == partFailed {
			continue
		}
		if p.retryAt > now {
			c.wake(p.retryAt)
			continue
		}
		if p.state == partNeedsCommitted {
			committed = append(committed, p)
			continue
		}
		if p.state == partNeedsReset && c.cfg.AutoOffsetReset == ResetNone && p.failErr == "" {
			c.failPartition(p, "NO_OFFSET_FOR_PARTITION")
			continue
		}
		leader, epoch, ok := c.meta.Leader(p.tp)
		if !ok {
			c.meta.Want(p.tp.Topic)
			c.meta.RequestUpdate()
			continue
		}
		p.leaderEpoch = max(p.leaderEpoch, epoch)
		if _, seen := resets[leader]; !seen {
			if _, seen := checks[leader]; !seen {
				leaders = append(leaders, leader)
			}
		}
		if p.state == partNeedsReset {
			resets[leader] = append(resets[leader], p)
		} else {
			checks[leader] = append(checks[leader], p)
		}
	}
	if len(committed) > 0 && c.coord != node.None {
		c.sendOffsetFetch(committed)
	}
	slices.Sort(leaders)
	for _, to := range leaders {
		if ps := resets[to]; len(ps) > 0 {
			c.sendListOffsets(to, ps)
		}
		if ps := checks[to]; len(ps) > 0 {
			c.sendValidations(to, ps)
		}
	}
}

// sendOffsetFetch asks the coordinator for the committed offsets of ps.
func (c *Consumer) sendOffsetFetch(ps []*partition) {
	req := &proto.OffsetFetchRequest{Correlation: c.nextCorr(), GroupID: c.cfg.GroupID}
	for _, p := range ps {
		req.Partitions = append(req.Partitions, p.tp)
		p.busy = true
	}
	r := c.send(c.coord, reqOffsetFetch, req, req.Correlation, c.cfg.RequestTimeout)
	r.parts = ps
}

// sendListOffsets asks leader to for the earliest or latest offsets of ps
// (auto.offset.reset).
func (c *Consumer) sendListOffsets(to node.ID, ps []*partition) {
	req := &proto.ListOffsetsRequest{Correlation: c.nextCorr(), ReplicaID: proto.ConsumerReplicaID}
	for _, p := range ps {
		ts := proto.LatestTimestamp
		if c.cfg.AutoOffsetReset == ResetEarliest || p.failErr == "earliest" {
			ts = proto.EarliestTimestamp
		}
		req.Partitions = append(req.Partitions, proto.ListOffsetsPartition{TopicPartition: p.tp, CurrentLeaderEpoch: c.epochFor(p), Timestamp: ts})
		p.busy = true
	}
	r := c.send(to, reqListOffsets, req, req.Correlation, c.cfg.RequestTimeout)
	r.parts = ps
}

// sendValidations asks leader to where the epochs of ps's positions end
// (OffsetForLeaderEpoch, KIP-320), to detect a truncation below a position.
func (c *Consumer) sendValidations(to node.ID, ps []*partition) {
	req := &proto.OffsetForLeaderEpochRequest{Correlation: c.nextCorr(), ReplicaID: proto.ConsumerReplicaID}
	for _, p := range ps {
		req.Partitions = append(req.Partitions, proto.OffsetForLeaderEpochPartition{TopicPartition: p.tp, CurrentLeaderEpoch: p.leaderEpoch, LeaderEpoch: p.positionEpoch})
		p.busy = true
	}
	r := c.send(to, reqEpoch, req, req.Correlation, c.cfg.RequestTimeout)
	r.parts = ps
}

// epochFor is the leader epoch a request carries: the known one with KIP-320, -1
// (no check) without.
func (c *Consumer) epochFor(p *partition) int32 {
	if c.cfg.TruncationDetection {
		return p.leaderEpoch
	}
	return -1
}

// failPartition stops consuming p and fails the next poll with err (auto.offset.reset
// none); a Seek revives it.
func (c *Consumer) failPartition(p *partition, err string) {
	p.state, p.failErr = partFailed, err
	c.dropBuffered(p)
	c.pollErr = err
}

// current reports whether a response about p still matters.
func (c *Consumer) current(p *partition) bool { return p.assigned }

func (c *Consumer) handleOffsetFetch(r *request, m *proto.OffsetFetchResponse) {
	for _, p := range r.parts {
		p.busy = false
	}
	if m.Err != proto.NONE {
		if m.Err == proto.NOT_COORDINATOR || m.Err == proto.COORDINATOR_NOT_AVAILABLE {
			c.coordinatorLost()
		}
		for _, p := range r.parts {
			p.retryAt = c.env.Now() + c.cfg.RetryBackoff
		}
		return
	}
	for _, o := range m.Partitions {
		p := c.parts[o.TopicPartition]
		if p == nil || p.state != partNeedsCommitted || !slices.Contains(r.parts, p) {
			continue
		}
		switch {
		case o.Err != proto.NONE:
			p.retryAt = c.env.Now() + c.cfg.RetryBackoff
		case o.CommittedOffset < 0:
			p.state = partNeedsReset
		default:
			p.position, p.positionEpoch = o.CommittedOffset, o.CommittedLeaderEpoch
			p.state = partFetchable
			if c.cfg.TruncationDetection && p.positionEpoch >= 0 {
				p.state = partNeedsValidation
			}
			c.emit(ConsumerEvent{Kind: EventReset, TP: p.tp, From: -1, To: p.position, Reason: "committed"})
		}
	}
}

func (c *Consumer) handleListOffsets(r *request, m *proto.ListOffsetsResponse) {
	for _, p := range r.parts {
		p.busy = false
	}
	for _, o := range m.Partitions {
		p := c.parts[o.TopicPartition]
		if p == nil || p.state != partNeedsReset || !slices.Contains(r.parts, p) {
			continue
		}
		if o.Err != proto.NONE {
			p.retryAt = c.env.Now() + c.cfg.RetryBackoff
			c.meta.RequestUpdate()
			continue
		}
		reason := "auto.offset.reset=" + c.cfg.AutoOffsetReset.String()
		if p.failErr == "earliest" {
			reason = "seek to beginning"
		}
		c.resetLog(p, o.Offset, o.LeaderEpoch, reason)
	}
}

// handleEpochs completes KIP-320 validation: a position past the end of its epoch in
// the leader's log was truncated away.
func (c *Consumer) handleEpochs(r *request, m *proto.OffsetForLeaderEpochResponse) {
	for _, p := range r.parts {
		p.busy = false
	}
	for _, o := range m.Partitions {
		p := c.parts[o.TopicPartition]
		if p == nil || p.state != partNeedsValidation || !slices.Contains(r.parts, p) {
			continue
		}
		switch {
		case o.Err != proto.NONE:
			p.retryAt = c.env.Now() + c.cfg.RetryBackoff
			c.meta.RequestUpdate()
		case o.EndOffset < 0 || o.LeaderEpoch < 0:
			// The leader knows nothing of that epoch: treat as out of range.
			c.outOfRange(p)
		case o.EndOffset < p.position:
			c.stats.TruncationsDetected++
			if c.cfg.AutoOffsetReset == ResetNone {
				c.failPartition(p, "LOG_TRUNCATION")
				continue
			}
			c.resetLog(p, o.EndOffset, o.LeaderEpoch, "truncation detected")
		default:
			p.state = partFetchable
		}
	}
}

// outOfRange applies auto.offset.reset after OFFSET_OUT_OF_RANGE.
func (c *Consumer) outOfRange(p *partition) {
	if c.cfg.AutoOffsetReset == ResetNone {
		c.failPartition(p, proto.OFFSET_OUT_OF_RANGE.String())
		return
	}
	c.dropBuffered(p)
	p.state, p.failErr = partNeedsReset, ""
}

// fetchSlots are the leaders with a fetch out and its correlation id: a handful of
// brokers, so a list beats a map on the per-event path.
type fetchSlots []fetchSlot

type fetchSlot struct {
	to   node.ID
	corr int64
}

func (f fetchSlots) has(to node.ID) bool {
	for i := range f {
		if f[i].to == to {
			return true
		}
	}
	return false
}

func (f *fetchSlots) set(to node.ID, corr int64) {
	for i := range *f {
		if (*f)[i].to == to {
			(*f)[i].corr = corr
			return
		}
	}
	*f = append(*f, fetchSlot{to, corr})
}

func (f *fetchSlots) del(to node.ID) {
	s := *f
	for i := range s {
		if s[i].to == to {
			s[i] = s[len(s)-1]
			*f = s[:len(s)-1]
			return
		}
	}
}

// fetchCand is a partition stepFetches will fetch from its leader.
type fetchCand struct {
	leader node.ID
	p      *partition
}

// stepFetches sends one fetch per leader that has none out, for the fetchable
// partitions with nothing buffered: leaders in id order, each request's partitions in
// assignment order. It runs after every event, so it groups through reused scratch
// lists rather than a map.
func (c *Consumer) stepFetches() {
	now := c.env.Now()
	cands := c.fetchCands[:0]
	for _, p := range c.order {
		if p.state != partFetchable || p.fetching || p.buffered {
			continue
		}
		if p.retryAt > now {
			c.wake(p.retryAt)
			continue
		}
		leader, epoch, ok := c.meta.Leader(p.tp)
		if !ok {
			c.meta.RequestUpdate()
			continue
		}
		if epoch > p.leaderEpoch {
			if c.cfg.TruncationDetection && p.positionEpoch >= 0 && p.leaderEpoch >= 0 {
				p.leaderEpoch = epoch
				p.state = partNeedsValidation
				continue
			}
			p.leaderEpoch = epoch
		}
		if c.fetchTo.has(leader) {
			continue
		}
		cands = append(cands, fetchCand{leader, p})
	}
	if len(cands) == 0 {
		c.fetchCands = cands
		return
	}
	leaders := c.fetchLeaders[:0]
	for _, fc := range cands {
		if !slices.Contains(leaders, fc.leader) {
			leaders = append(leaders, fc.leader)
		}
	}
	slices.Sort(leaders)
	for _, to := range leaders {
		n := 0
		for _, fc := range cands {
			if fc.leader == to {
				n++
			}
		}
		// ps and offsets stay with the request's bookkeeping (r), which keeps their
		// memory once released; the FetchRequest is the broker's once sent.
		r := c.newRequest()
		ps, offsets := r.parts[:0], r.offsets[:0]
		req := c.newFetchRequest(n)
		*req = proto.FetchRequest{Correlation: c.nextCorr(), ReplicaID: proto.ConsumerReplicaID, MaxWait: c.cfg.FetchMaxWait,
			MinBytes: c.cfg.FetchMinBytes, MaxBytes: c.cfg.FetchMaxBytes, Partitions: req.Partitions[:0], Spare: c.takeSpareResponse(to)}
		for _, fc := range cands {
			if fc.leader != to {
				continue
			}
			p := fc.p
			req.Partitions = append(req.Partitions, proto.FetchPartition{TopicPartition: p.tp, CurrentLeaderEpoch: c.epochFor(p),
				FetchOffset: p.position, LastFetchedEpoch: -1, LogStartOffset: -1, MaxBytes: c.cfg.MaxPartitionFetchBytes})
			p.fetching = true
			ps = append(ps, p)
			offsets = append(offsets, p.position)
		}
		c.sendWith(r, to, reqFetch, req, req.Correlation, c.cfg.RequestTimeout)
		r.parts, r.offsets = ps, offsets
		c.fetchTo.set(to, req.Correlation)
		c.stats.Fetches++
	}
	clear(cands)
	c.fetchCands, c.fetchLeaders = cands[:0], leaders[:0]
}

// fetchRequest2 is a FetchRequest with room for two partitions in the same
// allocation: a consumer's fetch usually names the few partitions one broker leads.
type fetchRequest2 struct {
	req   proto.FetchRequest
	parts [2]proto.FetchPartition
}

// maxSpareFetch bounds the fetch requests and responses a consumer keeps for reuse.
const maxSpareFetch = 4

// newFetchRequest returns a FetchRequest to fill whose Partitions has room for n
// partitions: one a broker handed back (FetchResponse.Spare), or a new one.
func (c *Consumer) newFetchRequest(n int) *proto.FetchRequest {
	for i := len(c.spareReqs) - 1; i >= 0; i-- {
		if req := c.spareReqs[i]; cap(req.Partitions) >= n {
			last := len(c.spareReqs) - 1
			c.spareReqs[i] = c.spareReqs[last]
			c.spareReqs[last] = nil
			c.spareReqs = c.spareReqs[:last]
			return req
		}
	}
	if n <= 2 {
		f := &fetchRequest2{}
		f.req.Partitions = f.parts[:0]
		return &f.req
	}
	return &proto.FetchRequest{Partitions: make([]proto.FetchPartition, 0, n)}
}

// spareResponse is a handled FetchResponse and the broker that sent it.
type spareResponse struct {
	from node.ID
	m    *proto.FetchResponse
}

// takeSpareResponse returns a handled FetchResponse that broker to sent, to hand back
// to it with a fetch; nil if none.
func (c *Consumer) takeSpareResponse(to node.ID) *proto.FetchResponse {
	for i := len(c.spareResps) - 1; i >= 0; i-- {
		if s := c.spareResps[i]; s.from == to {
			last := len(c.spareResps) - 1
			c.spareResps[i] = c.spareResps[last]
			c.spareResps[last] = spareResponse{}
			c.spareResps = c.spareResps[:last]
			return s.m
		}
	}
	return nil
}

// reuseFetchMemory takes what a FetchResponse from broker from hands over once the
// consumer is done with it (handled, or ignored as stale): the request it answered
// (Spare), which the broker keeps no reference to once answered, for the next
// fetches; and the response itself, to hand back to that broker with the next fetch
// to it. Completed fetches keep only the batches, never the response's partitions.
func (c *Consumer) reuseFetchMemory(from node.ID, m *proto.FetchResponse) {
	if req := m.Spare; req != nil {
		m.Spare = nil
		if len(c.spareReqs) < maxSpareFetch {
			c.spareReqs = append(c.spareReqs, req)
		}
	}
	if n := len(c.spareResps); n == maxSpareFetch {
		// Full: forget the oldest, which may come from a broker no longer fetched from.
		copy(c.spareResps, c.spareResps[1:])
		c.spareResps = c.spareResps[:n-1]
	}
	c.spareResps = append(c.spareResps, spareResponse{from: from, m: m})
}

func (c *Consumer) handleFetch(r *request, m *proto.FetchResponse) {
	c.fetchTo.del(r.to)
	for _, p := range r.parts {
		p.fetching = false
	}
	got := false
	for i := range m.Partitions {
		fp := &m.Partitions[i]
		k := slices.IndexFunc(r.parts, func(p *partition) bool { return p.tp == fp.TopicPartition })
		if k < 0 {
			continue
		}
		p := r.parts[k]
		if !c.current(p) || p.state != partFetchable || p.position != r.offsets[k] {
			continue // reassigned, reset or moved meanwhile
		}
		switch fp.Err {
		case proto.NONE:
			p.highWatermark, p.logStart = fp.HighWatermark, fp.LogStartOffset
			if len(fp.Batches) > 0 && fp.Batches[len(fp.Batches)-1].LastOffset() >= p.position {
				c.buffer = append(c.buffer, c.newCompletedFetch(p, fp.Batches))
				p.buffered = true
				got = true
			}
		case proto.OFFSET_OUT_OF_RANGE:
			c.outOfRange(p)
		case proto.FENCED_LEADER_EPOCH, proto.NOT_LEADER_OR_FOLLOWER, proto.UNKNOWN_TOPIC_OR_PARTITION, proto.UNKNOWN_LEADER_EPOCH,
			proto.LEADER_NOT_AVAILABLE, proto.REPLICA_NOT_AVAILABLE, proto.KAFKA_STORAGE_ERROR:
			p.retryAt = c.env.Now() + c.cfg.RetryBackoff
			c.meta.RequestUpdate()
		default:
			p.retryAt = c.env.Now() + c.cfg.RetryBackoff
		}
	}
	if !got {
		c.stats.EmptyFetches++
	}
}
