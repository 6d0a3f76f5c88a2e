package partition

import (
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// batch makes an n-record batch at base with the given epoch, 100 bytes a record.
func batch(base int64, n int, epoch int32) *proto.RecordBatch {
	return batchAt(base, n, epoch, 0)
}

// batchAt is batch with every record's timestamp at ts.
func batchAt(base int64, n int, epoch int32, ts time.Duration) *proto.RecordBatch {
	b := &proto.RecordBatch{BaseOffset: base, PartitionLeaderEpoch: epoch, ProducerID: proto.NoProducerID, SizeBytes: int32(100 * n)}
	recs := make([]proto.Record, n)
	for i := range recs {
		recs[i] = proto.Record{Value: base + int64(i), Size: 90, Timestamp: ts}
	}
	b.SetRecords(recs)
	b.CRC = b.ComputeCRC()
	return b
}

func appendAll(t *testing.T, l *Log, epochs ...int32) {
	t.Helper()
	for _, e := range epochs {
		l.Append(batch(l.LogEndOffset(), 2, e), 0)
	}
}

func TestAppendReadAndRoll(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 500 // two 2-record batches per segment
	l := NewLog("t-0", cfg, 0)
	var files []string
	for i := 0; i < 5; i++ {
		info := l.Append(batch(l.LogEndOffset(), 2, 0), time.Duration(i)*time.Second)
		files = append(files, info.File)
	}
	assert.Equal(t, []string{"t-0/00000000000000000000.log", "t-0/00000000000000000000.log",
		"t-0/00000000000000000004.log", "t-0/00000000000000000004.log", "t-0/00000000000000000008.log"}, files)
	assert.Equal(t, int64(10), l.LogEndOffset())

	tests := []struct {
		from, limit int64
		max         int
		want        []int64 // base offsets
		err         proto.ErrorCode
	}{
		{0, 10, 1 << 20, []int64{0, 2, 4, 6, 8}, proto.NONE},
		{3, 10, 1 << 20, []int64{2, 4, 6, 8}, proto.NONE}, // mid-batch: whole batch
		{0, 6, 1 << 20, []int64{0, 2, 4}, proto.NONE},     // limited by the HW
		{0, 10, 250, []int64{0}, proto.NONE},              // max bytes, but at least one
		{0, 10, 1, []int64{0}, proto.NONE},
		{10, 10, 100, nil, proto.NONE},
		{11, 11, 100, nil, proto.OFFSET_OUT_OF_RANGE},
	}
	for _, tt := range tests {
		res, err := l.Read(tt.from, tt.limit, tt.max)
		require.Equal(t, tt.err, err, "from %d", tt.from)
		var got []int64
		for _, b := range res.Batches {
			got = append(got, b.BaseOffset)
		}
		assert.Equal(t, tt.want, got, "Read(%d, %d, %d)", tt.from, tt.limit, tt.max)
	}
}

func TestSegmentMsRolls(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SegmentMs = time.Minute
	l := NewLog("t-0", cfg, 0)
	a := l.Append(batch(0, 1, 0), 0)
	b := l.Append(batch(1, 1, 0), 30*time.Second)
	c := l.Append(batch(2, 1, 0), 61*time.Second)
	assert.Equal(t, a.File, b.File)
	assert.NotEqual(t, b.File, c.File)
}

func TestEndOffsetForEpoch(t *testing.T) {
	l := NewLog("t-0", DefaultConfig(), 0)
	appendAll(t, l, 1, 1, 3, 3, 5) // epochs 1@0, 3@4, 5@8; LEO 10
	require.Equal(t, []EpochEntry{{1, 0}, {3, 4}, {5, 8}}, l.Epochs())
	tests := []struct {
		epoch     int32
		wantEpoch int32
		wantEnd   int64
	}{
		{5, 5, 10},  // latest epoch: LEO
		{3, 3, 8},   // ends where 5 begins
		{4, 3, 8},   // unknown epoch between: largest below, end of it
		{1, 1, 4},   // first epoch
		{0, 0, 0},   // below the first: requested epoch, first start offset
		{6, -1, -1}, // above all: undefined
		{-1, -1, -1},
	}
	for _, tt := range tests {
		e, o := l.EndOffsetForEpoch(tt.epoch)
		assert.Equal(t, tt.wantEpoch, e, "epoch for %d", tt.epoch)
		assert.Equal(t, tt.wantEnd, o, "end offset for %d", tt.epoch)
	}
}

// A read shares the segment's batch slice: neither appends nor a truncation followed
// by appends at the same offsets may change what an earlier read returned (a response
// in flight holds it), and appending to a read's batches must not write into the log.
func TestReadResultIsASnapshot(t *testing.T) {
	l := NewLog("t-0", DefaultConfig(), 0)
	appendAll(t, l, 1, 1, 1)
	res, err := l.Read(0, l.LogEndOffset(), 1<<20)
	require.Equal(t, proto.NONE, err)
	before := append([]*proto.RecordBatch(nil), res.Batches...)
	require.Len(t, before, 3)

	bogus := batch(99, 1, 9)
	grown := append(res.Batches, bogus)
	appendAll(t, l, 1)
	assert.Same(t, bogus, grown[3], "an append to a read's batches shares memory with the log")
	l.TruncateTo(2)
	appendAll(t, l, 2, 2, 2)
	assert.Equal(t, before, res.Batches, "an earlier read changed under appends and a truncation")

	now, _ := l.Read(0, l.LogEndOffset(), 1<<20)
	var bases []int64
	var epochs []int32
	for _, b := range now.Batches {
		bases, epochs = append(bases, b.BaseOffset), append(epochs, b.PartitionLeaderEpoch)
	}
	assert.Equal(t, []int64{0, 2, 4, 6}, bases)
	assert.Equal(t, []int32{1, 2, 2, 2}, epochs)
}

func TestTruncateTo(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 500
	tests := []struct {
		to         int64
		wantLEO    int64
		deleted    int
		file       string
		entries    int
		wantEpochs []EpochEntry
	}{
		{10, 10, 0, "", 0, []EpochEntry{{1, 0}, {3, 4}, {5, 8}}},
		{8, 8, 1, "t-0/00000000000000000004.log", 2, []EpochEntry{{1, 0}, {3, 4}}},
		{7, 6, 1, "t-0/00000000000000000004.log", 1, []EpochEntry{{1, 0}, {3, 4}}}, // mid-batch: whole batch
		{4, 4, 2, "t-0/00000000000000000000.log", 2, []EpochEntry{{1, 0}}},
		{0, 0, 2, "t-0/00000000000000000000.log", 0, []EpochEntry{}}, // an empty log has no epochs
	}
	for _, tt := range tests {
		l := NewLog("t-0", cfg, 0)
		appendAll(t, l, 1, 1, 3, 3, 5)
		tr := l.TruncateTo(tt.to)
		assert.Equal(t, tt.wantLEO, l.LogEndOffset(), "TruncateTo(%d) LEO", tt.to)
		assert.Equal(t, tt.wantLEO, tr.Offset)
		assert.Len(t, tr.Deleted, tt.deleted, "TruncateTo(%d) deleted", tt.to)
		assert.Equal(t, tt.file, tr.File, "TruncateTo(%d) file", tt.to)
		assert.Equal(t, tt.entries, tr.Entries, "TruncateTo(%d) entries", tt.to)
		assert.Equal(t, tt.wantEpochs, l.Epochs(), "TruncateTo(%d) epochs", tt.to)
		assert.Equal(t, len(tt.wantEpochs), tr.EpochEntries)
		res, _ := l.Read(0, l.LogEndOffset(), 1<<20)
		var n int64
		for _, b := range res.Batches {
			n += int64(b.Count())
		}
		assert.Equal(t, tt.wantLEO, n, "records left after TruncateTo(%d)", tt.to)
	}
}

func TestRetention(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 500
	cfg.RetentionMs = time.Minute
	l := NewLog("t-0", cfg, 0)
	for i := 0; i < 6; i++ { // segments [0,4) at 0s,10s; [4,8) at 20s,30s; [8,12) at 40s,50s
		b := batchAt(l.LogEndOffset(), 2, 0, time.Duration(i)*10*time.Second)
		l.Append(b, b.MaxTimestamp())
	}
	r := l.ApplyRetention(65*time.Second, 12)
	assert.Empty(t, r.Deleted, "newest record of the first segment is 10s old only at 70s")
	r = l.ApplyRetention(75*time.Second, 12)
	assert.Equal(t, []string{"t-0/00000000000000000000.log"}, r.Deleted)
	assert.Equal(t, int64(4), r.LogStartOffset)
	r = l.ApplyRetention(200*time.Second, 6)
	assert.Empty(t, r.Deleted, "nothing above the high watermark is deleted")
	r = l.ApplyRetention(200*time.Second, 12)
	assert.True(t, r.Rolled, "expired active segment is rolled to be deleted")
	assert.Len(t, r.Deleted, 2)
	assert.Equal(t, int64(12), l.LogStartOffset())
	assert.Equal(t, int64(12), l.LogEndOffset())
	_, err := l.Read(4, 12, 100)
	assert.Equal(t, proto.OFFSET_OUT_OF_RANGE, err)

	cfg.RetentionMs = -1
	cfg.RetentionBytes = 800
	l = NewLog("t-0", cfg, 0)
	appendAll(t, l, 0, 0, 0, 0, 0, 0) // 6 batches of 200 bytes, 3 segments
	r = l.ApplyRetention(0, l.LogEndOffset())
	assert.Len(t, r.Deleted, 1, "1200 bytes: dropping the oldest 400-byte segment leaves 800 >= retention.bytes")
	assert.Equal(t, int64(800), l.Bytes())
}

func TestRecoverStopsAtFirstBadEntry(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 500
	l := NewLog("t-0", cfg, 0)
	appendAll(t, l, 1, 1, 2, 2, 2)
	var segs []RecoveredSegment
	for _, s := range l.Segments() {
		rs := RecoveredSegment{File: SegmentFile("t-0", s.BaseOffset)}
		for _, b := range s.Batches {
			rs.Entries = append(rs.Entries, node.Entry{Data: b, Size: b.SizeBytes, Sum: b.DiskSum()})
		}
		segs = append(segs, rs)
	}
	var epochs []node.Entry
	for _, e := range l.Epochs() {
		epochs = append(epochs, node.Entry{Data: e, Size: EpochEntrySize, Sum: EpochSum(e)})
	}

	got, res := Recover("t-0", cfg, segs, epochs, 0)
	assert.Equal(t, int64(10), got.LogEndOffset())
	assert.Zero(t, res.Corrupt)
	assert.Equal(t, l.Epochs(), got.Epochs())

	segs[1].Entries[1].Sum ^= 1 // torn write in the middle segment
	got, res = Recover("t-0", cfg, segs, epochs, 0)
	assert.Equal(t, int64(6), got.LogEndOffset())
	assert.Equal(t, "t-0/00000000000000000004.log", res.TruncateFile)
	assert.Equal(t, 1, res.TruncateEntries)
	assert.Equal(t, []string{"t-0/00000000000000000008.log"}, res.DeleteFiles)
	assert.Equal(t, 2, res.Corrupt)
	assert.Equal(t, []EpochEntry{{1, 0}, {2, 4}}, got.Epochs())

	// The epoch file is lost entirely: the cache is rebuilt from the batches.
	got, _ = Recover("t-0", cfg, segs[:1], nil, 0)
	assert.Equal(t, []EpochEntry{{1, 0}}, got.Epochs())
}

func idem(pid int64, epoch int16, seq int32, n int, base int64) *proto.RecordBatch {
	b := batch(base, n, 0)
	b.ProducerID, b.ProducerEpoch, b.BaseSequence = pid, epoch, seq
	return b
}

func TestProducerState(t *testing.T) {
	p := NewProducers()
	dup, err := p.Check(idem(7, 0, 5, 2, 0))
	assert.Nil(t, dup)
	assert.Equal(t, proto.UNKNOWN_PRODUCER_ID, err, "unknown producer: must start at 0")
	_, err = p.Check(idem(7, 0, 0, 2, 0))
	assert.Equal(t, proto.NONE, err)
	base := int64(0)
	for seq := int32(0); seq < 14; seq += 2 {
		b := idem(7, 0, seq, 2, base)
		_, err := p.Check(b)
		require.Equal(t, proto.NONE, err, "seq %d", seq)
		p.Update(b)
		base += 2
	}
	tests := []struct {
		name    string
		b       *proto.RecordBatch
		wantDup int64 // -1: no duplicate
		err     proto.ErrorCode
	}{
		{"next in order", idem(7, 0, 14, 2, 0), -1, proto.NONE},
		{"retry of the last batch", idem(7, 0, 12, 2, 0), 12, proto.NONE},
		{"retry of the fifth-last", idem(7, 0, 4, 2, 0), 4, proto.NONE},
		{"older than the cache", idem(7, 0, 2, 2, 0), -1, proto.OUT_OF_ORDER_SEQUENCE_NUMBER},
		{"gap", idem(7, 0, 16, 2, 0), -1, proto.OUT_OF_ORDER_SEQUENCE_NUMBER},
		{"old epoch", idem(7, -1, 14, 2, 0), -1, proto.INVALID_PRODUCER_EPOCH},
		{"new epoch from zero", idem(7, 1, 0, 2, 0), -1, proto.NONE},
		{"new epoch not from zero", idem(7, 1, 3, 2, 0), -1, proto.OUT_OF_ORDER_SEQUENCE_NUMBER},
	}
	for _, tt := range tests {
		dup, err := p.Check(tt.b)
		assert.Equal(t, tt.err, err, tt.name)
		if tt.wantDup < 0 {
			assert.Nil(t, dup, tt.name)
		} else if assert.NotNil(t, dup, tt.name) {
			assert.Equal(t, tt.wantDup, dup.BaseOffset, tt.name)
		}
	}
	p.TruncateTo(10)
	_, last, ok := p.Last(7)
	require.True(t, ok)
	assert.Equal(t, int32(9), last.LastSeq, "batches at or above offset 10 forgotten")
	p.TruncateTo(0)
	assert.Empty(t, p.IDs())
}

func TestHighWatermarkAndISR(t *testing.T) {
	l := NewLog("t-0", DefaultConfig(), 0)
	r := NewReplica(proto.TopicPartition{Topic: "t", Partition: 0}, 1, l)
	st := proto.PartitionState{Replicas: []int32{1, 2, 3}, ISR: []int32{1, 2, 3}, Leader: 1, LeaderEpoch: 4}
	e, isNew := r.BecomeLeader(st, 0)
	require.True(t, isNew)
	assert.Equal(t, EpochEntry{4, 0}, e)
	for i := 0; i < 5; i++ {
		l.Append(batch(l.LogEndOffset(), 2, 4), 0)
	}
	r.StableEnd = l.LogEndOffset() // 10
	assert.False(t, r.MaybeAdvanceHW(), "followers' LEOs unknown")
	assert.False(t, r.FollowerFetched(2, 10, time.Second))
	assert.True(t, r.FollowerFetched(3, 6, time.Second))
	assert.Equal(t, int64(6), r.HW)
	r.CheckInvariants()

	// Follower 3 fell behind: out of sync after the lag time.
	assert.Empty(t, r.OutOfSync(10*time.Second, 30*time.Second))
	r.FollowerFetched(2, 10, 40*time.Second)
	assert.Equal(t, []int32{3}, r.OutOfSync(40*time.Second, 30*time.Second))
	// Caught up as of the previous fetch: fetching the LEO the leader had then counts.
	r.FollowerFetched(3, 10, 41*time.Second)
	assert.Empty(t, r.OutOfSync(41*time.Second, 30*time.Second))

	// Shrunk ISR {1,2}: 3 may rejoin only after reaching the HW and the epoch start.
	st.ISR = []int32{1, 2}
	r.UpdateState(st)
	assert.True(t, r.CanJoinISR(3))
	l.Append(batch(10, 2, 4), 0)
	r.StableEnd = 12
	r.FollowerFetched(2, 12, 42*time.Second)
	assert.Equal(t, int64(12), r.HW, "3 is outside the ISR, so it does not hold the HW back")
	assert.False(t, r.CanJoinISR(3))
	r.PendingISR = []int32{1, 2, 3}
	r.FollowerFetched(3, 11, 43*time.Second)
	assert.Equal(t, int64(12), r.HW, "the HW never moves back")

	// ELR: the HW stays put while the ISR is below min.insync.replicas.
	r.ELR, r.MinInsyncReplicas = true, 2
	st.ISR = []int32{1}
	r.UpdateState(st)
	l.Append(batch(12, 2, 4), 0)
	r.StableEnd = 14
	assert.False(t, r.MaybeAdvanceHW())

	tr := r.Truncate(8)
	assert.Equal(t, int64(8), tr.Offset)
	assert.Equal(t, int64(8), r.HW)
	r.CheckInvariants()
}

func TestInvariantsCatchABadHW(t *testing.T) {
	l := NewLog("t-0", DefaultConfig(), 0)
	r := NewReplica(proto.TopicPartition{Topic: "t"}, 1, l)
	r.HW = 5
	assert.Panics(t, r.CheckInvariants)
}

func TestAdvanceLogStart(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 500
	l := NewLog("t-0", cfg, 0)
	appendAll(t, l, 0, 0, 0, 0, 0) // segments at 0, 4, 8
	files, moved := l.AdvanceLogStart(5, 10)
	assert.True(t, moved)
	assert.Equal(t, []string{"t-0/00000000000000000000.log"}, files)
	assert.Equal(t, int64(5), l.LogStartOffset())
	_, moved = l.AdvanceLogStart(9, 6)
	assert.True(t, moved)
	assert.Equal(t, int64(6), l.LogStartOffset(), "never past the HW")
	_, err := l.Read(5, 10, 100)
	assert.Equal(t, proto.OFFSET_OUT_OF_RANGE, err)
}

// An epoch begun as leader without a batch is dropped when the replica truncates to
// its own end as a follower: otherwise the next batch from the new leader (of an
// older epoch) would sit below it in the cache.
func TestTruncateToLEODropsEmptyEpochs(t *testing.T) {
	l := NewLog("t-0", DefaultConfig(), 0)
	appendAll(t, l, 3, 3)
	l.AssignEpoch(8)
	require.Equal(t, []EpochEntry{{3, 0}, {8, 4}}, l.Epochs())
	tr := l.TruncateTo(4)
	assert.True(t, tr.EpochsChanged)
	assert.Equal(t, 1, tr.EpochEntries)
	assert.Equal(t, []EpochEntry{{3, 0}}, l.Epochs())
	l.Append(batch(4, 2, 5), 0)

	empty := NewLog("t-0", DefaultConfig(), 0)
	empty.AssignEpoch(8)
	empty.TruncateTo(0)
	assert.Empty(t, empty.Epochs())
}

// batchAt finds the batch holding an offset from the base offsets alone.
func TestSegmentBatchAt(t *testing.T) {
	s := &Segment{BaseOffset: 10, Batches: []*proto.RecordBatch{batch(10, 3, 0), batch(13, 5, 0), batch(18, 1, 0)}}
	for _, tt := range []struct {
		offset int64
		want   int
	}{{9, 0}, {10, 0}, {12, 0}, {13, 1}, {17, 1}, {18, 2}, {19, 3}, {100, 3}} {
		assert.Equal(t, tt.want, s.batchAt(tt.offset), "offset %d", tt.offset)
	}
	assert.Equal(t, 0, (&Segment{}).batchAt(5))
}

// The tail-first searches find what a binary search of the whole finds, at the tail
// and far from it.
func TestTailFirstSearchesMatchBinarySearch(t *testing.T) {
	cfg := DefaultConfig()
	cfg.SegmentBytes = 1000 // segments of a few batches of varied sizes
	l := NewLog("t-0", cfg, 0)
	for i := range 60 {
		l.Append(batch(l.LogEndOffset(), 1+i%4, 0), 0)
	}
	require.Greater(t, len(l.segs), 2*tailProbes)
	for off := int64(-1); off <= l.LogEndOffset()+1; off++ {
		wantSeg := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].NextOffset() > off })
		require.Equal(t, wantSeg, l.segmentAfter(off), "segment after %d", off)
	}
	s := &Segment{}
	for i := range 40 {
		s.Batches = append(s.Batches, batch(int64(3*i), 1+i%3, 0))
	}
	for off := int64(-1); off <= 125; off++ {
		i := sort.Search(len(s.Batches), func(i int) bool { return s.Batches[i].BaseOffset > off }) - 1
		want := max(i, 0)
		if i >= 0 && s.Batches[i].NextOffset() <= off {
			want++
		}
		require.Equal(t, want, s.batchAt(off), "batch at %d", off)
	}
}
