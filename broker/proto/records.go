package proto

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"iter"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TopicPartition names one partition of a topic. Its String form, topic/partition, is the
// history's key for the partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// String is the canonical key, such as orders/3.
func (tp TopicPartition) String() string {
	return tp.Topic + "/" + strconv.Itoa(int(tp.Partition))
}

// ParseTopicPartition reads the topic/partition form.
func ParseTopicPartition(s string) (TopicPartition, error) {
	i := strings.LastIndexByte(s, '/')
	if i <= 0 {
		return TopicPartition{}, fmt.Errorf("%q is not topic/partition", s)
	}
	n, err := strconv.ParseInt(s[i+1:], 10, 32)
	if err != nil || n < 0 {
		return TopicPartition{}, fmt.Errorf("%q: partition must be a non-negative integer", s)
	}
	return TopicPartition{Topic: s[:i], Partition: int32(n)}, nil
}

// Compare orders partitions by topic, then number, for sorted iteration: -1, 0 or +1
// as tp sorts before, with or after o (slices.SortFunc and slices.BinarySearchFunc take
// it as TopicPartition.Compare).
func (tp TopicPartition) Compare(o TopicPartition) int {
	return cmp.Or(strings.Compare(tp.Topic, o.Topic), cmp.Compare(tp.Partition, o.Partition))
}

// Acks is the producer's acks setting: AcksNone (0), AcksLeader (1) or AcksAll (-1).
type Acks int8

// The acks values Kafka accepts.
const (
	AcksAll    Acks = -1
	AcksNone   Acks = 0
	AcksLeader Acks = 1
)

// String is the setting as written in a Kafka configuration: 0, 1 or all.
func (a Acks) String() string {
	switch a {
	case AcksAll:
		return "all"
	case AcksNone:
		return "0"
	case AcksLeader:
		return "1"
	}
	return "invalid(" + strconv.Itoa(int(a)) + ")"
}

// ParseAcks reads 0, 1, all or -1.
func ParseAcks(s string) (Acks, error) {
	switch s {
	case "0":
		return AcksNone, nil
	case "1":
		return AcksLeader, nil
	case "all", "-1":
		return AcksAll, nil
	}
	return 0, fmt.Errorf("acks %q: want 0, 1 or all", s)
}

// Compression is a record batch's compression codec (compression.type).
type Compression int8

// Kafka's codecs, numbered as in the batch attributes.
const (
	CompressionNone   Compression = 0
	CompressionGzip   Compression = 1
	CompressionSnappy Compression = 2
	CompressionLZ4    Compression = 3
	CompressionZstd   Compression = 4
)

var compressionNames = [...]string{"none", "gzip", "snappy", "lz4", "zstd"}

// String is the compression.type value: none, gzip, snappy, lz4 or zstd.
func (c Compression) String() string {
	if c >= 0 && int(c) < len(compressionNames) {
		return compressionNames[c]
	}
	return "invalid(" + strconv.Itoa(int(c)) + ")"
}

// ParseCompression reads a compression.type value.
func ParseCompression(s string) (Compression, error) {
	for i, n := range compressionNames {
		if n == s {
			return Compression(i), nil
		}
	}
	return 0, fmt.Errorf("compression.type %q: want one of none, gzip, snappy, lz4, zstd", s)
}

// PayloadKind says how a record's value bytes are generated (see package codec). It
// decides how well the payload compresses.
type PayloadKind uint8

// The payload kinds.
const (
	// PayloadRandom is incompressible pseudo-random bytes.
	PayloadRandom PayloadKind = iota
	// PayloadText is English-like prose with a long tail of rare words: gzip and zstd
	// compress it about 3x, lz4 and snappy about 1.7x.
	PayloadText
	// PayloadJSON is JSON objects with repeated field names: gzip and zstd compress it
	// about 7x, lz4 and snappy about 4x.
	PayloadJSON
	// PayloadZeros is all zero bytes: the best case of every codec, as benchmarks
	// with an empty payload file send.
	PayloadZeros
)

var payloadNames = [...]string{"random", "text", "json", "zeros"}

// String names the kind.
func (k PayloadKind) String() string {
	if int(k) < len(payloadNames) {
		return payloadNames[k]
	}
	return "invalid(" + strconv.Itoa(int(k)) + ")"
}

// ParsePayloadKind reads random, text, json or zeros.
func ParsePayloadKind(s string) (PayloadKind, error) {
	for i, n := range payloadNames {
		if n == s {
			return PayloadKind(i), nil
		}
	}
	return 0, fmt.Errorf("payload %q: want one of random, text, json, zeros", s)
}

// Record is one record's descriptor: its bytes are a pure function of (payload kind,
// Value, Size), so the log never holds them.
type Record struct {
	// Value is the record's unique value id: the history's value.
	Value int64
	// Key is the record key; empty means no key (null).
	Key string
	// Size is the length of the value in bytes, uncompressed.
	Size int32
	// Timestamp is the CreateTime set by the producer.
	Timestamp time.Duration
}

// RecordOverhead is the bytes a record adds to a batch besides its key and value:
// length, attributes, timestamp and offset deltas, key and value lengths, header count
// (Kafka's varint-encoded record, typical sizes).
const RecordOverhead = 8

// BatchHeaderSize is the fixed header of a v2 record batch in bytes.
const BatchHeaderSize = 61

// NoProducerID marks a batch from a producer without idempotence.
const NoProducerID int64 = -1

// RecordBatch is Kafka's v2 record batch as a descriptor. Once appended to a log a batch
// is immutable; a sent batch changes only as the leader stamps its offset and epoch
// (Stamp). A log holds one per batch for the whole run, so it is kept to 64 bytes: what
// the records determine (their count, sizes and first timestamp) is read from them.
type RecordBatch struct {
	// BaseOffset is the offset of the first record, assigned by the leader.
	BaseOffset int64
	// ProducerID, ProducerEpoch and BaseSequence identify the batch for idempotence;
	// ProducerID is NoProducerID without it.
	ProducerID int64
	// maxTimestamp is the newest record's CreateTime (MaxTimestamp).
	maxTimestamp time.Duration
	// records is the record count and the bytes of their keys and values, then the
	// records, packed by SetRecords (see appendPacked). It is a string because it
	// never changes once packed: copies of the batch share it, and keys decode as
	// substrings of it without allocating.
	records string
	// PartitionLeaderEpoch is the leader epoch under which the leader appended it.
	PartitionLeaderEpoch int32
	BaseSequence         int32
	// SizeBytes is the batch's size on the wire and on disk, after compression.
	SizeBytes int32
	// CRC is the checksum the producer computed over everything from the attributes
	// on (as in Kafka it excludes BaseOffset and PartitionLeaderEpoch).
	CRC           uint32
	ProducerEpoch int16
	// stamped is set once a leader took the batch over (Stamp).
	stamped bool
	// Compression is the codec of the records section.
	Compression Compression
	// Payload says how the values' bytes are generated.
	Payload PayloadKind
}

// SetRecords packs recs, in offset order, as the batch's records. The batch keeps no
// reference to recs: the caller may reuse the slice.
//
// A log holds every record of a run, so records are stored the way Kafka lays them out
// on disk rather than as structs: per record, varints of its timestamp, value and size
// as deltas from the previous record's and of its key's length, then the key. A
// quickstart record takes about 10 bytes instead of a 40-byte Record.
func (b *RecordBatch) SetRecords(recs []Record) {
	var stack [512]byte
	payload := 0 // keys and values
	for i := range recs {
		payload += len(recs[i].Key) + int(recs[i].Size)
	}
	buf := binary.AppendUvarint(stack[:0], uint64(len(recs)))
	buf = binary.AppendUvarint(buf, uint64(payload))
	var prev Record
	b.maxTimestamp = 0
	for i := range recs {
		r := &recs[i]
		buf = appendPacked(buf, &prev, r)
		prev = *r
		if i == 0 || r.Timestamp > b.maxTimestamp {
			b.maxTimestamp = r.Timestamp
		}
	}
	b.records = string(buf)
}

// appendPacked appends r's packed form to buf; prev is the record before it (zero for
// the first).
func appendPacked(buf []byte, prev, r *Record) []byte {
	buf = binary.AppendVarint(buf, int64(r.Timestamp-prev.Timestamp))
	buf = binary.AppendVarint(buf, r.Value-prev.Value)
	buf = binary.AppendVarint(buf, int64(r.Size)-int64(prev.Size))
	buf = binary.AppendUvarint(buf, uint64(len(r.Key)))
	return append(buf, r.Key...)
}

// recordReader decodes packed records in order.
type recordReader struct {
	s    string
	pos  int
	prev Record
}

// reader returns a reader at the batch's first record, and the record count.
func (b *RecordBatch) reader() (recordReader, int) {
	if b.records == "" {
		return recordReader{}, 0
	}
	r := recordReader{s: b.records}
	n := int(r.uvarint())
	r.uvarint() // the payload bytes
	return r, n
}

func (r *recordReader) uvarint() uint64 {
	var x uint64
	for shift := uint(0); ; shift += 7 {
		c := r.s[r.pos]
		r.pos++
		if c < 0x80 {
			return x | uint64(c)<<shift
		}
		x |= uint64(c&0x7f) << shift
	}
}

func (r *recordReader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1) // zigzag, as binary.AppendVarint writes it
}

// next decodes the next record.
func (r *recordReader) next() Record {
	rec := Record{Timestamp: r.prev.Timestamp + time.Duration(r.varint())}
	rec.Value = r.prev.Value + r.varint()
	rec.Size = r.prev.Size + int32(r.varint())
	n := int(r.uvarint())
	rec.Key = r.s[r.pos : r.pos+n]
	r.pos += n
	r.prev = rec
	return rec
}

// Records yields the records with their index in the batch (offset - BaseOffset).
func (b *RecordBatch) Records() iter.Seq2[int, Record] {
	return func(yield func(int, Record) bool) {
		r, n := b.reader()
		for i := range n {
			if !yield(i, r.next()) {
				return
			}
		}
	}
}

// AppendRecords appends the records, in offset order, to dst.
func (b *RecordBatch) AppendRecords(dst []Record) []Record {
	r, n := b.reader()
	dst = slices.Grow(dst, n)
	for range n {
		dst = append(dst, r.next())
	}
	return dst
}

// Count is the number of records.
func (b *RecordBatch) Count() int {
	if b.records == "" {
		return 0
	}
	if c := b.records[0]; c < 0x80 { // the usual one-byte count
		return int(c)
	}
	_, n := b.reader()
	return n
}

// FirstTimestamp is the first record's CreateTime (Kafka's batch baseTimestamp).
func (b *RecordBatch) FirstTimestamp() time.Duration {
	r, n := b.reader()
	if n == 0 {
		return 0
	}
	return time.Duration(r.varint()) // a delta from zero
}

// MaxTimestamp is the newest record's CreateTime (Kafka's batch maxTimestamp).
func (b *RecordBatch) MaxTimestamp() time.Duration { return b.maxTimestamp }

// LastOffset is the offset of the last record.
func (b *RecordBatch) LastOffset() int64 { return b.BaseOffset + int64(b.Count()) - 1 }

// NextOffset is the offset after the last record.
func (b *RecordBatch) NextOffset() int64 { return b.BaseOffset + int64(b.Count()) }

// LastSequence is the sequence of the last record (idempotent batches).
func (b *RecordBatch) LastSequence() int32 { return b.BaseSequence + int32(b.Count()) - 1 }

// Idempotent reports whether the batch carries a producer id.
func (b *RecordBatch) Idempotent() bool { return b.ProducerID != NoProducerID }

// UncompressedBytes is the size of the records section before compression.
func (b *RecordBatch) UncompressedBytes() int {
	if b.records == "" {
		return 0
	}
	r := recordReader{s: b.records}
	n := int(r.uvarint())
	return n*RecordOverhead + int(r.uvarint())
}

// mix is a 64-bit finalizer (splitmix64's), cheap and well spread.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// mixString folds s into h eight bytes at a time, then its length, so that "a" and
// "a\x00" differ.
func mixString(h uint64, s string) uint64 {
	for ; len(s) >= 8; s = s[8:] {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		h = bits.RotateLeft64((h^w)*0x9e3779b97f4a7c15, 31)
	}
	var w uint64
	for i := 0; i < len(s); i++ {
		w |= uint64(s[i]) << (8 * i)
	}
	return mix(h ^ w ^ uint64(len(s))<<59)
}

// ComputeCRC is the batch checksum over its attributes and records, excluding
// BaseOffset and PartitionLeaderEpoch so that the leader's offset assignment keeps it.
func (b *RecordBatch) ComputeCRC() uint32 {
	h := mix(uint64(b.ProducerID) ^ uint64(b.ProducerEpoch)<<48 ^ uint64(uint32(b.BaseSequence))<<8)
	h = mix(h ^ uint64(b.Compression)<<56 ^ uint64(b.Payload)<<48 ^ uint64(b.SizeBytes)<<20)
	// The packed records say everything about them, as the bytes do in Kafka.
	h = mixString(h, b.records)
	return uint32(h) ^ uint32(h>>32)
}

// Valid reports whether CRC matches the batch's contents.
func (b *RecordBatch) Valid() bool { return b.CRC == b.ComputeCRC() }

// DiskSum is the checksum a log writes beside a batch on disk: the CRC bound to the
// offset, epoch and size, so that a misplaced or altered entry is caught on recovery.
func (b *RecordBatch) DiskSum() uint32 {
	h := mix(uint64(b.CRC) ^ uint64(b.BaseOffset)<<32 ^ uint64(uint32(b.PartitionLeaderEpoch))<<8 ^ uint64(b.SizeBytes)<<1)
	return uint32(h) ^ uint32(h>>32)
}

// Stamp sets the leader's offset and epoch as it appends the batch. The first time, the
// leader takes the batch over, as it takes over a request's bytes; a batch stamped
// before (sent again: a retry, or a request delivered twice) is copied, so that a batch
// in a log never changes. The packed records are always shared.
func (b *RecordBatch) Stamp(base int64, epoch int32) *RecordBatch {
	c := b
	if b.stamped {
		cp := *b
		c = &cp
	}
	c.stamped = true
	c.BaseOffset, c.PartitionLeaderEpoch = base, epoch
	return c
}

// String is a short description for traces and golden files.
func (b *RecordBatch) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "[%d..%d] epoch=%d", b.BaseOffset, b.LastOffset(), b.PartitionLeaderEpoch)
	if b.Idempotent() {
		fmt.Fprintf(&sb, " pid=%d/%d seq=%d", b.ProducerID, b.ProducerEpoch, b.BaseSequence)
	}
	sb.WriteString(" values=")
	recs := b.AppendRecords(nil)
	for i := range recs {
		if i > 0 {
			sb.WriteByte(',')
		}
		if i == 4 && len(recs) > 6 {
			fmt.Fprintf(&sb, "...,%d", recs[len(recs)-1].Value)
			break
		}
		sb.WriteString(strconv.FormatInt(recs[i].Value, 10))
	}
	return sb.String()
}
