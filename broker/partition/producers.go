package partition

import (
	"maps"
	"slices"

	"logsim/broker/proto"
)

// MaxCachedBatches is how many recent batches the broker remembers per producer and
// partition to recognise retried duplicates (Kafka's NUM_BATCHES_TO_RETAIN).
const MaxCachedBatches = 5

// BatchMeta is what the producer state remembers of one appended batch.
type BatchMeta struct {
	FirstSeq, LastSeq int32
	BaseOffset        int64
	LastOffset        int64
}

type producerEntry struct {
	epoch   int16
	batches []BatchMeta // oldest first, at most MaxCachedBatches
}

// Producers is a partition's idempotent producer state: per producer id, its epoch and
// the metadata of its last five batches.
type Producers struct {
	m map[int64]*producerEntry
}

// NewProducers returns empty producer state.
func NewProducers() *Producers { return &Producers{m: map[int64]*producerEntry{}} }

// Check validates an incoming idempotent batch against the state, as Kafka's leader
// does before appending. It returns dup set to the cached batch when the batch is a
// retry of one already appended (the leader answers with the original offsets), or an
// error: INVALID_PRODUCER_EPOCH for an older epoch, OUT_OF_ORDER_SEQUENCE_NUMBER for a
// gap, UNKNOWN_PRODUCER_ID for a producer without state whose batch does not start at
// sequence 0.
func (p *Producers) Check(b *proto.RecordBatch) (dup *BatchMeta, err proto.ErrorCode) {
	if !b.Idempotent() {
		return nil, proto.NONE
	}
	e := p.m[b.ProducerID]
	if e == nil || len(e.batches) == 0 {
		// A producer this replica knows nothing of (new, or its state was truncated
		// away) must start at sequence 0; anything else may follow a batch this log
		// never got (KIP-360's UNKNOWN_PRODUCER_ID).
		if b.BaseSequence != 0 {
			return nil, proto.UNKNOWN_PRODUCER_ID
		}
		return nil, proto.NONE
	}
	if b.ProducerEpoch < e.epoch {
		return nil, proto.INVALID_PRODUCER_EPOCH
	}
	if b.ProducerEpoch > e.epoch {
		if b.BaseSequence != 0 {
			return nil, proto.OUT_OF_ORDER_SEQUENCE_NUMBER
		}
		return nil, proto.NONE
	}
	for i := range e.batches {
		m := &e.batches[i]
		if m.FirstSeq == b.BaseSequence && m.LastSeq == b.LastSequence() {
			c := *m
			return &c, proto.NONE
		}
	}
	last := e.batches[len(e.batches)-1].LastSeq
	if b.BaseSequence != last+1 {
		return nil, proto.OUT_OF_ORDER_SEQUENCE_NUMBER
	}
	return nil, proto.NONE
}

// Update records an appended batch (leader and followers alike).
func (p *Producers) Update(b *proto.RecordBatch) {
	if !b.Idempotent() {
		return
	}
	e := p.m[b.ProducerID]
	if e == nil {
		e = &producerEntry{}
		p.m[b.ProducerID] = e
	}
	if b.ProducerEpoch > e.epoch {
		e.epoch = b.ProducerEpoch
		e.batches = e.batches[:0]
	}
	if len(e.batches) == MaxCachedBatches {
		copy(e.batches, e.batches[1:])
		e.batches = e.batches[:MaxCachedBatches-1]
	}
	e.batches = append(e.batches, BatchMeta{FirstSeq: b.BaseSequence, LastSeq: b.LastSequence(), BaseOffset: b.BaseOffset, LastOffset: b.LastOffset()})
}

// TruncateTo forgets batches at or above offset (after a log truncation).
func (p *Producers) TruncateTo(offset int64) {
	for id, e := range p.m {
		n := len(e.batches)
		for n > 0 && e.batches[n-1].LastOffset >= offset {
			n--
		}
		e.batches = e.batches[:n]
		if n == 0 {
			delete(p.m, id)
		}
	}
}

// Rebuild replaces the state with what the log's batches imply (recovery).
func (p *Producers) Rebuild(l *Log) {
	p.m = map[int64]*producerEntry{}
	for _, s := range l.Segments() {
		for _, b := range s.Batches {
			p.Update(b)
		}
	}
}

// IDs lists the known producer ids, sorted.
func (p *Producers) IDs() []int64 {
	return slices.Sorted(maps.Keys(p.m))
}

// Last returns a producer's epoch and newest batch, ok false if unknown.
func (p *Producers) Last(id int64) (epoch int16, last BatchMeta, ok bool) {
	e := p.m[id]
	if e == nil || len(e.batches) == 0 {
		return 0, BatchMeta{}, false
	}
	return e.epoch, e.batches[len(e.batches)-1], true
}
