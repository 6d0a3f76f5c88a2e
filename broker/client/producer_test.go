package client

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// prodTestEnv is a hand-driven Env: tests deliver responses and fire timers themselves.
type prodTestEnv struct {
	now    time.Duration
	sent   []prodSent
	timers []node.Timer
	rnd    *rand.Rand
}

type prodSent struct {
	to node.ID
	m  node.Message
}

func newProdTestEnv() *prodTestEnv { return &prodTestEnv{rnd: rand.New(rand.NewPCG(1, 2))} }

func (e *prodTestEnv) ID() node.ID        { return 100 }
func (e *prodTestEnv) Now() time.Duration { return e.now }
func (e *prodTestEnv) After(d time.Duration, t node.Timer) node.TimerID {
	e.timers = append(e.timers, t)
	return node.TimerID(len(e.timers))
}
func (e *prodTestEnv) Cancel(node.TimerID)             {}
func (e *prodTestEnv) Send(to node.ID, m node.Message) { e.sent = append(e.sent, prodSent{to, m}) }
func (e *prodTestEnv) Disk() node.Disk                 { return nil }
func (e *prodTestEnv) Rand() *rand.Rand                { return e.rnd }
func (e *prodTestEnv) Charge(time.Duration)            {}
func (e *prodTestEnv) Logf(format string, args ...any) {}
func (e *prodTestEnv) take() []prodSent                { s := e.sent; e.sent = nil; return s }
func (e *prodTestEnv) fire(p *Producer, kind int32) bool {
	for i, t := range e.timers {
		if t.Kind == kind {
			e.timers = append(e.timers[:i], e.timers[i+1:]...)
			return p.Handle(node.Event{Kind: node.TimerFired, Timer: t})
		}
	}
	return false
}

// setupProducer returns a producer whose metadata says topic t has n partitions, all led by
// broker 1, and (with idempotence) a producer id.
func setupProducer(t *testing.T, cfg ProducerConfig, n int) (*Producer, *prodTestEnv) {
	env := newProdTestEnv()
	p := NewProducer(env, cfg)
	p.Send(Record{Topic: "t", Partition: -1, Value: 0, Size: 10}, nil) // asks for metadata
	var req *proto.MetadataRequest
	for _, s := range env.take() {
		if m, ok := s.m.(*proto.MetadataRequest); ok {
			req = m
		}
	}
	require.NotNil(t, req)
	tm := proto.TopicMetadata{Name: "t"}
	for i := 0; i < n; i++ {
		tm.Partitions = append(tm.Partitions, proto.PartitionMetadata{Partition: int32(i), Leader: 1, LeaderEpoch: 0})
	}
	require.True(t, p.Handle(node.Event{Kind: node.Recv, From: 1, Msg: &proto.MetadataResponse{Correlation: req.Correlation, Brokers: []int32{1}, Topics: []proto.TopicMetadata{tm}}}))
	if cfg.EnableIdempotence {
		for _, s := range env.take() {
			if m, ok := s.m.(*proto.InitProducerIdRequest); ok {
				p.Handle(node.Event{Kind: node.Recv, From: 1, Msg: &proto.InitProducerIdResponse{Correlation: m.Correlation, ProducerID: 7}})
			}
		}
	}
	return p, env
}

func produceRequests(env *prodTestEnv) []*proto.ProduceRequest {
	var out []*proto.ProduceRequest
	for _, s := range env.take() {
		if m, ok := s.m.(*proto.ProduceRequest); ok {
			out = append(out, m)
		}
	}
	return out
}

func TestKeyedRecordsFollowMurmur2AndKeylessStick(t *testing.T) {
	cfg := DefaultProducerConfig(1)
	cfg.Linger = 0
	cfg.EnableIdempotence = false
	p, env := setupProducer(t, cfg, 6)
	env.take()
	p.Send(Record{Topic: "t", Partition: -1, Key: "abc", Value: 1, Size: 10}, nil)
	reqs := produceRequests(env)
	require.Len(t, reqs, 1)
	assert.Equal(t, KeyPartition("abc", 6), reqs[0].Partitions[0].Partition)

	// Keyless: the same partition until batch.size bytes went to it.
	cfg.BatchSize = 1000
	cfg.MaxRequestSize = 1 << 20
	p, env = setupProducer(t, cfg, 6)
	first := p.sticky["t"].partition
	sent := 18 // the setup record: 10 bytes and the record overhead
	for i := 0; p.sticky["t"].partition == first; i++ {
		require.Less(t, i, 20)
		before := sent
		p.Send(Record{Topic: "t", Partition: -1, Value: int64(i), Size: 100}, nil)
		sent += 108
		if p.sticky["t"].partition != first {
			assert.GreaterOrEqual(t, before, cfg.BatchSize, "switched only after batch.size bytes")
		}
	}
	assert.Less(t, sent-108-108, cfg.BatchSize, "and not later than the record after")
}

func TestFullBufferBlocksSendAndMeasuresTheWait(t *testing.T) {
	cfg := DefaultProducerConfig(1)
	cfg.Linger = 0
	cfg.EnableIdempotence = false
	cfg.BufferMemory, cfg.BatchSize, cfg.MaxRequestSize = 300, 200, 1000
	p, env := setupProducer(t, cfg, 1)
	var results []Result
	done := func(r Result) { results = append(results, r) }
	p.Send(Record{Topic: "t", Partition: 0, Value: 1, Size: 100}, done)
	p.Send(Record{Topic: "t", Partition: 0, Value: 2, Size: 100}, done) // 18+108+108 = 234 of 300
	require.Zero(t, p.BlockedSends())
	p.Send(Record{Topic: "t", Partition: 0, Value: 3, Size: 100}, done)
	require.Equal(t, 1, p.BlockedSends(), "no room: send blocks")

	env.now = 40 * time.Millisecond
	for _, r := range produceRequests(env) {
		resp := &proto.ProduceResponse{Correlation: r.Correlation}
		for _, pp := range r.Partitions {
			resp.Partitions = append(resp.Partitions, proto.ProducePartitionResponse{TopicPartition: pp.TopicPartition, BaseOffset: 0})
		}
		p.Handle(node.Event{Kind: node.Recv, From: 1, Msg: resp})
	}
	require.Zero(t, p.BlockedSends(), "acknowledgements freed memory")
	for _, r := range produceRequests(env) {
		p.Handle(node.Event{Kind: node.Recv, From: 1, Msg: &proto.ProduceResponse{Correlation: r.Correlation,
			Partitions: []proto.ProducePartitionResponse{{TopicPartition: r.Partitions[0].TopicPartition, BaseOffset: 5}}}})
	}
	require.Len(t, results, 3)
	assert.Equal(t, Result{Outcome: OK, TP: proto.TopicPartition{Topic: "t"}, Offset: 5, Blocked: 40 * time.Millisecond, Attempts: 1}, results[2])
	assert.Equal(t, 40*time.Millisecond, p.Stats().BlockedTime)
}

// An error after which the batch may be in the log makes the outcome info; errors that
// guarantee it is not make it fail.
func TestOutcomeClassification(t *testing.T) {
	tests := []struct {
		acks proto.Acks
		err  proto.ErrorCode
		want Outcome
	}{
		{proto.AcksLeader, proto.NOT_LEADER_OR_FOLLOWER, Fail},
		{proto.AcksAll, proto.NOT_LEADER_OR_FOLLOWER, Info}, // leadership lost while waiting
		{proto.AcksAll, proto.NOT_ENOUGH_REPLICAS, Fail},
		{proto.AcksAll, proto.NOT_ENOUGH_REPLICAS_AFTER_APPEND, Info},
		{proto.AcksAll, proto.REQUEST_TIMED_OUT, Info},
		{proto.AcksAll, proto.MESSAGE_TOO_LARGE, Fail},
		{proto.AcksAll, proto.CORRUPT_MESSAGE, Fail},
	}
	for _, tt := range tests {
		cfg := DefaultProducerConfig(1)
		cfg.Linger, cfg.EnableIdempotence, cfg.Acks, cfg.Retries = 0, false, tt.acks, 0
		p, env := setupProducer(t, cfg, 1)
		env.take()
		var got []Result
		p.Send(Record{Topic: "t", Partition: 0, Value: 1, Size: 10}, func(r Result) { got = append(got, r) })
		reqs := produceRequests(env)
		require.NotEmpty(t, reqs)
		for _, r := range reqs {
			resp := &proto.ProduceResponse{Correlation: r.Correlation}
			for _, pp := range r.Partitions {
				resp.Partitions = append(resp.Partitions, proto.ProducePartitionResponse{TopicPartition: pp.TopicPartition, Err: tt.err, BaseOffset: -1})
			}
			p.Handle(node.Event{Kind: node.Recv, From: 1, Msg: resp})
		}
		require.Len(t, got, 1, "acks=%s %s", tt.acks, tt.err)
		assert.Equal(t, tt.want, got[0].Outcome, "acks=%s %s", tt.acks, tt.err)
		assert.Equal(t, tt.err.String(), got[0].Err)
	}
}

func TestIdempotentRetryKeepsItsSequence(t *testing.T) {
	cfg := DefaultProducerConfig(1)
	cfg.Linger = 0
	p, env := setupProducer(t, cfg, 1)
	reqs := produceRequests(env)
	require.Len(t, reqs, 1)
	b := reqs[0].Partitions[0].Batch
	assert.Equal(t, int64(7), b.ProducerID)
	assert.Equal(t, int32(0), b.BaseSequence)
	// The connection drops: the batch may have been appended; the retry is the same batch.
	p.Handle(node.Event{Kind: node.Disconnected, From: 1})
	env.now = time.Second
	env.fire(p, timerLinger)
	retry := produceRequests(env)
	require.Len(t, retry, 1)
	assert.Same(t, b, retry[0].Partitions[0].Batch)
}

// The O(1) invariant check catches a batch counted in flight on one side only, and the
// per-partition check more stale batches than batches in flight.
func TestProducerInvariantsCatchMiscounts(t *testing.T) {
	p, _ := setupProducer(t, DefaultProducerConfig(1), 2)
	require.NotPanics(t, p.checkInvariants)
	p.partsInFlight++
	require.Panics(t, p.checkInvariants)
	p.partsInFlight--
	b := &prodBatch{tp: proto.TopicPartition{Topic: "t", Partition: 0}, ps: &prodPart{inflight: 1, staleInflight: 2}}
	require.Panics(t, func() { p.checkPart(b) })
}

// A batch whose wire form is dropped (its producer id was given up) is built again
// with the same records: they come back out of the packed batch.
func TestRewiredBatchKeepsItsRecords(t *testing.T) {
	cfg := DefaultProducerConfig(1)
	cfg.Linger, cfg.DeliveryTimeout = time.Hour, 2*time.Hour
	p, env := setupProducer(t, cfg, 1)
	for i := range 3 {
		env.now += time.Millisecond
		p.Send(Record{Topic: "t", Partition: 0, Key: "k" + string(rune('a'+i)), Value: int64(10 + i), Size: 10}, nil)
	}
	ps := p.partFor(proto.TopicPartition{Topic: "t", Partition: 0})
	require.Len(t, ps.queue, 1)
	b := ps.queue[0]
	p.unwire(b) // not built yet: nothing to undo
	first := p.wireBatch(ps, b)
	want := first.AppendRecords(nil)
	require.Len(t, want, 4, "the setup's record and three more")
	assert.Equal(t, "kc", want[3].Key)

	p.unwire(b)
	require.Nil(t, b.wire)
	again := p.wireBatch(ps, b)
	assert.NotSame(t, first, again)
	assert.Equal(t, want, again.AppendRecords(nil))
	assert.Equal(t, first.FirstTimestamp(), again.FirstTimestamp())
	assert.Equal(t, first.MaxTimestamp(), again.MaxTimestamp())
	assert.True(t, again.Valid())
}

// With compression, batch.size bounds a batch's estimated size on the wire, as in
// Kafka's producer: the topic's compression ratio estimate starts at 1 (batches hold
// what fits uncompressed), falls by 0.005 a batch towards the ratio achieved, and so
// lets later batches hold several times more records.
func TestCompressedBatchesFillByTheEstimatedRatio(t *testing.T) {
	cfg := DefaultProducerConfig(1)
	cfg.Linger, cfg.DeliveryTimeout = time.Hour, 2*time.Hour
	cfg.CompressionType, cfg.Payload = proto.CompressionLZ4, proto.PayloadJSON
	cfg.EnableIdempotence = false
	p, env := setupProducer(t, cfg, 1)
	env.take()
	var counts []int
	var ratios []float32
	for i := 0; len(counts) < 200; i++ {
		require.Less(t, i, 100_000)
		env.now += time.Microsecond
		p.Send(Record{Topic: "t", Partition: 0, Value: int64(i), Size: 1024}, nil)
		for _, req := range produceRequests(env) {
			resp := &proto.ProduceResponse{Correlation: req.Correlation}
			for _, pp := range req.Partitions {
				counts = append(counts, pp.Batch.Count())
				ratios = append(ratios, p.topicParts["t"].ratio)
				resp.Partitions = append(resp.Partitions, proto.ProducePartitionResponse{TopicPartition: pp.TopicPartition, BaseOffset: 0})
			}
			p.Handle(node.Event{Kind: node.Recv, From: 1, Msg: resp})
		}
	}
	recordBytes := proto.RecordOverhead + 1024
	// The first batch (estimate 1) also holds setupProducer's small record.
	assert.InDelta(t, 1-ratioImproving, ratios[0], 1e-6, "0.005 a batch")
	assert.InDelta(t, 1-2*ratioImproving, ratios[1], 1e-6)
	fits := int(float64(cfg.BatchSize-proto.BatchHeaderSize-recordBytes)/(float64(recordBytes)*float64(ratios[0])*ratioPadding)) + 1
	assert.Equal(t, fits, counts[1], "what fits by the estimate, and the record that fills the batch")
	achieved := p.sampler.Ratio(cfg.CompressionType, cfg.Payload)
	require.Less(t, achieved, 0.5, "JSON compresses")
	last := ratios[len(ratios)-1]
	assert.GreaterOrEqual(t, float64(last), achieved*0.9, "never far below what batches achieve")
	assert.Greater(t, counts[len(counts)-1], 2*counts[1], "later batches hold more records")

	// The estimate deteriorates fast: by at least 0.05, at once to the ratio seen.
	tp := &topicParts{ratio: 0.3}
	tp.learnRatio(40, 100)
	assert.InDelta(t, 0.4, tp.ratio, 1e-6)
	tp.learnRatio(42, 100)
	assert.InDelta(t, 0.45, tp.ratio, 1e-6)
	tp.learnRatio(10, 100)
	assert.InDelta(t, 0.445, tp.ratio, 1e-6)
}

// Without compression a batch holds what fits in batch.size with its header.
func TestUncompressedBatchesFillBatchSize(t *testing.T) {
	cfg := DefaultProducerConfig(1)
	cfg.Linger, cfg.DeliveryTimeout = time.Hour, 2*time.Hour
	cfg.EnableIdempotence = false
	p, env := setupProducer(t, cfg, 1)
	env.take()
	for i := range 40 {
		env.now += time.Microsecond
		p.Send(Record{Topic: "t", Partition: 0, Value: int64(i), Size: 1000}, nil)
	}
	reqs := produceRequests(env)
	require.NotEmpty(t, reqs)
	b := reqs[0].Partitions[0].Batch
	perRecord := proto.RecordOverhead + 1000
	setup := proto.RecordOverhead + 10 // setupProducer's record
	assert.Equal(t, 1+(cfg.BatchSize-proto.BatchHeaderSize-setup)/perRecord, b.Count())
	assert.LessOrEqual(t, int(b.SizeBytes), cfg.BatchSize)
}
