package partition

import (
	"fmt"
	"sort"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// Config holds a log's topic-level settings, Kafka keys in MixedCaps.
type Config struct {
	// SegmentBytes is segment.bytes (log.segment.bytes): a segment rolls when a batch
	// would take it past this size. Default 1 GiB.
	SegmentBytes int64
	// SegmentMs is segment.ms (log.roll.ms): a segment rolls on the first append after
	// it is this old. Default 7 days.
	SegmentMs time.Duration
	// RetentionMs is retention.ms: whole segments whose newest record is older than
	// this are deleted. Negative means no time limit. Default 7 days.
	RetentionMs time.Duration
	// RetentionBytes is retention.bytes: the oldest segments are deleted while the
	// log is larger than this. Negative means no size limit (the default).
	RetentionBytes int64
	// FlushMessages is flush.messages: the log is fsynced once this many records are
	// unflushed. Zero or negative means never (Kafka's default, Long.MAX_VALUE),
	// leaving durability to replication.
	FlushMessages int64
	// FlushMs is flush.ms: the log is fsynced when its oldest unflushed record is this
	// old. Zero or negative means never (the default).
	FlushMs time.Duration
}

// DefaultConfig is Kafka's defaults.
func DefaultConfig() Config {
	return Config{
		SegmentBytes:   1 << 30,
		SegmentMs:      7 * 24 * time.Hour,
		RetentionMs:    7 * 24 * time.Hour,
		RetentionBytes: -1,
	}
}

// Segment is a run of batches stored in one file.
type Segment struct {
	// BaseOffset is the first offset the segment may hold; it names the file.
	BaseOffset int64
	Batches    []*proto.RecordBatch
	// Bytes is the total SizeBytes of the batches.
	Bytes int64
	// Created is when the segment was rolled (for segment.ms).
	Created time.Duration
	// MaxTimestamp is the newest record timestamp in the segment (for retention.ms).
	MaxTimestamp time.Duration
	// file is the segment's file name, computed once.
	file string
	// lastAppend is the time of the newest append; retention by time uses the later
	// of it and MaxTimestamp (Kafka uses the record timestamps alone; SKIPPED.md).
	lastAppend time.Duration
}

// NextOffset is the offset after the segment's last batch (BaseOffset if empty).
func (s *Segment) NextOffset() int64 {
	if len(s.Batches) == 0 {
		return s.BaseOffset
	}
	return s.Batches[len(s.Batches)-1].NextOffset()
}

// batchAt is the index of the first batch that ends after offset (len(Batches) if
// none). The search reads only base offsets: a batch's end is in its packed records,
// another cache line per probe.
func (s *Segment) batchAt(offset int64) int {
	// j is the first batch that starts after offset. Reads are mostly at the log's
	// tail, so the last few batches are probed before a binary search of the rest
	// (base offsets increase, so both find the same batch).
	j := len(s.Batches)
	for k := 0; k < tailProbes && j > 0 && s.Batches[j-1].BaseOffset > offset; k++ {
		j--
	}
	if j > 0 && s.Batches[j-1].BaseOffset > offset {
		j = sort.Search(j, func(i int) bool { return s.Batches[i].BaseOffset > offset })
	}
	i := j - 1
	if i < 0 {
		return 0
	}
	if s.Batches[i].NextOffset() <= offset {
		i++
	}
	return i
}

// EpochEntry is one leader-epoch cache entry: Epoch began at StartOffset.
type EpochEntry struct {
	Epoch       int32
	StartOffset int64
}

// Log is one replica's log: segments of batches, log start and end offsets and the
// leader-epoch cache. It holds no payload bytes (batches are descriptors).
type Log struct {
	// Dir is the partition's directory on the broker's disk, such as orders-0.
	Dir string
	cfg Config

	segs     []*Segment
	logStart int64
	leo      int64
	epochs   []EpochEntry
	bytes    int64

	unflushed      int64         // records appended since the last flush
	oldestUnflush  time.Duration // append time of the oldest unflushed record
	flushedOffset  int64         // records below are durable (recovery point)
	pendingFlushTo int64         // offset a flush in progress will make durable
}

// NewLog returns an empty log whose first offset is start.
func NewLog(dir string, cfg Config, start int64) *Log {
	return &Log{Dir: dir, cfg: cfg, logStart: start, leo: start, flushedOffset: start, pendingFlushTo: start}
}

// Config returns the log's settings.
func (l *Log) Config() Config { return l.cfg }

// SetConfig changes the settings (a topic config update).
func (l *Log) SetConfig(cfg Config) { l.cfg = cfg }

// LogStartOffset is the first retained offset.
func (l *Log) LogStartOffset() int64 { return l.logStart }

// LogEndOffset is the offset the next appended record gets.
func (l *Log) LogEndOffset() int64 { return l.leo }

// Bytes is the log's size on disk.
func (l *Log) Bytes() int64 { return l.bytes }

// Segments returns the segments, oldest first. Callers must not modify them.
func (l *Log) Segments() []*Segment { return l.segs }

// Epochs returns the leader-epoch cache, oldest first.
func (l *Log) Epochs() []EpochEntry { return l.epochs }

// FlushedOffset is the recovery point: records below it were fsynced.
func (l *Log) FlushedOffset() int64 { return l.flushedOffset }

// SegmentFile names a segment's file: the directory and the 20-digit base offset, as
// Kafka names its .log files.
func SegmentFile(dir string, base int64) string {
	return fmt.Sprintf("%s/%020d.log", dir, base)
}

// EpochFile names the leader-epoch checkpoint of a partition directory.
func EpochFile(dir string) string { return dir + "/leader-epoch-checkpoint" }

// LatestEpoch is the newest epoch in the cache, -1 if empty.
func (l *Log) LatestEpoch() int32 {
	if len(l.epochs) == 0 {
		return -1
	}
	return l.epochs[len(l.epochs)-1].Epoch
}

// AppendInfo says what an append did, for the disk writes that follow.
type AppendInfo struct {
	// File is the segment file the batch goes to.
	File string
	// Epoch is set (New true) when the batch started a new leader epoch in the cache,
	// which must be appended to the epoch file.
	Epoch    EpochEntry
	NewEpoch bool
	// NeedsFlush is set when flush.messages or flush.ms now require an fsync.
	NeedsFlush bool
}

// Append adds b at the end of the log. b.BaseOffset must equal the log end offset; the
// caller (the leader) assigns it, or the follower received it so. now is the time of the
// append, for segment rolling.
func (l *Log) Append(b *proto.RecordBatch, now time.Duration) AppendInfo {
	if !(b.BaseOffset == l.leo) {
		failf("%s: append at %d but LEO is %d", l.Dir, b.BaseOffset, l.leo)
	}
	if !(b.Count() > 0) {
		failf("%s: empty batch at %d", l.Dir, b.BaseOffset)
	}
	var info AppendInfo
	if b.PartitionLeaderEpoch > l.LatestEpoch() {
		e := EpochEntry{Epoch: b.PartitionLeaderEpoch, StartOffset: b.BaseOffset}
		l.epochs = append(l.epochs, e)
		info.Epoch, info.NewEpoch = e, true
	}
	if !(b.PartitionLeaderEpoch >= l.LatestEpoch()) {
		failf("%s: batch epoch %d below cache epoch %d", l.Dir, b.PartitionLeaderEpoch, l.LatestEpoch())
	}
	seg := l.active()
	if seg == nil || (len(seg.Batches) > 0 && (seg.Bytes+int64(b.SizeBytes) > l.cfg.SegmentBytes ||
		(l.cfg.SegmentMs > 0 && now-seg.Created >= l.cfg.SegmentMs))) {
		seg = l.roll(now)
	}
	seg.Batches = append(seg.Batches, b)
	seg.Bytes += int64(b.SizeBytes)
	if b.MaxTimestamp() > seg.MaxTimestamp {
		seg.MaxTimestamp = b.MaxTimestamp()
	}
	seg.lastAppend = now
	l.bytes += int64(b.SizeBytes)
	l.leo = b.NextOffset()
	if l.unflushed == 0 {
		l.oldestUnflush = now
	}
	l.unflushed += int64(b.Count())
	info.File = seg.file
	info.NeedsFlush = l.flushDue(now)
	return info
}

func (l *Log) active() *Segment {
	if len(l.segs) == 0 {
		return nil
	}
	return l.segs[len(l.segs)-1]
}

func (l *Log) roll(now time.Duration) *Segment {
	seg := &Segment{BaseOffset: l.leo, Created: now, file: SegmentFile(l.Dir, l.leo)}
	l.segs = append(l.segs, seg)
	return seg
}

// flushDue applies flush.messages and flush.ms.
func (l *Log) flushDue(now time.Duration) bool {
	if l.unflushed == 0 {
		return false
	}
	if l.cfg.FlushMessages > 0 && l.unflushed >= l.cfg.FlushMessages {
		return true
	}
	return l.cfg.FlushMs > 0 && now-l.oldestUnflush >= l.cfg.FlushMs
}

// FlushDue reports whether flush.ms requires an fsync now (for a periodic check).
func (l *Log) FlushDue(now time.Duration) bool { return l.flushDue(now) }

// StartFlush marks everything appended so far as being fsynced and returns the files
// to sync (segments holding unflushed data) and the offset the flush makes durable.
func (l *Log) StartFlush() (files []string, upTo int64) {
	for _, s := range l.segs {
		if s.NextOffset() > l.pendingFlushTo || (len(s.Batches) > 0 && s.NextOffset() > l.flushedOffset) {
			files = append(files, SegmentFile(l.Dir, s.BaseOffset))
		}
	}
	l.unflushed = 0
	l.pendingFlushTo = l.leo
	return files, l.leo
}

// FlushDone records that a flush up to upTo completed.
func (l *Log) FlushDone(upTo int64) {
	if upTo > l.flushedOffset {
		l.flushedOffset = min(upTo, l.leo)
	}
}

// ReadResult is a slice of the log.
type ReadResult struct {
	// Batches may share memory with the log: the caller must not modify them.
	Batches []*proto.RecordBatch
	Bytes   int
}

// Read returns whole batches holding offsets from `from` on, below limit (the HW for
// consumers, the LEO for followers), up to maxBytes but always at least one batch if
// any qualifies (KIP-74). It fails with OFFSET_OUT_OF_RANGE when from is outside
// [log start, log end].
//
// A read within one segment returns a window of the segment's batch slice, capped so
// that an append to it copies: a segment's slice only ever grows at its end, and a
// truncation caps it so that the next append moves it, so the window never changes.
func (l *Log) Read(from, limit int64, maxBytes int) (ReadResult, proto.ErrorCode) {
	if from < l.logStart || from > l.leo {
		return ReadResult{}, proto.OFFSET_OUT_OF_RANGE
	}
	var res ReadResult
	if from >= limit {
		return res, proto.NONE // nothing readable yet: no allocation for an idle fetch
	}
	count := 0
	si := l.segmentAfter(from)
	for ; si < len(l.segs); si++ {
		seg := l.segs[si]
		first := seg.batchAt(from)
		end, done := first, false
		for ; end < len(seg.Batches); end++ {
			b := seg.Batches[end]
			if b.NextOffset() > limit || (count > 0 && res.Bytes+int(b.SizeBytes) > maxBytes) {
				done = true
				break
			}
			count++
			res.Bytes += int(b.SizeBytes)
		}
		if w := seg.Batches[first:end:end]; len(w) > 0 && res.Batches == nil {
			res.Batches = w // no copy
		} else if len(w) > 0 {
			res.Batches = append(res.Batches, w...) // w is capped: this copies
		}
		if done {
			break
		}
	}
	return res, proto.NONE
}

// tailProbes is how many entries at the end of a log's segments or batches a search
// probes before a binary search.
const tailProbes = 4

// segmentAfter is the index of the first segment that ends after offset (len(segs) if
// none), probing the last segments first: reads are mostly at the log's tail. Segment
// ends never decrease, so it is sort.Search's answer.
func (l *Log) segmentAfter(offset int64) int {
	j := len(l.segs)
	for k := 0; k < tailProbes && j > 0 && l.segs[j-1].NextOffset() > offset; k++ {
		j--
	}
	if j > 0 && l.segs[j-1].NextOffset() > offset {
		j = sort.Search(j, func(i int) bool { return l.segs[i].NextOffset() > offset })
	}
	return j
}

// EndOffsetForEpoch answers OffsetForLeaderEpoch from this log: the largest epoch at or
// below the requested one and the offset where it ended (the start of the next epoch, or
// the LEO for the latest). Unknown epochs give (-1, -1); an epoch below the first cached
// one gives (requested, first start offset). These are Kafka's rules.
func (l *Log) EndOffsetForEpoch(epoch int32) (int32, int64) {
	if epoch < 0 || len(l.epochs) == 0 {
		return -1, -1
	}
	if l.epochs[len(l.epochs)-1].Epoch == epoch {
		return epoch, l.leo
	}
	hi := sort.Search(len(l.epochs), func(i int) bool { return l.epochs[i].Epoch > epoch })
	if hi == len(l.epochs) {
		return -1, -1
	}
	if hi == 0 {
		return epoch, l.epochs[0].StartOffset
	}
	return l.epochs[hi-1].Epoch, l.epochs[hi].StartOffset
}

// EpochStartOffset is where epoch begins in the cache, -1 if absent.
func (l *Log) EpochStartOffset(epoch int32) int64 {
	for _, e := range l.epochs {
		if e.Epoch == epoch {
			return e.StartOffset
		}
	}
	return -1
}

// AssignEpoch records that epoch begins at the LEO (a leader does so when it takes
// over). It returns the entry and whether it is new.
func (l *Log) AssignEpoch(epoch int32) (EpochEntry, bool) {
	if epoch <= l.LatestEpoch() {
		return EpochEntry{}, false
	}
	e := EpochEntry{Epoch: epoch, StartOffset: l.leo}
	if n := len(l.epochs); n > 0 && l.epochs[n-1].StartOffset == l.leo {
		// The previous epoch never got a batch; Kafka keeps both, so do we.
		if !(l.epochs[n-1].Epoch < epoch) {
			failf("epoch order")
		}
	}
	l.epochs = append(l.epochs, e)
	return e, true
}

// Truncation lists the disk work a truncation needs.
type Truncation struct {
	// Offset is the new log end offset.
	Offset int64
	// Deleted are whole segment files to delete.
	Deleted []string
	// File is the segment file to cut to Entries entries ("" if none).
	File    string
	Entries int
	// EpochEntries is the epoch file's new length in entries (when EpochsChanged).
	EpochEntries  int
	EpochsChanged bool
	// Removed is the number of records cut.
	Removed int64
}

// TruncateTo removes every batch holding an offset at or above offset. A batch that
// straddles it is removed whole (Kafka truncates at batch boundaries), so the new LEO
// may be below offset. Epoch cache entries starting at or after the new LEO go too.
func (l *Log) TruncateTo(offset int64) Truncation {
	t := Truncation{Offset: l.leo, EpochEntries: len(l.epochs)}
	if offset > l.leo {
		return t
	}
	if offset == l.leo {
		// Nothing to cut from the log, but an epoch this replica began as leader
		// without appending to it must go, as Kafka's truncateFromEnd does.
		l.dropEpochsFrom(offset, &t)
		return t
	}
	if offset < l.logStart {
		offset = l.logStart
	}
	for len(l.segs) > 0 {
		seg := l.segs[len(l.segs)-1]
		if seg.BaseOffset >= offset && len(l.segs) > 1 {
			t.Deleted = append(t.Deleted, SegmentFile(l.Dir, seg.BaseOffset))
			l.bytes -= seg.Bytes
			l.segs = l.segs[:len(l.segs)-1]
			continue
		}
		n := sort.Search(len(seg.Batches), func(i int) bool { return seg.Batches[i].NextOffset() > offset })
		for _, b := range seg.Batches[n:] {
			seg.Bytes -= int64(b.SizeBytes)
			l.bytes -= int64(b.SizeBytes)
		}
		seg.Batches = seg.Batches[:n:n]
		t.File, t.Entries = SegmentFile(l.Dir, seg.BaseOffset), n
		break
	}
	newLEO := l.logStart
	if seg := l.active(); seg != nil {
		newLEO = seg.NextOffset()
	}
	t.Removed = l.leo - newLEO
	l.leo, t.Offset = newLEO, newLEO
	l.dropEpochsFrom(newLEO, &t)
	l.flushedOffset = min(l.flushedOffset, newLEO)
	l.pendingFlushTo = min(l.pendingFlushTo, newLEO)
	return t
}

// dropEpochsFrom removes the epoch cache entries starting at or after offset.
func (l *Log) dropEpochsFrom(offset int64, t *Truncation) {
	for len(l.epochs) > 0 && l.epochs[len(l.epochs)-1].StartOffset >= offset {
		l.epochs = l.epochs[:len(l.epochs)-1]
		t.EpochsChanged = true
	}
	t.EpochEntries = len(l.epochs)
}

// TruncateFullyAndStartAt drops the whole log and restarts it at offset (a follower
// whose fetch position fell below the leader's log start). It returns the files to
// delete.
func (l *Log) TruncateFullyAndStartAt(offset int64) []string {
	var files []string
	for _, s := range l.segs {
		files = append(files, SegmentFile(l.Dir, s.BaseOffset))
	}
	files = append(files, EpochFile(l.Dir))
	l.segs, l.epochs, l.bytes = nil, nil, 0
	l.logStart, l.leo, l.flushedOffset, l.pendingFlushTo, l.unflushed = offset, offset, offset, offset, 0
	return files
}

// Retention is what a retention pass deleted.
type Retention struct {
	Deleted []string
	// LogStartOffset is the new log start (moved when Deleted is not empty).
	LogStartOffset int64
	// Rolled is set when the active segment was rolled so that it could be deleted.
	Rolled bool
}

// ApplyRetention deletes whole segments by retention.ms and retention.bytes, oldest
// first, never beyond the high watermark (Kafka only deletes segments wholly below it).
// An expired active segment is rolled first so it can go too, as Kafka does.
func (l *Log) ApplyRetention(now time.Duration, hw int64) Retention {
	r := Retention{LogStartOffset: l.logStart}
	deletable := func(i int) bool {
		seg := l.segs[i]
		if len(seg.Batches) == 0 || seg.NextOffset() > hw {
			return false
		}
		if l.cfg.RetentionMs >= 0 && now-max(seg.MaxTimestamp, seg.lastAppend) > l.cfg.RetentionMs {
			return true
		}
		return l.cfg.RetentionBytes >= 0 && l.bytes-seg.Bytes >= l.cfg.RetentionBytes
	}
	if n := len(l.segs); n > 0 && deletable(n-1) && l.expiredByTime(l.segs[n-1], now) {
		l.roll(now)
		r.Rolled = true
	}
	for len(l.segs) > 1 && deletable(0) {
		seg := l.segs[0]
		r.Deleted = append(r.Deleted, SegmentFile(l.Dir, seg.BaseOffset))
		l.bytes -= seg.Bytes
		l.segs = l.segs[1:]
		l.logStart = l.segs[0].BaseOffset
	}
	r.LogStartOffset = l.logStart
	return r
}

func (l *Log) expiredByTime(seg *Segment, now time.Duration) bool {
	return l.cfg.RetentionMs >= 0 && now-max(seg.MaxTimestamp, seg.lastAppend) > l.cfg.RetentionMs
}

// OffsetForTimestamp returns the first offset whose batch has a record at or after ts,
// or the LEO (ListOffsets by time).
func (l *Log) OffsetForTimestamp(ts time.Duration) int64 {
	for _, s := range l.segs {
		if s.MaxTimestamp < ts {
			continue
		}
		for _, b := range s.Batches {
			if b.MaxTimestamp() >= ts {
				return b.BaseOffset
			}
		}
	}
	return l.leo
}

// RecoveredSegment is one segment file's entries as read back from disk.
type RecoveredSegment struct {
	File    string
	Entries []node.Entry
}

// RecoveryResult says what recovery found.
type RecoveryResult struct {
	// TruncateFile / TruncateEntries cut the first damaged segment at its first bad
	// entry; DeleteFiles are the segments after it, now unreachable.
	TruncateFile    string
	TruncateEntries int
	DeleteFiles     []string
	// Corrupt counts entries dropped (a torn tail or damaged batches).
	Corrupt int
	// EpochEntries is how many epoch file entries remain valid.
	EpochEntries int
}

// Recover rebuilds a log from its segment files (sorted by base offset) and the epoch
// file's entries, validating every batch's checksums and offsets. Everything from the
// first bad entry on is dropped, as Kafka's recovery truncates a log at the first
// invalid batch.
func Recover(dir string, cfg Config, segs []RecoveredSegment, epochEntries []node.Entry, now time.Duration) (*Log, RecoveryResult) {
	var res RecoveryResult
	l := NewLog(dir, cfg, 0)
	if len(segs) > 0 {
		l.logStart, l.leo = baseOf(segs[0].File), baseOf(segs[0].File)
	}
	broken := false
	for _, rs := range segs {
		if broken {
			res.DeleteFiles = append(res.DeleteFiles, rs.File)
			res.Corrupt += len(rs.Entries)
			continue
		}
		seg := &Segment{BaseOffset: baseOf(rs.File), Created: now, file: rs.File}
		if seg.BaseOffset != l.leo && !(len(l.segs) == 0) {
			broken = true
			res.DeleteFiles = append(res.DeleteFiles, rs.File)
			res.Corrupt += len(rs.Entries)
			continue
		}
		l.segs = append(l.segs, seg)
		for i, e := range rs.Entries {
			b, ok := e.Data.(*proto.RecordBatch)
			if !ok || e.Size != b.SizeBytes || e.Sum != b.DiskSum() || !b.Valid() || b.BaseOffset != l.leo {
				res.TruncateFile, res.TruncateEntries = rs.File, i
				res.Corrupt += len(rs.Entries) - i
				broken = true
				break
			}
			seg.Batches = append(seg.Batches, b)
			seg.Bytes += int64(b.SizeBytes)
			seg.MaxTimestamp = max(seg.MaxTimestamp, b.MaxTimestamp())
			seg.lastAppend = now
			l.bytes += int64(b.SizeBytes)
			l.leo = b.NextOffset()
		}
	}
	for _, e := range epochEntries {
		ee, ok := e.Data.(EpochEntry)
		if !ok || e.Sum != EpochSum(ee) || ee.StartOffset > l.leo || (len(l.epochs) > 0 && ee.Epoch <= l.LatestEpoch()) {
			break
		}
		l.epochs = append(l.epochs, ee)
	}
	// Batches may carry epochs the cache never recorded (a torn epoch file): rebuild.
	for _, s := range l.segs {
		for _, b := range s.Batches {
			if b.PartitionLeaderEpoch > l.LatestEpoch() {
				l.epochs = append(l.epochs, EpochEntry{Epoch: b.PartitionLeaderEpoch, StartOffset: b.BaseOffset})
			}
		}
	}
	res.EpochEntries = len(l.epochs)
	l.flushedOffset, l.pendingFlushTo = l.leo, l.leo
	return l, res
}

// EpochSum is the checksum of an epoch file entry.
func EpochSum(e EpochEntry) uint32 {
	h := uint64(uint32(e.Epoch))*0x9e3779b97f4a7c15 ^ uint64(e.StartOffset)*0xbf58476d1ce4e5b9
	h ^= h >> 29
	return uint32(h) ^ uint32(h>>32)
}

// EpochEntrySize is the bytes an epoch entry occupies in the checkpoint file.
const EpochEntrySize = 12

func baseOf(file string) int64 {
	var base int64
	i := len(file) - len(".log") - 20
	if i < 0 {
		return 0
	}
	for _, c := range file[i : i+20] {
		if c < '0' || c > '9' {
			return 0
		}
		base = base*10 + int64(c-'0')
	}
	return base
}

// SegmentBase parses a segment file's base offset; ok is false for other files.
func SegmentBase(file string) (int64, bool) {
	if len(file) < 24 || file[len(file)-4:] != ".log" {
		return 0, false
	}
	return baseOf(file), true
}

// AdvanceLogStart moves the log start up to offset (a follower following its leader's
// log start, never past its own HW) and deletes the segments wholly below it. It
// returns the deleted files and whether the log start moved.
func (l *Log) AdvanceLogStart(offset, hw int64) ([]string, bool) {
	offset = min(offset, hw, l.leo)
	if offset <= l.logStart {
		return nil, false
	}
	var files []string
	for len(l.segs) > 1 && l.segs[1].BaseOffset <= offset {
		files = append(files, SegmentFile(l.Dir, l.segs[0].BaseOffset))
		l.bytes -= l.segs[0].Bytes
		l.segs = l.segs[1:]
	}
	l.logStart = offset
	return files, true
}
