package client

import (
	"fmt"
	"slices"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// Handle consumes the producer's events: its responses, its timers, and (without
// consuming them) disconnects.
func (p *Producer) Handle(ev node.Event) bool {
	consumed := p.handle(ev)
	if consumed {
		p.checkInvariants()
	}
	return consumed
}

// checkInvariants panics if the producer's bookkeeping is inconsistent. It runs after
// every event, so it costs O(1): the batches in flight counted from the requests'
// side and from the partitions' side must agree, and each partition's own counts are
// checked where they change (checkPart).
func (p *Producer) checkInvariants() {
	if p.bufferUsed < 0 {
		panic(fmt.Sprintf("client: invariant violated: buffer use %d is negative", p.bufferUsed))
	}
	if p.batchesInFlight != p.partsInFlight {
		panic(fmt.Sprintf("client: invariant violated: %d batches in requests, %d counted in flight", p.batchesInFlight, p.partsInFlight))
	}
}

// checkPart panics if b's partition's counts of batches in flight are inconsistent.
func (p *Producer) checkPart(b *prodBatch) {
	if ps := b.ps; ps.inflight < 0 || ps.staleInflight < 0 || ps.staleInflight > ps.inflight {
		panic(fmt.Sprintf("client: invariant violated: %s in flight %d, stale %d", b.tp, ps.inflight, ps.staleInflight))
	}
}

func (p *Producer) handle(ev node.Event) bool {
	if p.meta.Handle(ev) {
		return true
	}
	switch ev.Kind {
	case node.Recv:
		switch m := ev.Msg.(type) {
		case *proto.ProduceResponse:
			if !p.owns(m.Correlation) {
				return false
			}
			p.handleProduceResponse(m)
			return true
		case *proto.InitProducerIdResponse:
			if !p.owns(m.Correlation) {
				return false
			}
			p.handleInitProducerID(m)
			return true
		}
	case node.TimerFired:
		return p.timer(ev.Timer)
	case node.Disconnected:
		p.disconnected(ev.From)
	}
	return false
}

func (p *Producer) owns(corr int64) bool { return corr > p.corrBase && corr <= p.corrBase+1<<34 }

func (p *Producer) timer(t node.Timer) bool {
	switch t.Kind {
	case timerLinger:
		p.wakeAt = 0
		p.drain()
	case timerRequestTimeout:
		if r := p.inflight[t.Arg]; r != nil {
			p.failRequest(r, proto.REQUEST_TIMED_OUT.String())
		}
	case timerExpiry:
		p.expiryAt = 0
		p.expire()
	case timerMaxBlock:
		for i, bs := range p.blocked {
			if bs.id != t.Arg {
				continue
			}
			p.blocked = slices.Delete(p.blocked, i, i+1)
			err := "BUFFER_EXHAUSTED"
			if p.meta.Partitions(bs.rec.Topic) == 0 {
				err = "METADATA_TIMEOUT"
			}
			p.stats.Failed++
			if bs.done != nil {
				bs.done(Result{Outcome: Fail, TP: proto.TopicPartition{Topic: bs.rec.Topic, Partition: bs.rec.Partition}, Offset: -1, Err: err, Blocked: p.env.Now() - bs.at})
			}
			break
		}
		p.unblock()
	case timerInitProducerID:
		if t.Arg == p.pidCorr || t.Arg < 0 {
			if t.Arg == p.pidCorr {
				p.pidCorr = 0 // no answer: ask again
			}
			p.drain()
		}
	default:
		return false
	}
	return true
}

func (p *Producer) nextCorr() int64 {
	p.corr++
	return p.corr
}

// arm sets the drain timer for t unless an earlier one is set.
func (p *Producer) arm(t time.Duration) {
	now := p.env.Now()
	if t <= now {
		t = now + time.Microsecond
	}
	if p.wakeAt != 0 && p.wakeAt <= t {
		return
	}
	p.wakeAt = t
	p.env.After(t-now, node.Timer{Kind: timerLinger})
}

func (p *Producer) armExpiry(t time.Duration) {
	if p.expiryAt != 0 && p.expiryAt <= t {
		return
	}
	p.expiryAt = t
	p.env.After(t-p.env.Now(), node.Timer{Kind: timerExpiry})
}

// drain sends every ready batch whose leader has in-flight room, one batch per
// partition per request, as Kafka's sender does, until nothing more can go.
func (p *Producer) drain() {
	if p.needReset {
		p.needReset = false
		p.resetProducerID()
	}
	if p.cfg.EnableIdempotence && p.pid == proto.NoProducerID {
		p.initProducerID()
		return
	}
	now := p.env.Now()
	var next time.Duration
	for {
		p.reqs = p.reqs[:0]
		for i, tp := range p.partList {
			ps := p.partSt[i]
			if len(ps.queue) == 0 {
				continue
			}
			b := ps.queue[0]
			if ps.version != p.meta.Version || ps.version == 0 {
				ps.leader, _, ps.hasLead = p.meta.Leader(tp)
				ps.version = p.meta.Version
			}
			leader, ok := ps.leader, ps.hasLead
			if !ok {
				p.meta.RequestUpdate()
				continue
			}
			if ready, at := p.ready(ps, b, now); !ready {
				if at > 0 && (next == 0 || at < next) {
					next = at
				}
				continue
			}
			pr := p.requestFor(leader)
			if pr == nil {
				continue // no in-flight room on that connection
			}
			if len(pr.batches) > 0 && pr.req.Size()+p.wireBytes(b) > p.cfg.MaxRequestSize {
				continue
			}
			ps.queue[0] = nil
			ps.queue = ps.queue[1:]
			pr.req.Partitions = append(pr.req.Partitions, proto.ProducePartition{TopicPartition: tp, Batch: p.wireBatch(ps, b)})
			pr.batches = append(pr.batches, b)
		}
		if len(p.reqs) == 0 {
			break
		}
		slices.SortFunc(p.reqs, func(a, b prodDraft) int { return int(a.to - b.to) })
		for i := range p.reqs {
			p.sendRequest(p.reqs[i].to, p.reqs[i].req, p.reqs[i].batches)
			p.reqs[i] = prodDraft{}
		}
	}
	if next > 0 {
		p.arm(next)
	}
}

// requestFor returns the request being built for a leader in this drain pass, or
// starts one if the connection has in-flight room.
func (p *Producer) requestFor(leader node.ID) *prodDraft {
	for i := range p.reqs {
		if p.reqs[i].to == leader {
			return &p.reqs[i]
		}
	}
	if p.perNode[leader] >= p.cfg.MaxInFlightRequestsPerConnection && p.cfg.Acks != proto.AcksNone {
		return nil
	}
	// Room for the partitions with queued batches that the leader leads, as far as
	// the partitions' cached leaders tell (a hint: append grows it if they are stale).
	n := 0
	for _, ps := range p.partSt {
		if len(ps.queue) > 0 && ps.hasLead && ps.leader == leader {
			n++
		}
	}
	n = max(min(n, 16), 1)
	p.reqs = append(p.reqs, prodDraft{to: leader, batches: make([]*prodBatch, 0, n),
		req: &proto.ProduceRequest{Correlation: p.nextCorr(), Acks: p.cfg.Acks, Timeout: p.cfg.RequestTimeout,
			Partitions: make([]proto.ProducePartition, 0, n)}})
	return &p.reqs[len(p.reqs)-1]
}

// ready says whether b, at the head of its partition's queue, may go now, and if not,
// when it will be (0: when something else happens).
func (p *Producer) ready(ps *prodPart, b *prodBatch, now time.Duration) (bool, time.Duration) {
	if ps.staleInflight > 0 {
		return false, 0 // wait for the previous session's batches
	}
	if b.attempts > 0 {
		if p.cfg.EnableIdempotence && ps.inflight > 0 {
			return false, 0 // retries go alone, in sequence order
		}
		return now >= b.retryAt, b.retryAt
	}
	if p.isFull(b) || len(ps.queue) > 1 || now >= b.created+p.cfg.Linger {
		return true, 0
	}
	return false, b.created + p.cfg.Linger
}

// wireBytes is b's size as the drain counts it against max.request.size: its size on
// the wire once built, the estimate before.
func (p *Producer) wireBytes(b *prodBatch) int {
	if b.wire != nil {
		return int(b.wire.SizeBytes)
	}
	return p.estimatedBytes(b)
}

// wireBatch builds (once) the batch as sent: sequence, compression and checksum. A
// retry resends the same batch.
func (p *Producer) wireBatch(ps *prodPart, b *prodBatch) *proto.RecordBatch {
	if b.wire != nil {
		return b.wire
	}
	w := &proto.RecordBatch{ProducerID: proto.NoProducerID, Compression: p.cfg.CompressionType, Payload: p.cfg.Payload}
	w.SetRecords(b.recs)
	// The batch packed its own copy: the array takes a later batch's records.
	clear(b.recs) // drop the keys
	p.spareRecs = append(p.spareRecs, b.recs[:0])
	b.recs = nil
	if p.cfg.EnableIdempotence {
		b.pid, b.epoch, b.seq = p.pid, p.epoch, ps.nextSeq
		ps.nextSeq += int32(b.count)
		w.ProducerID, w.ProducerEpoch, w.BaseSequence = b.pid, b.epoch, b.seq
	}
	out, err := p.sampler.Size(w)
	if err != nil {
		panic("client: sizing batch: " + err.Error())
	}
	w.SizeBytes = int32(proto.BatchHeaderSize + out.RecordsBytes)
	w.CRC = w.ComputeCRC()
	if w.Compression != proto.CompressionNone {
		ps.topic.learnRatio(int(w.SizeBytes), out.RawBytes)
	}
	if rate := p.cfg.CPU.CompressBytesPerSecond[w.Compression]; rate > 0 {
		p.env.Charge(time.Duration(float64(out.RawBytes) / rate * 1e9))
	}
	b.wire = w
	ps.lastRecords = b.count
	p.stats.Batches++
	p.stats.BatchRecords += int64(b.count)
	return w
}

func (p *Producer) sendRequest(to node.ID, req *proto.ProduceRequest, batches []*prodBatch) {
	p.env.Charge(p.cfg.CPU.PerRequest)
	p.stats.Requests++
	p.stats.BytesSent += int64(req.Size())
	for _, b := range batches {
		b.attempts++
		if b.attempts > 1 {
			p.stats.Retries++
		}
		b.ps.inflight++
		p.partsInFlight++
	}
	p.env.Send(to, req)
	if p.cfg.Acks == proto.AcksNone {
		// Nothing comes back: the send is done once it is on the wire.
		for _, b := range batches {
			b.ps.inflight--
			p.partsInFlight--
			p.checkPart(b)
			p.complete(b, OK, -1, "")
		}
		return
	}
	r := &prodRequest{corr: req.Correlation, to: to, batches: batches}
	r.timer = p.env.After(p.cfg.RequestTimeout, node.Timer{Kind: timerRequestTimeout, Arg: r.corr})
	p.inflight[r.corr] = r
	p.batchesInFlight += len(batches)
	p.perNode[to]++
}

func (p *Producer) handleProduceResponse(m *proto.ProduceResponse) {
	r := p.inflight[m.Correlation]
	if r == nil {
		if p.cfg.Acks == proto.AcksNone {
			// The broker's signal that an acks=0 request failed (Kafka closes the
			// connection): the metadata is stale.
			p.meta.RequestUpdate()
		}
		return // timed out already: its batches were retried or completed
	}
	p.env.Charge(p.cfg.CPU.PerRequest)
	p.finishRequest(r)
	for i := range m.Partitions {
		if i >= len(r.batches) {
			break
		}
		res := &m.Partitions[i]
		p.batchResult(r.batches[i], res.Err, res.BaseOffset, res.Err.String())
	}
	p.drain()
}

func (p *Producer) finishRequest(r *prodRequest) {
	delete(p.inflight, r.corr)
	p.batchesInFlight -= len(r.batches)
	p.env.Cancel(r.timer)
	p.perNode[r.to]--
	for _, b := range r.batches {
		ps := b.ps
		ps.inflight--
		p.partsInFlight--
		if b.stale {
			b.stale = false
			ps.staleInflight--
		}
		p.checkPart(b)
	}
}

// failRequest gives up a request with no answer: its batches may have been appended.
func (p *Producer) failRequest(r *prodRequest, err string) {
	p.finishRequest(r)
	for _, b := range r.batches {
		b.maybe = true
		p.retryOrComplete(b, err, true)
	}
	p.meta.RequestUpdate()
	p.drain()
}

func (p *Producer) disconnected(from node.ID) {
	// Kafka's client asks for fresh metadata when a connection to a broker drops.
	p.meta.RequestUpdate()
	var lost []*prodRequest
	for _, r := range p.inflight {
		if r.to == from {
			lost = append(lost, r)
		}
	}
	slices.SortFunc(lost, func(a, b *prodRequest) int { return int(a.corr - b.corr) })
	for _, r := range lost {
		p.failRequest(r, proto.NETWORK_EXCEPTION.String())
	}
	if p.pidCorr != 0 && p.pidTo == from {
		p.pidCorr = 0
		p.env.After(p.cfg.RetryBackoff, node.Timer{Kind: timerLinger})
	}
}

// maybeAppended reports whether the batch may be in the log after err: the leader
// appended it and then timed out, lost the ISR, or lost leadership while waiting for
// acks=all (Kafka answers NOT_LEADER_OR_FOLLOWER then too).
func (p *Producer) maybeAppended(err proto.ErrorCode) bool {
	switch err {
	case proto.REQUEST_TIMED_OUT, proto.NOT_ENOUGH_REPLICAS_AFTER_APPEND, proto.NETWORK_EXCEPTION, proto.KAFKA_STORAGE_ERROR, proto.UNKNOWN_SERVER_ERROR:
		return true
	case proto.NOT_LEADER_OR_FOLLOWER:
		return p.cfg.Acks == proto.AcksAll
	}
	return false
}

func staleMetadata(err proto.ErrorCode) bool {
	switch err {
	case proto.NOT_LEADER_OR_FOLLOWER, proto.LEADER_NOT_AVAILABLE, proto.UNKNOWN_TOPIC_OR_PARTITION,
		proto.FENCED_LEADER_EPOCH, proto.UNKNOWN_LEADER_EPOCH, proto.KAFKA_STORAGE_ERROR, proto.NOT_ENOUGH_REPLICAS:
		return true
	}
	return false
}

// batchResult handles one partition's answer.
func (p *Producer) batchResult(b *prodBatch, err proto.ErrorCode, base int64, name string) {
	if err == proto.NONE {
		p.complete(b, OK, base, "")
		return
	}
	if p.maybeAppended(err) {
		b.maybe = true
	}
	if staleMetadata(err) {
		p.meta.RequestUpdate()
	}
	retriable := err.Retriable()
	if (err == proto.OUT_OF_ORDER_SEQUENCE_NUMBER || err == proto.UNKNOWN_PRODUCER_ID) && p.cfg.EnableIdempotence {
		switch {
		case p.earlierUnresolved(b):
			// An earlier batch of the partition is in flight or will be retried
			// first: this one is out of order only because of it.
			retriable = true
		case !b.seqRetried:
			// The earlier batches resolved since the broker answered (their
			// requests overtook this one, or were answered after it): one more try
			// tells a transient reordering from a real gap.
			b.seqRetried = true
			retriable = true
		}
	}
	if p.cfg.EnableIdempotence && b.pid != p.pid {
		// Sent under a producer id given up since. If no attempt can have appended
		// it, it starts over in the new session; otherwise its fate is unknown.
		if !b.maybe && (retriable || err == proto.OUT_OF_ORDER_SEQUENCE_NUMBER || err == proto.UNKNOWN_PRODUCER_ID) {
			p.unwire(b)
			p.retryOrComplete(b, name, true)
			return
		}
		retriable = false
	}
	p.retryOrComplete(b, name, retriable)
}

// unwire drops b's wire batch, if it has one, to be built anew (under a new producer
// id and sequence) from its records, which come back out of the old one.
func (p *Producer) unwire(b *prodBatch) {
	if b.wire != nil {
		b.recs = b.wire.AppendRecords(p.recordsArray(b.count))
	}
	b.wire, b.seq = nil, -1
}

// earlierUnresolved reports whether a batch of b's partition with a lower sequence is
// still in flight or queued.
func (p *Producer) earlierUnresolved(b *prodBatch) bool {
	ps := b.ps
	for _, q := range ps.queue {
		if q.wire != nil && q.pid == b.pid && q.seq < b.seq {
			return true
		}
	}
	for _, r := range p.inflight {
		for _, q := range r.batches {
			if q.tp == b.tp && q.pid == b.pid && q.seq < b.seq {
				return true
			}
		}
	}
	return false
}

// retryOrComplete requeues b for another attempt when allowed, else completes it.
func (p *Producer) retryOrComplete(b *prodBatch, err string, retriable bool) {
	now := p.env.Now()
	if retriable && b.attempts <= p.cfg.Retries && now < b.deadline {
		b.retryAt = now + p.cfg.RetryBackoff
		ps := b.ps
		i := 0
		if p.cfg.EnableIdempotence {
			// Back in creation order, which is sequence order: retries of a session
			// keep their sequences, so the broker sees no gap.
			for i < len(ps.queue) && ps.queue[i].order < b.order {
				i++
			}
		}
		ps.queue = slices.Insert(ps.queue, i, b)
		p.arm(b.retryAt)
		return
	}
	outcome := Fail
	if b.maybe {
		outcome = Info
	}
	p.complete(b, outcome, -1, err)
}

// expire completes batches waiting in the accumulator past delivery.timeout.ms.
func (p *Producer) expire() {
	now := p.env.Now()
	var next time.Duration
	for _, ps := range p.partSt {
		n := 0
		for _, b := range ps.queue {
			if now < b.deadline {
				ps.queue[n] = b
				n++
				if next == 0 || b.deadline < next {
					next = b.deadline
				}
				continue
			}
			outcome := Fail
			if b.maybe {
				outcome = Info
			}
			p.complete(b, outcome, -1, "DELIVERY_TIMEOUT")
		}
		clear(ps.queue[n:])
		ps.queue = ps.queue[:n]
	}
	if next > 0 {
		p.armExpiry(next)
	}
	p.drain()
}

// complete reports b's outcome to every record's callback and frees its memory.
func (p *Producer) complete(b *prodBatch, outcome Outcome, base int64, err string) {
	if outcome != OK && p.cfg.EnableIdempotence && b.wire != nil && b.pid == p.pid && b.pid != proto.NoProducerID {
		// Its sequence numbers are now a hole the broker will never see filled: the
		// session cannot go on (Kafka bumps the epoch, KIP-360).
		p.needReset = true
	}
	switch outcome {
	case OK:
		p.stats.Acked += int64(b.count)
	case Fail:
		p.stats.Failed += int64(b.count)
	default:
		p.stats.Unknown += int64(b.count)
	}
	p.bufferUsed -= int64(b.bytes)
	res := Result{Outcome: outcome, TP: b.tp, Offset: -1, Err: err, Attempts: b.attempts}
	for i, done := range b.dones {
		if done == nil {
			continue
		}
		if base >= 0 {
			res.Offset = base + int64(i)
		}
		if b.blocked != nil {
			res.Blocked = b.blocked[i]
		}
		done(res)
	}
	b.dones = nil
	p.unblock()
}

// initProducerID asks a broker for a producer id (idempotence).
func (p *Producer) initProducerID() {
	if p.pidCorr != 0 {
		return
	}
	ids := p.meta.brokers
	var to node.ID
	if len(ids) > 0 {
		to = node.ID(ids[p.env.Rand().IntN(len(ids))])
	} else {
		to = p.cfg.BootstrapServers[p.env.Rand().IntN(len(p.cfg.BootstrapServers))]
	}
	p.pidCorr, p.pidTo = p.nextCorr(), to
	p.env.Send(to, &proto.InitProducerIdRequest{Correlation: p.pidCorr, ProducerID: proto.NoProducerID})
	p.env.After(p.cfg.RequestTimeout, node.Timer{Kind: timerInitProducerID, Arg: p.pidCorr})
}

func (p *Producer) handleInitProducerID(m *proto.InitProducerIdResponse) {
	if m.Correlation != p.pidCorr {
		return
	}
	p.pidCorr = 0
	if m.Err != proto.NONE {
		p.env.After(p.cfg.RetryBackoff, node.Timer{Kind: timerInitProducerID, Arg: -1})
		return
	}
	p.pid, p.epoch = m.ProducerID, m.ProducerEpoch
	p.drain()
}

// resetProducerID starts a new idempotent session after a sequence could not be
// resolved (a gap the broker refused, a sent batch that failed or expired). Queued
// batches that no attempt can have appended start over under the new id with new
// sequences; those that may have been appended complete as info (resending them could
// duplicate them). Batches in flight under the old id are marked stale, and their
// partitions wait for them before sending under the new id.
func (p *Producer) resetProducerID() {
	p.pid, p.epoch = proto.NoProducerID, 0
	for _, ps := range p.partSt {
		ps.nextSeq = 0
		n := 0
		for _, b := range ps.queue {
			if b.wire != nil && b.maybe {
				p.complete(b, Info, -1, proto.OUT_OF_ORDER_SEQUENCE_NUMBER.String())
				continue
			}
			p.unwire(b)
			ps.queue[n] = b
			n++
		}
		clear(ps.queue[n:])
		ps.queue = ps.queue[:n]
	}
	for _, r := range p.inflight {
		for _, b := range r.batches {
			if !b.stale {
				b.stale = true
				b.ps.staleInflight++
				p.checkPart(b)
			}
		}
	}
	p.needReset = false
	p.initProducerID()
}
