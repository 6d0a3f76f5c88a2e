package broker

// Produce: v9-style, one batch per partition.
//
// Behaviour:
//   - Only the leader appends; others answer NOT_LEADER_OR_FOLLOWER. Produce carries no
//     leader epoch (as in Kafka), so a zombie leader that has not heard of its
//     successor keeps appending: that is how acks=1 loses acknowledged records.
//   - acks=all is refused with NOT_ENOUGH_REPLICAS while the ISR is smaller than
//     min.insync.replicas; an append that then waits until the ISR shrank below it is
//     answered NOT_ENOUGH_REPLICAS_AFTER_APPEND once the HW passes it.
//   - Idempotent batches are checked against the last five batches of their producer:
//     a retry of one of them gets the original offsets, a gap OUT_OF_ORDER_SEQUENCE_NUMBER.
//   - acks=all waits in a purgatory for the HW, at most the request's timeout
//     (REQUEST_TIMED_OUT; the records stay in the log and may yet commit).

import (
	"slices"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// produceWait is a produce request in the purgatory.
type produceWait struct {
	id      int64
	from    node.ID
	resp    *proto.ProduceResponse
	pending int
	timer   node.TimerID
	// group marks the group coordinator's own appends to __consumer_offsets (one
	// partition): the outcome goes back to the coordinator as the append groupAppend
	// instead of a response being sent.
	group       bool
	groupAppend int64
	// own is the memory of a coordinator's append (see newGroupWait), recycled once
	// the append completes.
	own *produceAlloc
}

// groupAppendFinished hands the outcome of a coordinator's append to
// finishGroupAppends, which runs after the event.
func (b *Broker) groupAppendFinished(w *produceWait, err proto.ErrorCode) {
	b.groupDone = append(b.groupDone, groupAppendDone{id: w.groupAppend, err: err})
}

// waiter is one partition of a waiting request: done when the HW reaches required.
type waiter struct {
	w        *produceWait
	index    int
	required int64
}

// produceAlloc holds, in one allocation, what a produce request usually needs: the
// response with room for two partitions and, for acks=all, its purgatory entry. The
// response is the client's once sent, so none of it is reused.
type produceAlloc struct {
	w     produceWait
	resp  proto.ProduceResponse
	parts [2]proto.ProducePartitionResponse
}

// newProduceAlloc returns a new produceAlloc whose resp has n zero partitions.
func newProduceAlloc(n int) *produceAlloc {
	pa := &produceAlloc{}
	if n <= len(pa.parts) {
		pa.resp.Partitions = pa.parts[:n:n]
	} else {
		pa.resp.Partitions = make([]proto.ProducePartitionResponse, n)
	}
	return pa
}

func (b *Broker) handleProduce(from node.ID, m *proto.ProduceRequest) {
	pa := newProduceAlloc(len(m.Partitions))
	resp := &pa.resp
	resp.Correlation = m.Correlation
	var w *produceWait
	for i := range m.Partitions {
		pp := &m.Partitions[i]
		out := &resp.Partitions[i]
		out.TopicPartition, out.BaseOffset, out.LogStartOffset = pp.TopicPartition, -1, -1
		r := b.replicaOf(pp.TopicPartition)
		err, required := b.appendAsLeader(r, m.Acks, pp.Batch, out)
		out.Err = err
		b.countError(err)
		if err != proto.NONE || m.Acks != proto.AcksAll {
			continue
		}
		if w == nil {
			w = &pa.w
			*w = produceWait{id: b.nextCorrelation(), from: from, resp: resp}
		}
		w.pending++
		r.produceWaiters = append(r.produceWaiters, waiter{w: w, index: i, required: required})
	}
	if m.Acks == proto.AcksNone {
		// Kafka answers nothing to acks=0, but on an error it closes the connection
		// so that the client refreshes its metadata. The host contract has no close;
		// the error response stands in for it (the producer only refreshes).
		for i := range resp.Partitions {
			if resp.Partitions[i].Err != proto.NONE {
				b.send(from, resp)
				break
			}
		}
		return
	}
	if w == nil {
		b.send(from, resp)
		return
	}
	b.waits[w.id] = w
	w.timer = b.env.After(m.Timeout, node.Timer{Kind: timerProduceTimeout, Arg: w.id})
	// The HW may already be there (ISR of one, or a duplicate of a committed batch).
	for i := range m.Partitions {
		if r := b.replicaOf(m.Partitions[i].TopicPartition); r != nil {
			b.completeWaiters(r)
		}
	}
}

// appendAsLeader validates and appends one batch, filling out's offsets. It returns the
// offset the HW must reach for acks=all.
func (b *Broker) appendAsLeader(r *replica, acks proto.Acks, batch *proto.RecordBatch, out *proto.ProducePartitionResponse) (proto.ErrorCode, int64) {
	switch {
	case acks != proto.AcksAll && acks != proto.AcksNone && acks != proto.AcksLeader:
		return proto.INVALID_REQUIRED_ACKS, 0
	case r == nil:
		if _, known := b.parts[out.TopicPartition]; known {
			return proto.NOT_LEADER_OR_FOLLOWER, 0
		}
		return proto.UNKNOWN_TOPIC_OR_PARTITION, 0
	case !r.IsLeader():
		return proto.NOT_LEADER_OR_FOLLOWER, 0
	case batch == nil || batch.Count() == 0:
		return proto.CORRUPT_MESSAGE, 0
	case batch.SizeBytes > b.cfg.MessageMaxBytes:
		return proto.MESSAGE_TOO_LARGE, 0
	case int64(batch.SizeBytes) > r.Log.Config().SegmentBytes:
		return proto.RECORD_LIST_TOO_LARGE, 0
	}
	cpu := b.cfg.CPU
	b.env.Charge(cpu.PerBatch + cpu.bytes(int(batch.SizeBytes)) + cpu.decompress(batch.Compression, batch.UncompressedBytes()))
	if !batch.Valid() {
		return proto.CORRUPT_MESSAGE, 0
	}
	out.LogStartOffset = r.Log.LogStartOffset()
	dup, err := r.Producers.Check(batch)
	if err != proto.NONE {
		return err, 0
	}
	if dup != nil {
		out.BaseOffset = dup.BaseOffset
		return proto.NONE, dup.LastOffset + 1
	}
	if acks == proto.AcksAll && len(r.State.ISR) < r.settings.minISR {
		return proto.NOT_ENOUGH_REPLICAS, 0
	}
	stamped := batch.Stamp(r.Log.LogEndOffset(), r.State.LeaderEpoch)
	if !b.appendBatch(r, stamped) {
		return proto.KAFKA_STORAGE_ERROR, 0
	}
	b.touch(r)
	out.BaseOffset = stamped.BaseOffset
	b.hwMaybeMoved(r, r.MaybeAdvanceHW())
	b.wakeFetchers(r, false)
	return proto.NONE, stamped.NextOffset()
}

// hwMaybeMoved completes what a higher HW allows: acks=all waiters and consumer fetches.
func (b *Broker) hwMaybeMoved(r *replica, moved bool) {
	if !moved {
		return
	}
	b.touch(r)
	b.completeWaiters(r)
	b.wakeFetchers(r, true)
}

// completeWaiters answers the acks=all waiters whose records are below the HW.
func (b *Broker) completeWaiters(r *replica) {
	n := 0
	for _, wt := range r.produceWaiters {
		if wt.w.resp == nil {
			continue // already answered (timed out)
		}
		if r.HW < wt.required {
			r.produceWaiters[n] = wt
			n++
			continue
		}
		err := proto.NONE
		if len(r.State.ISR) < r.settings.minISR {
			err = proto.NOT_ENOUGH_REPLICAS_AFTER_APPEND
		}
		b.finishWaiter(wt, err)
	}
	clear(r.produceWaiters[n:])
	r.produceWaiters = r.produceWaiters[:n]
}

func (b *Broker) finishWaiter(wt waiter, err proto.ErrorCode) {
	out := &wt.w.resp.Partitions[wt.index]
	out.Err = err
	if err != proto.NONE {
		out.BaseOffset = -1
		b.countError(err)
	}
	wt.w.pending--
	if wt.w.pending == 0 && wt.w.group {
		b.env.Cancel(wt.w.timer)
		delete(b.waits, wt.w.id)
		wt.w.resp = nil
		b.groupAppendFinished(wt.w, err)
		// Its only waiter is the one finishing (completeWaiters drops it, failWaiters
		// drops them all), its timer is cancelled and it has left b.waits: no
		// reference is left.
		if pa := wt.w.own; pa != nil {
			b.recycleGroupWait(pa)
		}
		return
	}
	if wt.w.pending == 0 {
		b.send(wt.w.from, wt.w.resp)
		b.env.Cancel(wt.w.timer)
		delete(b.waits, wt.w.id)
		wt.w.resp = nil
	}
}

// failWaiters answers every waiter of r with err (leadership lost).
func (b *Broker) failWaiters(r *replica, err proto.ErrorCode) {
	for _, wt := range r.produceWaiters {
		if wt.w.resp != nil {
			b.finishWaiter(wt, err)
		}
	}
	r.produceWaiters = r.produceWaiters[:0]
	for _, w := range slices.Clone(r.fetchWaiters) {
		b.completeParkedFetch(w.pf)
	}
}

func (b *Broker) produceTimedOut(id int64) {
	w := b.waits[id]
	if w == nil {
		return
	}
	delete(b.waits, id)
	for i := range w.resp.Partitions {
		p := &w.resp.Partitions[i]
		if p.Err == proto.NONE && p.BaseOffset >= 0 {
			if r := b.replicaOf(p.TopicPartition); r != nil && b.stillWaiting(r, w, i) {
				p.Err, p.BaseOffset = proto.REQUEST_TIMED_OUT, -1
				b.countError(proto.REQUEST_TIMED_OUT)
			}
		}
	}
	if w.group {
		err := w.resp.Partitions[0].Err
		w.resp = nil
		b.groupAppendFinished(w, err)
		return
	}
	b.send(w.from, w.resp)
	w.resp = nil
}

func (b *Broker) stillWaiting(r *replica, w *produceWait, index int) bool {
	for _, wt := range r.produceWaiters {
		if wt.w == w && wt.index == index {
			return true
		}
	}
	return false
}

// handleInitProducerId hands out producer ids: the broker's registration epoch in the
// high bits keeps them unique across brokers and restarts. An existing id gets its
// epoch bumped (KIP-360).
func (b *Broker) handleInitProducerId(from node.ID, m *proto.InitProducerIdRequest) {
	resp := &proto.InitProducerIdResponse{Correlation: m.Correlation}
	switch {
	case !b.registered:
		resp.Err = proto.BROKER_NOT_AVAILABLE
	case m.ProducerID >= 0:
		resp.ProducerID, resp.ProducerEpoch = m.ProducerID, m.ProducerEpoch+1
	default:
		b.nextProducerID++
		resp.ProducerID = b.nextProducerID
	}
	b.send(from, resp)
}

// handleListOffsets answers earliest (log start), latest (HW) or by timestamp.
func (b *Broker) handleListOffsets(from node.ID, m *proto.ListOffsetsRequest) {
	resp := &proto.ListOffsetsResponse{Correlation: m.Correlation}
	for _, p := range m.Partitions {
		out := proto.ListOffsetsPartitionResponse{TopicPartition: p.TopicPartition, Offset: -1, LeaderEpoch: -1}
		r := b.replicaOf(p.TopicPartition)
		out.Err = b.leaderError(r, p.CurrentLeaderEpoch)
		switch {
		case out.Err != proto.NONE:
			// answered with the error alone
		case p.Timestamp == proto.EarliestTimestamp:
			out.Offset = r.Log.LogStartOffset()
		case r.HW < r.Log.EpochStartOffset(r.State.LeaderEpoch):
			// A new leader whose HW has not reached its epoch's start cannot promise
			// monotonic offsets yet (KIP-207).
			out.Err = proto.OFFSET_NOT_AVAILABLE
		case p.Timestamp == proto.LatestTimestamp:
			out.Offset = r.HW
		default:
			out.Offset = min(r.Log.OffsetForTimestamp(time.Duration(p.Timestamp)), r.HW)
		}
		if out.Err == proto.NONE {
			out.LeaderEpoch = r.State.LeaderEpoch
		}
		resp.Partitions = append(resp.Partitions, out)
	}
	b.send(from, resp)
}
