package client

import (
	"fmt"
	"slices"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// Outcome is how a send ended, in the history's terms.
type Outcome uint8

// The outcomes.
const (
	// OK: the records were appended; Result.Offset says where (unknown with acks=0).
	OK Outcome = iota + 1
	// Fail: the records were certainly not appended anywhere.
	Fail
	// Info: unknown; they may or may not have been appended.
	Info
)

// String is the history's completion type: ok, fail or info.
func (o Outcome) String() string {
	switch o {
	case OK:
		return "ok"
	case Fail:
		return "fail"
	case Info:
		return "info"
	}
	return "unknown"
}

// Record is what the application sends.
type Record struct {
	Topic string
	// Partition is the target partition, or -1 for the default partitioner.
	Partition int32
	// Key is the record key; empty for none (sticky partitioning).
	Key string
	// Value is the unique value id.
	Value int64
	// Size is the value's size in bytes.
	Size int32
}

// Result is a send's outcome, delivered once to its callback.
type Result struct {
	Outcome Outcome
	TP      proto.TopicPartition
	// Offset is the record's offset, -1 when unknown.
	Offset int64
	// Err is the Kafka error name for Fail and Info ("" for OK). Client-side failures
	// use DELIVERY_TIMEOUT (delivery.timeout.ms), BUFFER_EXHAUSTED and
	// METADATA_TIMEOUT (max.block.ms), and NETWORK_EXCEPTION (lost connection).
	Err string
	// Blocked is how long Send was blocked before the record entered the
	// accumulator: waiting for buffer.memory or for the topic's metadata.
	Blocked time.Duration
	// Attempts is how many times the batch was sent.
	Attempts int
}

// ProducerStats are a producer's counters.
type ProducerStats struct {
	Sent, Acked, Failed, Unknown int64
	// Batches counts the batches built for the wire, BatchRecords their records.
	Batches, BatchRecords int64
	Requests, Retries     int64
	BytesSent             int64
	// BlockedTime is the total time sends spent blocked (buffer.memory, metadata);
	// BlockedSends counts the sends that blocked at all.
	BlockedTime  time.Duration
	BlockedSends int64
	// BufferUsed is the accumulator's current use of buffer.memory.
	BufferUsed int64
}

type blockedSend struct {
	id    int64
	rec   Record
	done  func(Result)
	at    time.Duration
	timer node.TimerID
}

type prodBatch struct {
	tp       proto.TopicPartition
	ps       *prodPart      // tp's state
	recs     []proto.Record // until the wire batch packs them
	count    int            // records in the batch
	dones    []func(Result)
	blocked  []time.Duration
	bytes    int     // the records' uncompressed bytes
	ratio    float32 // the topic's compression ratio estimate when the batch was opened
	created  time.Duration
	deadline time.Duration
	attempts int
	retryAt  time.Duration
	pid      int64
	epoch    int16
	seq      int32 // -1 until first sent
	maybe    bool  // an attempt may have appended it
	order    int64 // creation order: the order of the partition's queue
	stale    bool  // in flight under a producer id given up since
	// seqRetried is set after a retry for a sequence error with nothing earlier
	// unresolved; a second such error is a real gap.
	seqRetried bool
	wire       *proto.RecordBatch
}

type prodPart struct {
	topic *topicParts // the partition's topic
	// leader caches the partition's leader for metadata version version.
	leader   node.ID
	hasLead  bool
	version  uint64
	queue    []*prodBatch
	inflight int
	nextSeq  int32
	// lastRecords is how many records the partition's last sent batch held: the
	// next batch's slices start that big rather than growing record by record.
	lastRecords int
	// staleInflight counts batches in flight under a producer id given up since;
	// the partition sends nothing under the new id until they are resolved, so that
	// its records keep their order.
	staleInflight int
}

// topicParts is one topic's prodParts, indexed by partition (nil: none yet). It is a
// struct so that partFor's cached pointer to it stays valid as parts grows.
type topicParts struct {
	parts []*prodPart
	// ratio is the topic's compression ratio estimate (see estimatedBytes).
	ratio float32
}

type prodRequest struct {
	corr    int64
	to      node.ID
	batches []*prodBatch
	timer   node.TimerID
}

type stickyPart struct {
	partition int32
	bytes     int
}

// Producer is Kafka's producer as a component of a client node.
type Producer struct {
	env  node.Env
	cfg  ProducerConfig
	meta *Metadata

	// topicParts holds the partitions' accumulator state by topic and partition
	// number (see partFor); partList and partSt list it sorted, for iteration.
	topicParts map[string]*topicParts
	partList   []proto.TopicPartition
	partSt     []*prodPart // parallel to partList
	sticky     map[string]*stickyPart
	blocked    []*blockedSend
	inflight   map[int64]*prodRequest
	// batchesInFlight counts the batches of the requests in inflight, partsInFlight
	// the sum of the partitions' inflight: checkInvariants compares them.
	batchesInFlight, partsInFlight int

	perNode map[node.ID]int

	corr       int64
	corrBase   int64
	blockSeq   int64
	batchSeq   int64
	needReset  bool
	pid        int64
	epoch      int16
	pidCorr    int64
	pidTo      node.ID
	sampler    *proto.Sampler
	wakeAt     time.Duration
	expiryAt   time.Duration
	stats      ProducerStats
	bufferUsed int64

	// Caches for the per-record path: lastParts is the partition count of lastTopic
	// at metadata version lastVersion; lastTopicParts is topicParts[lastPartsTopic]
	// (partFor); lastSticky is sticky[lastStickyTopic].
	lastVersion     uint64
	lastParts       int
	lastTopic       string
	lastPartsTopic  string
	lastTopicParts  *topicParts
	lastSticky      *stickyPart
	lastStickyTopic string
	// reqs is the drain's scratch list of requests being built, one per broker.
	reqs []prodDraft
	// spareRecs are the record arrays of batches packed since, for new batches.
	spareRecs [][]proto.Record
}

type prodDraft struct {
	to      node.ID
	req     *proto.ProduceRequest
	batches []*prodBatch
}

// NewProducer builds a producer for the node whose Env is env. It panics on an invalid
// config (validate user input with ProducerConfig.Validate first).
func NewProducer(env node.Env, cfg ProducerConfig) *Producer {
	if err := cfg.Validate(); err != nil {
		panic("client: invalid producer config: " + err.Error())
	}
	base := cfg.CorrelationBase
	if base == 0 {
		base = 1 << 40
	}
	p := &Producer{env: env, cfg: cfg, corrBase: base, corr: base + 1<<33, pid: proto.NoProducerID,
		topicParts: map[string]*topicParts{}, sticky: map[string]*stickyPart{},
		inflight: map[int64]*prodRequest{}, perNode: map[node.ID]int{}, sampler: proto.NewSampler(cfg.CompressionSampleRate)}
	p.meta = NewMetadata(env, cfg.BootstrapServers, cfg.MetadataMaxAge, cfg.RetryBackoff, cfg.RequestTimeout, base)
	p.meta.OnUpdate = p.metadataUpdated
	return p
}

// Metadata is the producer's view of the cluster.
func (p *Producer) Metadata() *Metadata { return p.meta }

// Stats returns the counters.
func (p *Producer) Stats() ProducerStats {
	s := p.stats
	s.BufferUsed = p.bufferUsed
	return s
}

// BlockedSends is the number of sends waiting for buffer memory or metadata. An
// application thread would be blocked in send(): hosts should not send more while it
// is non-zero if they model one blocking thread.
func (p *Producer) BlockedSends() int { return len(p.blocked) }

// Pending is the number of sends not yet completed.
func (p *Producer) Pending() int64 {
	return p.stats.Sent - p.stats.Acked - p.stats.Failed - p.stats.Unknown
}

// ProducerID is the idempotent producer id and epoch (-1 without one).
func (p *Producer) ProducerID() (int64, int16) { return p.pid, p.epoch }

// Send hands a record to the producer; done (may be nil) is called exactly once with
// its outcome. If buffer.memory is full or the topic's metadata is unknown the send
// blocks (up to max.block.ms) before entering the accumulator, as Kafka's send() does.
func (p *Producer) Send(rec Record, done func(Result)) {
	p.env.Charge(p.cfg.CPU.PerRecord)
	p.stats.Sent++
	if rec.Topic != p.lastTopic || p.lastVersion != p.meta.Version {
		p.meta.Want(rec.Topic)
		p.lastTopic, p.lastVersion, p.lastParts = rec.Topic, p.meta.Version, p.meta.Partitions(rec.Topic)
	}
	if len(p.blocked) == 0 && p.canAdmit(rec) {
		if p.admit(rec, done, 0) {
			p.drain()
		}
		return
	}
	p.blockSeq++
	bs := &blockedSend{id: p.blockSeq, rec: rec, done: done, at: p.env.Now()}
	bs.timer = p.env.After(p.cfg.MaxBlock, node.Timer{Kind: timerMaxBlock, Arg: bs.id})
	p.blocked = append(p.blocked, bs)
}

func recordBytes(rec *Record) int { return proto.RecordOverhead + len(rec.Key) + int(rec.Size) }

func (p *Producer) canAdmit(rec Record) bool {
	return p.partitions(rec.Topic) > 0 && p.bufferUsed+int64(recordBytes(&rec)) <= p.cfg.BufferMemory
}

// partitions is the topic's partition count, through the cache.
func (p *Producer) partitions(topic string) int {
	if topic == p.lastTopic && p.lastVersion == p.meta.Version {
		return p.lastParts
	}
	return p.meta.Partitions(topic)
}

// admit partitions a record and appends it to its partition's open batch. It reports
// whether a batch is ready to drain now (full, or no linger); otherwise the linger
// timer will drain it.
func (p *Producer) admit(rec Record, done func(Result), blocked time.Duration) bool {
	n := p.partitions(rec.Topic)
	part := rec.Partition
	switch {
	case part >= int32(n):
		p.stats.Failed++
		if done != nil {
			done(Result{Outcome: Fail, TP: proto.TopicPartition{Topic: rec.Topic, Partition: part}, Offset: -1, Err: proto.UNKNOWN_TOPIC_OR_PARTITION.String(), Blocked: blocked})
		}
		return false
	case part >= 0:
	case rec.Key != "":
		part = KeyPartition(rec.Key, n)
	default:
		part = p.stickyPartition(rec.Topic, n, recordBytes(&rec))
	}
	tp := proto.TopicPartition{Topic: rec.Topic, Partition: part}
	ps := p.partFor(tp)
	size := recordBytes(&rec)
	now := p.env.Now()
	var b *prodBatch
	if k := len(ps.queue); k > 0 && ps.queue[k-1].wire == nil && p.hasRoomFor(ps.queue[k-1], size) {
		b = ps.queue[k-1]
	} else {
		n := min(p.cfg.BatchSize/size+1, max(ps.lastRecords, 4))
		p.batchSeq++
		b = &prodBatch{tp: tp, ps: ps, ratio: ps.topic.ratio, created: now, deadline: now + p.cfg.DeliveryTimeout, seq: -1,
			pid: proto.NoProducerID, order: p.batchSeq, recs: p.recordsArray(n), dones: make([]func(Result), 0, n)}
		ps.queue = append(ps.queue, b)
		p.armExpiry(b.deadline)
		p.arm(now + p.cfg.Linger)
	}
	b.recs = append(b.recs, proto.Record{Value: rec.Value, Key: rec.Key, Size: rec.Size, Timestamp: now})
	b.count++
	b.dones = append(b.dones, done)
	if blocked > 0 || b.blocked != nil {
		if b.blocked == nil {
			b.blocked = make([]time.Duration, b.count-1, b.count)
		}
		b.blocked = append(b.blocked, blocked)
	}
	wasFull := p.isFull(b)
	b.bytes += size
	p.bufferUsed += int64(size)
	p.stats.BlockedTime += blocked
	// Drain on the transitions that make a batch ready (it filled up, or a second
	// batch started behind it), not on every record of a backed-up queue.
	return p.cfg.Linger == 0 || (p.isFull(b) && !wasFull) || (b.count == 1 && len(ps.queue) == 2)
}

// Kafka's producer fills a batch up to batch.size bytes as it estimates the batch's
// size on the wire: the batch header plus, with compression, the records' uncompressed
// bytes times the topic's compression ratio estimate, padded by 5%. The estimate
// starts at 1, and each closed batch moves it towards the ratio it achieved: down by
// at most 0.005 a batch, up by at least 0.05 (CompressionRatioEstimator). So a
// compressed batch holds more records than batch.size over the record size, once the
// estimate has learned the payload's ratio.
const (
	ratioPadding     = 1.05
	ratioImproving   = 0.005
	ratioDeteriorate = 0.05
)

// estimatedBytes is the wire size Kafka's producer estimates for b (its
// MemoryRecordsBuilder's estimate while the batch is open).
func (p *Producer) estimatedBytes(b *prodBatch) int {
	if p.cfg.CompressionType == proto.CompressionNone {
		return proto.BatchHeaderSize + b.bytes
	}
	return proto.BatchHeaderSize + int(float32(b.bytes)*b.ratio*ratioPadding)
}

// hasRoomFor says whether a record of size bytes fits in the open batch b: the first
// record always does; the record itself counts uncompressed, as in Kafka.
func (p *Producer) hasRoomFor(b *prodBatch, size int) bool {
	return b.count == 0 || p.estimatedBytes(b)+size <= p.cfg.BatchSize
}

// isFull says whether b has reached batch.size by the estimate, which makes it ready.
func (p *Producer) isFull(b *prodBatch) bool {
	return b.count > 0 && p.estimatedBytes(b) >= p.cfg.BatchSize
}

// learnRatio updates the topic's compression ratio estimate with a closed batch's
// achieved ratio: its size on the wire over its records' uncompressed bytes.
func (t *topicParts) learnRatio(wireBytes, rawBytes int) {
	if rawBytes <= 0 {
		return
	}
	observed := float32(wireBytes) / float32(rawBytes)
	switch {
	case observed > t.ratio:
		t.ratio = max(t.ratio+ratioDeteriorate, observed)
	case observed < t.ratio:
		t.ratio = max(t.ratio-ratioImproving, observed)
	}
}

// recordsArray returns an empty slice for a new batch's records, of capacity n or
// the array of a batch packed since (appends grow it if it is short).
func (p *Producer) recordsArray(n int) []proto.Record {
	if k := len(p.spareRecs); k > 0 {
		r := p.spareRecs[k-1]
		p.spareRecs = p.spareRecs[:k-1]
		return r
	}
	return make([]proto.Record, 0, n)
}

// partFor returns the accumulator state of tp (a partition number within the topic's
// count), creating it. Keyed records spread over partitions at random, so the lookup
// goes through the topic's table, indexed by partition, rather than a hash of the topic
// name per record.
func (p *Producer) partFor(tp proto.TopicPartition) *prodPart {
	t := p.lastTopicParts
	if t == nil || p.lastPartsTopic != tp.Topic {
		if t = p.topicParts[tp.Topic]; t == nil {
			t = &topicParts{ratio: 1}
			p.topicParts[tp.Topic] = t
		}
		p.lastTopicParts, p.lastPartsTopic = t, tp.Topic
	}
	if tp.Partition < 0 {
		panic(fmt.Sprintf("client: invariant violated: partition %s out of range", tp))
	}
	if int(tp.Partition) < len(t.parts) && t.parts[tp.Partition] != nil {
		return t.parts[tp.Partition]
	}
	ps := &prodPart{topic: t}
	if n := int(tp.Partition) + 1; n > len(t.parts) {
		t.parts = append(t.parts, make([]*prodPart, n-len(t.parts))...)
	}
	t.parts[tp.Partition] = ps
	i, _ := slices.BinarySearchFunc(p.partList, tp, proto.TopicPartition.Compare)
	p.partList = slices.Insert(p.partList, i, tp)
	p.partSt = slices.Insert(p.partSt, i, ps)
	return ps
}

// stickyPartition is Kafka's uniform sticky partitioner (KIP-794): keyless records stick
// to one partition until batch.size bytes went to it, then switch at random.
func (p *Producer) stickyPartition(topic string, n, size int) int32 {
	s := p.lastSticky
	if s == nil || p.lastStickyTopic != topic {
		s = p.sticky[topic]
		if s == nil {
			s = &stickyPart{partition: -1}
			p.sticky[topic] = s
		}
		p.lastSticky, p.lastStickyTopic = s, topic
	}
	if s.partition < 0 || int(s.partition) >= n || s.bytes >= p.cfg.BatchSize {
		next := int32(p.env.Rand().IntN(n))
		if n > 1 && next == s.partition {
			next = (next + 1) % int32(n)
		}
		s.partition, s.bytes = next, 0
	}
	s.bytes += size
	return s.partition
}

// unblock admits blocked sends, in order, while there is room.
func (p *Producer) unblock() {
	if len(p.blocked) == 0 {
		return
	}
	now := p.env.Now()
	for len(p.blocked) > 0 && p.canAdmit(p.blocked[0].rec) {
		bs := p.blocked[0]
		p.blocked[0] = nil
		p.blocked = p.blocked[1:]
		p.env.Cancel(bs.timer)
		p.stats.BlockedSends++
		p.admit(bs.rec, bs.done, now-bs.at)
	}
	p.drain()
}

func (p *Producer) metadataUpdated() {
	p.unblock()
	p.drain()
}

// DebugString summarises the producer's internal state (for test failures).
func (p *Producer) DebugString() string {
	m := p.meta
	s := fmt.Sprintf("pid=%d/%d pidCorr=%d inflight=%d wakeAt=%v metadata: inflight=%d to=%d need=%v timerSet=%v last=%v brokers=%v version=%d",
		p.pid, p.epoch, p.pidCorr, len(p.inflight), p.wakeAt, m.inflight, m.inflightTo, m.needUpdate, m.timerSet, m.last, m.brokers, m.Version)
	for i, tp := range p.partList {
		ps := p.partSt[i]
		l, e, ok := p.meta.Leader(tp)
		s += fmt.Sprintf("\n  %s leader=%d/%d/%v queue=%d inflight=%d stale=%d", tp, l, e, ok, len(ps.queue), ps.inflight, ps.staleInflight)
		if len(ps.queue) > 0 {
			b := ps.queue[0]
			s += fmt.Sprintf(" head: attempts=%d retryAt=%v wire=%v", b.attempts, b.retryAt, b.wire != nil)
		}
	}
	return s
}
