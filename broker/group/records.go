package group

// The records of __consumer_offsets.
//
// Kafka keeps two kinds of record in the offsets topic: an offset commit, keyed by
// (group, topic, partition), whose value is the offset, its leader epoch and the commit
// time; and group metadata, keyed by the group, whose value is the generation, the
// protocol, the leader and every member with its subscription and assignment. The last
// record for a key wins when the log is replayed.
//
// logsim's records are descriptors without payload bytes (DESIGN.md, "Records and
// payloads"), so the structured part travels in the record's Key, as a compact text
// with quoted strings: the replay reads it back exactly. Value is unused (0), Size is
// what Kafka's encoding of the value would take, and Timestamp is the commit time.

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"logsim/broker/proto"
)

// PartitionFor is the partition of __consumer_offsets that holds a group, as Kafka
// computes it: abs(groupID.hashCode()) % partitions, with Java's String.hashCode over
// UTF-16 code units and Kafka's Utils.abs (which maps MinInt32 to 0).
func PartitionFor(groupID string, partitions int32) int32 {
	if !(partitions > 0) {
		assertf(false, "PartitionFor(%q, %d): no partitions", groupID, partitions)
	}
	h := javaStringHashCode(groupID)
	if h == -1<<31 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % partitions
}

// javaStringHashCode is java.lang.String.hashCode: s[0]*31^(n-1) + ... over the UTF-16
// code units, in int32 arithmetic.
func javaStringHashCode(s string) int32 {
	var h int32
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}

// RecordKind says what an offsets-topic record holds.
type RecordKind uint8

// The kinds of record.
const (
	// OffsetCommitRecord is a committed offset of one partition.
	OffsetCommitRecord RecordKind = iota + 1
	// GroupMetadataRecord is a group's generation, protocol, leader and members.
	GroupMetadataRecord
)

// Committed is a committed position: the next offset to read and the leader epoch of
// the record before it (-1 if unknown).
type Committed struct {
	Offset      int64
	LeaderEpoch int32
	// CommitTime is when the coordinator accepted it.
	CommitTime time.Duration
}

// MemberMetadata is a member as stored in a GroupMetadataRecord.
type MemberMetadata struct {
	MemberID         string
	ClientID         string
	Node             int32
	SessionTimeout   time.Duration
	RebalanceTimeout time.Duration
	Subscription     proto.ConsumerSubscription
	Assignment       proto.ConsumerAssignment
}

// GroupMetadata is a group as stored in a GroupMetadataRecord: no members means empty.
type GroupMetadata struct {
	Generation int32
	Protocol   string
	Leader     string
	Members    []MemberMetadata
}

// Record is a decoded offsets-topic record.
type Record struct {
	Kind    RecordKind
	GroupID string
	// OffsetCommitRecord
	TP        proto.TopicPartition
	Committed Committed
	// GroupMetadataRecord
	Group GroupMetadata
}

// EncodeOffsetCommit makes the record of a commit.
func EncodeOffsetCommit(groupID string, tp proto.TopicPartition, c Committed) proto.Record {
	var buf [128]byte // on the stack for usual names: the key is the only allocation
	return offsetCommitRecord(string(appendOffsetCommitKey(buf[:0], groupID, tp, c)), c)
}

// offsetCommitRecord is the record of commit c under key.
func offsetCommitRecord(key string, c Committed) proto.Record {
	// Kafka's OffsetCommitValue v3: offset, leader epoch, metadata, commit time.
	return proto.Record{Key: key, Size: 8 + 4 + 2 + 8 + 2, Timestamp: c.CommitTime}
}

// encodeOffsetCommits appends to recs the records of a commit of ps by groupID at
// now, as EncodeOffsetCommit makes them, with their keys cut from one string: a
// commit's records are packed into a batch at once (proto.RecordBatch.SetRecords
// copies the keys), so one allocation serves them all.
func encodeOffsetCommits(recs []proto.Record, groupID string, ps []proto.OffsetCommitPartition, now time.Duration) []proto.Record {
	var stack [512]byte
	var endStack [16]int
	buf, ends := stack[:0], endStack[:0]
	for i := range ps {
		p := &ps[i]
		buf = appendOffsetCommitKey(buf, groupID, p.TopicPartition, Committed{Offset: p.CommittedOffset, LeaderEpoch: p.CommittedLeaderEpoch})
		ends = append(ends, len(buf))
	}
	keys := string(buf)
	start := 0
	for i, end := range ends {
		p := &ps[i]
		recs = append(recs, offsetCommitRecord(keys[start:end], Committed{Offset: p.CommittedOffset, LeaderEpoch: p.CommittedLeaderEpoch, CommitTime: now}))
		start = end
	}
	return recs
}

// appendOffsetCommitKey appends the key of the record of a commit to b.
func appendOffsetCommitKey(b []byte, groupID string, tp proto.TopicPartition, c Committed) []byte {
	b = append(b, "offset "...)
	b = strconv.AppendQuote(b, groupID)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, tp.Topic)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(tp.Partition), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, c.Offset, 10)
	b = append(b, ' ')
	return strconv.AppendInt(b, int64(c.LeaderEpoch), 10)
}

// EncodeGroupMetadata makes the record of a group's state.
func EncodeGroupMetadata(groupID string, g GroupMetadata, now time.Duration) proto.Record {
	var sb strings.Builder
	sb.WriteString("group ")
	sb.WriteString(strconv.Quote(groupID))
	fmt.Fprintf(&sb, " %d %s %s %d", g.Generation, strconv.Quote(g.Protocol), strconv.Quote(g.Leader), len(g.Members))
	size := 2 + 8 + 4 + 2 + len(g.Protocol) + 2 + len(g.Leader) + 8 + 4
	for i := range g.Members {
		m := &g.Members[i]
		fmt.Fprintf(&sb, " %s %s %d %d %d", strconv.Quote(m.MemberID), strconv.Quote(m.ClientID), m.Node,
			m.SessionTimeout.Milliseconds(), m.RebalanceTimeout.Milliseconds())
		fmt.Fprintf(&sb, " %d", len(m.Subscription.Topics))
		for _, t := range m.Subscription.Topics {
			sb.WriteByte(' ')
			sb.WriteString(strconv.Quote(t))
		}
		writeTPs(&sb, m.Subscription.OwnedPartitions)
		fmt.Fprintf(&sb, " %d", m.Subscription.GenerationID)
		writeTPs(&sb, m.Assignment.Partitions)
		size += 2 + len(m.MemberID) + 2 + len(m.ClientID) + 16 + 8 + m.Subscription.Size() + m.Assignment.Size()
	}
	return proto.Record{Key: sb.String(), Size: int32(size), Timestamp: now}
}

func writeTPs(sb *strings.Builder, tps []proto.TopicPartition) {
	fmt.Fprintf(sb, " %d", len(tps))
	for _, tp := range tps {
		sb.WriteByte(' ')
		sb.WriteString(strconv.Quote(tp.Topic))
		fmt.Fprintf(sb, " %d", tp.Partition)
	}
}

// DecodeRecord reads a record written by EncodeOffsetCommit or EncodeGroupMetadata.
func DecodeRecord(r proto.Record) (Record, error) {
	s := &scanner{s: r.Key}
	var out Record
	switch kind := s.word(); kind {
	case "offset":
		out.Kind = OffsetCommitRecord
		out.GroupID = s.quoted()
		out.TP.Topic = s.quoted()
		out.TP.Partition = int32(s.int())
		out.Committed.Offset = s.int()
		out.Committed.LeaderEpoch = int32(s.int())
		out.Committed.CommitTime = r.Timestamp
	case "group":
		out.Kind = GroupMetadataRecord
		out.GroupID = s.quoted()
		g := &out.Group
		g.Generation = int32(s.int())
		g.Protocol = s.quoted()
		g.Leader = s.quoted()
		n := s.count()
		for i := 0; i < n && s.err == nil; i++ {
			var m MemberMetadata
			m.MemberID, m.ClientID, m.Node = s.quoted(), s.quoted(), int32(s.int())
			m.SessionTimeout = time.Duration(s.int()) * time.Millisecond
			m.RebalanceTimeout = time.Duration(s.int()) * time.Millisecond
			nt := s.count()
			for j := 0; j < nt && s.err == nil; j++ {
				m.Subscription.Topics = append(m.Subscription.Topics, s.quoted())
			}
			m.Subscription.OwnedPartitions = s.tps()
			m.Subscription.GenerationID = int32(s.int())
			m.Assignment.Partitions = s.tps()
			g.Members = append(g.Members, m)
		}
	default:
		return Record{}, fmt.Errorf("offsets record %q: unknown kind %q", r.Key, kind)
	}
	if s.err == nil && strings.TrimSpace(s.s) != "" {
		s.err = fmt.Errorf("trailing %q", s.s)
	}
	if s.err != nil {
		return Record{}, fmt.Errorf("offsets record %q: %v", r.Key, s.err)
	}
	return out, nil
}

// scanner reads the space-separated words and quoted strings of a record key; the
// first error sticks.
type scanner struct {
	s   string
	err error
}

func (s *scanner) word() string {
	s.s = strings.TrimLeft(s.s, " ")
	i := strings.IndexByte(s.s, ' ')
	if i < 0 {
		i = len(s.s)
	}
	w := s.s[:i]
	s.s = s.s[i:]
	if w == "" && s.err == nil {
		s.err = fmt.Errorf("missing field")
	}
	return w
}

func (s *scanner) quoted() string {
	if s.err != nil {
		return ""
	}
	s.s = strings.TrimLeft(s.s, " ")
	q, err := strconv.QuotedPrefix(s.s)
	if err != nil {
		s.err = fmt.Errorf("want a quoted string at %q", s.s)
		return ""
	}
	s.s = s.s[len(q):]
	v, _ := strconv.Unquote(q)
	return v
}

func (s *scanner) int() int64 {
	if s.err != nil {
		return 0
	}
	w := s.word()
	n, err := strconv.ParseInt(w, 10, 64)
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("want an integer, got %q", w)
	}
	return n
}

// count reads a list length, bounded so a damaged record cannot ask for a huge list.
func (s *scanner) count() int {
	n := s.int()
	if (n < 0 || n > 1<<20) && s.err == nil {
		s.err = fmt.Errorf("bad count %d", n)
	}
	return int(n)
}

func (s *scanner) tps() []proto.TopicPartition {
	n := s.count()
	var out []proto.TopicPartition
	for i := 0; i < n && s.err == nil; i++ {
		t := s.quoted()
		out = append(out, proto.TopicPartition{Topic: t, Partition: int32(s.int())})
	}
	return out
}
