package group

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// harness drives one Coordinator that owns every partition of a small
// __consumer_offsets, keeping the committed log so that a second coordinator can load
// it. Appends complete at once unless hold is set.
type harness struct {
	t    *testing.T
	c    *Coordinator
	now  time.Duration
	log  map[int32][]proto.Record
	hold bool
	held []Append
	corr int64
}

func testConfig() Config {
	cfg := DefaultConfig()
	cfg.GroupInitialRebalanceDelay = 0
	cfg.OffsetsTopicNumPartitions = 4
	return cfg
}

func newHarness(t *testing.T, cfg Config) *harness {
	h := &harness{t: t, c: New(cfg, 42), log: map[int32][]proto.Record{}}
	for p := int32(0); p < cfg.OffsetsTopicNumPartitions; p++ {
		h.c.Load(p, nil, 0)
	}
	return h
}

// run applies effects, completing appends (unless held), and returns the replies.
func (h *harness) run(e Effects) []Reply {
	replies := e.Replies
	for _, a := range e.Appends {
		if h.hold {
			h.held = append(h.held, a)
			continue
		}
		replies = append(replies, h.complete(a, proto.NONE)...)
	}
	return replies
}

func (h *harness) complete(a Append, err proto.ErrorCode) []Reply {
	if err == proto.NONE {
		h.log[a.Partition] = append(h.log[a.Partition], a.Records...)
	}
	return h.run(h.c.AppendDone(a.ID, err, h.now))
}

func (h *harness) join(from node.ID, group, memberID string, topics ...string) []Reply {
	h.corr++
	return h.run(h.c.JoinGroup(h.now, from, &proto.JoinGroupRequest{Correlation: h.corr, GroupID: group, MemberID: memberID,
		ClientID: "c" + string(rune('0'+from)), SessionTimeout: 10 * time.Second, RebalanceTimeout: 30 * time.Second,
		ProtocolType: proto.ConsumerProtocolType,
		Protocols:    []proto.JoinGroupProtocol{{Name: "range", Metadata: proto.ConsumerSubscription{Topics: topics}}}}))
}

// joinNew joins with MEMBER_ID_REQUIRED's round trip and returns the member id and the
// replies to the second join.
func (h *harness) joinNew(from node.ID, group string, topics ...string) (string, []Reply) {
	r := h.join(from, group, "", topics...)
	require.Len(h.t, r, 1)
	jr := r[0].Msg.(*proto.JoinGroupResponse)
	require.Equal(h.t, proto.MEMBER_ID_REQUIRED, jr.Err)
	require.NotEmpty(h.t, jr.MemberID)
	return jr.MemberID, h.join(from, group, jr.MemberID, topics...)
}

func (h *harness) sync(from node.ID, group, member string, gen int32, assign map[string][]proto.TopicPartition) []Reply {
	h.corr++
	req := &proto.SyncGroupRequest{Correlation: h.corr, GroupID: group, GenerationID: gen, MemberID: member, ProtocolName: "range"}
	for id, tps := range assign {
		req.Assignments = append(req.Assignments, proto.SyncGroupAssignment{MemberID: id, Assignment: proto.ConsumerAssignment{Partitions: tps}})
	}
	return h.run(h.c.SyncGroup(h.now, from, req))
}

func (h *harness) heartbeat(from node.ID, group, member string, gen int32) proto.ErrorCode {
	h.corr++
	r := h.run(h.c.Heartbeat(h.now, from, &proto.HeartbeatRequest{Correlation: h.corr, GroupID: group, GenerationID: gen, MemberID: member}))
	require.Len(h.t, r, 1)
	return r[0].Msg.(*proto.HeartbeatResponse).Err
}

func (h *harness) commit(from node.ID, group, member string, gen int32, offsets map[proto.TopicPartition]int64) []Reply {
	h.corr++
	req := &proto.OffsetCommitRequest{Correlation: h.corr, GroupID: group, GenerationID: gen, MemberID: member}
	for tp, o := range offsets {
		req.Partitions = append(req.Partitions, proto.OffsetCommitPartition{TopicPartition: tp, CommittedOffset: o, CommittedLeaderEpoch: 1})
	}
	return h.run(h.c.OffsetCommit(h.now, from, req))
}

func (h *harness) fetch(group string, tps ...proto.TopicPartition) *proto.OffsetFetchResponse {
	h.corr++
	r := h.run(h.c.OffsetFetch(h.now, 9, &proto.OffsetFetchRequest{Correlation: h.corr, GroupID: group, Partitions: tps}))
	require.Len(h.t, r, 1)
	return r[0].Msg.(*proto.OffsetFetchResponse)
}

func (h *harness) tick(to time.Duration) []Reply {
	h.now = to
	return h.run(h.c.Tick(to))
}

func joinResp(t *testing.T, r Reply) *proto.JoinGroupResponse {
	jr, ok := r.Msg.(*proto.JoinGroupResponse)
	require.True(t, ok, "want a JoinGroupResponse, got %T", r.Msg)
	return jr
}

func syncResp(t *testing.T, r Reply) *proto.SyncGroupResponse {
	sr, ok := r.Msg.(*proto.SyncGroupResponse)
	require.True(t, ok, "want a SyncGroupResponse, got %T", r.Msg)
	return sr
}

var (
	tp0 = proto.TopicPartition{Topic: "orders", Partition: 0}
	tp1 = proto.TopicPartition{Topic: "orders", Partition: 1}
)

func TestPartitionForMatchesKafka(t *testing.T) {
	// Java: "".hashCode()==0, "a"==97, "abc"==96354, "Aa"=="BB"==2112, and
	// "polygenelubricants".hashCode()==Integer.MIN_VALUE, which Kafka's Utils.abs
	// maps to 0.
	assert.Equal(t, int32(0), javaStringHashCode(""))
	assert.Equal(t, int32(97), javaStringHashCode("a"))
	assert.Equal(t, int32(96354), javaStringHashCode("abc"))
	assert.Equal(t, javaStringHashCode("Aa"), javaStringHashCode("BB"))
	assert.Equal(t, int32(-1<<31), javaStringHashCode("polygenelubricants"))
	assert.Equal(t, int32(0), PartitionFor("polygenelubricants", 50))
	assert.Equal(t, int32(96354%50), PartitionFor("abc", 50))
	assert.Equal(t, int32(99162322), javaStringHashCode("hello"))
	// A negative hash is made positive before the modulo.
	neg := "polygenelubricantz"
	require.Negative(t, javaStringHashCode(neg))
	assert.Equal(t, -javaStringHashCode(neg)%50, PartitionFor(neg, 50))
	// A character outside the BMP counts as its two UTF-16 code units.
	assert.Equal(t, int32(0xD83D*31+0xDE00), javaStringHashCode("\U0001F600"))
}

func TestRecordsRoundTrip(t *testing.T) {
	c := Committed{Offset: 42, LeaderEpoch: 3, CommitTime: 5 * time.Second}
	tp := proto.TopicPartition{Topic: "odd \"topic\" name", Partition: 7}
	r, err := DecodeRecord(EncodeOffsetCommit("g 1", tp, c))
	require.NoError(t, err)
	assert.Equal(t, Record{Kind: OffsetCommitRecord, GroupID: "g 1", TP: tp, Committed: c}, r)

	md := GroupMetadata{Generation: 4, Protocol: "cooperative-sticky", Leader: "m1", Members: []MemberMetadata{
		{MemberID: "m1", ClientID: "c1", Node: 11, SessionTimeout: 10 * time.Second, RebalanceTimeout: time.Minute,
			Subscription: proto.ConsumerSubscription{Topics: []string{"orders", "x y"}, OwnedPartitions: []proto.TopicPartition{tp0}, GenerationID: 3},
			Assignment:   proto.ConsumerAssignment{Partitions: []proto.TopicPartition{tp0, tp1}}},
		{MemberID: "m2", ClientID: "c2", Node: 12, SessionTimeout: 10 * time.Second, RebalanceTimeout: time.Minute,
			Subscription: proto.ConsumerSubscription{Topics: []string{"orders"}, GenerationID: -1}},
	}}
	rec := EncodeGroupMetadata("grp", md, time.Second)
	assert.Positive(t, rec.Size)
	r, err = DecodeRecord(rec)
	require.NoError(t, err)
	assert.Equal(t, GroupMetadataRecord, r.Kind)
	assert.Equal(t, "grp", r.GroupID)
	assert.Equal(t, md, r.Group)

	for _, bad := range []string{"", "offset", "offset \"g\" \"t\" x 1 1", "group \"g\" 1 \"p\" \"l\" 99999999999", "bogus 1", "offset \"g\" \"t\" 1 2 3 extra"} {
		_, err := DecodeRecord(proto.Record{Key: bad})
		assert.Error(t, err, "%q", bad)
	}
}

func TestGroupFormsAndSplits(t *testing.T) {
	h := newHarness(t, testConfig())
	m1, r := h.joinNew(1, "g", "orders")
	require.Len(t, r, 1)
	j1 := joinResp(t, r[0])
	require.Equal(t, proto.NONE, j1.Err)
	assert.Equal(t, int32(1), j1.GenerationID)
	assert.Equal(t, m1, j1.Leader, "the only member leads")
	assert.Len(t, j1.Members, 1)
	r = h.sync(1, "g", m1, 1, map[string][]proto.TopicPartition{m1: {tp0, tp1}})
	require.Len(t, r, 1)
	assert.Equal(t, []proto.TopicPartition{tp0, tp1}, syncResp(t, r[0]).Assignment.Partitions)
	gi, _ := h.c.Describe("g")
	assert.Equal(t, Stable, gi.State)

	// A second member: its join parks, the first learns through its heartbeat.
	m2, r := h.joinNew(2, "g", "orders")
	assert.Empty(t, r, "the join waits for the other member")
	assert.Equal(t, proto.REBALANCE_IN_PROGRESS, h.heartbeat(1, "g", m1, 1))
	r = h.join(1, "g", m1, "orders")
	require.Len(t, r, 2)
	var leaderResp *proto.JoinGroupResponse
	for _, x := range r {
		jr := joinResp(t, x)
		assert.Equal(t, int32(2), jr.GenerationID)
		assert.Equal(t, m1, jr.Leader, "the leader keeps leading")
		if jr.MemberID == m1 {
			leaderResp = jr
		} else {
			assert.Empty(t, jr.Members, "only the leader sees the members")
		}
	}
	require.NotNil(t, leaderResp)
	assert.Len(t, leaderResp.Members, 2)

	// Fencing while completing: old generation, commit during CompletingRebalance.
	assert.Equal(t, proto.ILLEGAL_GENERATION, h.heartbeat(1, "g", m1, 1))
	assert.Equal(t, proto.UNKNOWN_MEMBER_ID, h.heartbeat(1, "g", "nobody", 2))
	r = h.commit(2, "g", m2, 2, map[proto.TopicPartition]int64{tp0: 5})
	require.Len(t, r, 1)
	assert.Equal(t, proto.REBALANCE_IN_PROGRESS, r[0].Msg.(*proto.OffsetCommitResponse).Partitions[0].Err)

	// The follower's sync waits for the leader's; the assignment is stored first.
	assert.Empty(t, h.sync(2, "g", m2, 2, nil))
	h.hold = true
	assert.Empty(t, h.sync(1, "g", m1, 2, map[string][]proto.TopicPartition{m1: {tp0}, m2: {tp1}}))
	require.Len(t, h.held, 1, "the assignment is appended to __consumer_offsets")
	h.hold = false
	r = h.complete(h.held[0], proto.NONE)
	h.held = nil
	require.Len(t, r, 2)
	got := map[node.ID][]proto.TopicPartition{}
	for _, x := range r {
		got[x.To] = syncResp(t, x).Assignment.Partitions
	}
	assert.Equal(t, map[node.ID][]proto.TopicPartition{1: {tp0}, 2: {tp1}}, got)
	assert.Equal(t, proto.NONE, h.heartbeat(2, "g", m2, 2))
}

// formGroup builds a stable group of members on nodes 1..n with a trivial assignment.
func formGroup(t *testing.T, h *harness, n int) []string {
	var ids []string
	for i := 1; i <= n; i++ {
		id, _ := h.joinNew(node.ID(i), "g", "orders")
		ids = append(ids, id)
		// Everyone else rejoins.
		for j, other := range ids[:len(ids)-1] {
			h.join(node.ID(j+1), "g", other, "orders")
		}
		gi, _ := h.c.Describe("g")
		require.Equal(t, CompletingRebalance, gi.State)
		assign := map[string][]proto.TopicPartition{}
		for k, m := range gi.Members {
			assign[m.MemberID] = []proto.TopicPartition{{Topic: "orders", Partition: int32(k)}}
		}
		for k, m := range gi.Members {
			if m.MemberID != gi.Leader {
				h.sync(node.ID(k+1), "g", m.MemberID, gi.Generation, nil)
			}
		}
		h.sync(node.ID(1), "g", gi.Leader, gi.Generation, assign)
		gi, _ = h.c.Describe("g")
		require.Equal(t, Stable, gi.State)
	}
	return ids
}

func TestSessionExpiryRebalances(t *testing.T) {
	h := newHarness(t, testConfig())
	ids := formGroup(t, h, 2)
	gi, _ := h.c.Describe("g")
	gen := gi.Generation
	next, ok := h.c.NextDeadline()
	require.True(t, ok)
	assert.Equal(t, 10*time.Second, next, "session.timeout.ms after the last contact")

	// Member 1 heartbeats, member 2 goes silent.
	h.now = 8 * time.Second
	assert.Equal(t, proto.NONE, h.heartbeat(1, "g", ids[0], gen))
	assert.Empty(t, h.tick(10*time.Second))
	gi, _ = h.c.Describe("g")
	assert.Equal(t, PreparingRebalance, gi.State, "member 2 expired")
	assert.Len(t, gi.Members, 1)
	assert.Equal(t, proto.REBALANCE_IN_PROGRESS, h.heartbeat(1, "g", ids[0], gen))
	r := h.join(1, "g", ids[0], "orders")
	require.Len(t, r, 1)
	assert.Equal(t, gen+1, joinResp(t, r[0]).GenerationID)
	// The expired member is fenced.
	assert.Equal(t, proto.UNKNOWN_MEMBER_ID, h.heartbeat(2, "g", ids[1], gen))
}

func TestJoinDeadlineRemovesMembersThatDoNotRejoin(t *testing.T) {
	// A member stuck in processing (past max.poll.interval.ms) keeps heartbeating from
	// its background thread but never rejoins: the join phase ends without it after
	// the rebalance timeout.
	h := newHarness(t, testConfig())
	ids := formGroup(t, h, 3)
	gi, _ := h.c.Describe("g")
	gen := gi.Generation
	h.now = time.Second
	assert.Empty(t, h.leave(3, "g", ids[2]))
	gi, _ = h.c.Describe("g")
	require.Equal(t, PreparingRebalance, gi.State)
	assert.Empty(t, h.join(1, "g", ids[0], "orders"), "member 2 has not rejoined yet")
	for s := 5 * time.Second; s < 31*time.Second; s += 5 * time.Second {
		h.now = s
		assert.Equal(t, proto.REBALANCE_IN_PROGRESS, h.heartbeat(2, "g", ids[1], gen))
		assert.Empty(t, h.tick(s))
	}
	r := h.tick(31 * time.Second)
	require.Len(t, r, 1, "the join phase ends at the rebalance timeout")
	jr := joinResp(t, r[0])
	assert.Equal(t, ids[0], jr.MemberID)
	assert.Equal(t, gen+1, jr.GenerationID)
	assert.Len(t, jr.Members, 1)
	assert.Equal(t, proto.UNKNOWN_MEMBER_ID, h.heartbeat(2, "g", ids[1], gen))
	r = h.join(2, "g", ids[1], "orders")
	assert.Equal(t, proto.UNKNOWN_MEMBER_ID, joinResp(t, r[0]).Err, "a removed member must join as new")
}

func TestLastMemberLeavingEmptiesTheGroup(t *testing.T) {
	h := newHarness(t, testConfig())
	ids := formGroup(t, h, 1)
	h.commit(1, "g", ids[0], 1, map[proto.TopicPartition]int64{tp0: 7})
	assert.Empty(t, h.leave(1, "g", ids[0]))
	gi, ok := h.c.Describe("g")
	require.True(t, ok, "the group keeps its offsets")
	assert.Equal(t, Empty, gi.State)
	assert.Equal(t, int32(2), gi.Generation)
	assert.Equal(t, int64(7), h.fetch("g", tp0).Partitions[0].CommittedOffset)
	// Empty groups accept commits from consumers outside group management only.
	r := h.commit(5, "g", "", proto.NoGeneration, map[proto.TopicPartition]int64{tp0: 9})
	assert.Equal(t, proto.NONE, r[0].Msg.(*proto.OffsetCommitResponse).Partitions[0].Err)
	r = h.commit(5, "g", ids[0], 1, map[proto.TopicPartition]int64{tp0: 10})
	assert.Equal(t, proto.ILLEGAL_GENERATION, r[0].Msg.(*proto.OffsetCommitResponse).Partitions[0].Err)
	assert.Equal(t, int64(9), h.fetch("g", tp0).Partitions[0].CommittedOffset)
}

func (h *harness) leave(from node.ID, group string, ids ...string) []Reply {
	h.corr++
	r := h.run(h.c.LeaveGroup(h.now, from, &proto.LeaveGroupRequest{Correlation: h.corr, GroupID: group, Members: ids}))
	require.NotEmpty(h.t, r)
	require.Equal(h.t, proto.NONE, r[len(r)-1].Msg.(*proto.LeaveGroupResponse).Err)
	return r[:len(r)-1]
}

func TestCommitsAreAppliedOnlyOnceReplicated(t *testing.T) {
	h := newHarness(t, testConfig())
	ids := formGroup(t, h, 1)
	h.hold = true
	assert.Empty(t, h.commit(1, "g", ids[0], 1, map[proto.TopicPartition]int64{tp0: 3}), "no answer before the append commits")
	require.Len(t, h.held, 1)
	assert.Equal(t, h.c.PartitionFor("g"), h.held[0].Partition)
	assert.Equal(t, int64(-1), h.fetch("g", tp0).Partitions[0].CommittedOffset, "not visible before it is replicated")
	h.hold = false
	r := h.complete(h.held[0], proto.NOT_ENOUGH_REPLICAS)
	h.held = nil
	require.Len(t, r, 1)
	assert.Equal(t, proto.COORDINATOR_NOT_AVAILABLE, r[0].Msg.(*proto.OffsetCommitResponse).Partitions[0].Err)
	assert.Equal(t, int64(-1), h.fetch("g", tp0).Partitions[0].CommittedOffset)

	r = h.commit(1, "g", ids[0], 1, map[proto.TopicPartition]int64{tp0: 4, tp1: 8})
	require.Len(t, r, 1)
	for _, p := range r[0].Msg.(*proto.OffsetCommitResponse).Partitions {
		assert.Equal(t, proto.NONE, p.Err)
	}
	f := h.fetch("g")
	require.Len(t, f.Partitions, 2, "nil partitions fetches everything")
	assert.Equal(t, tp0, f.Partitions[0].TopicPartition)
	assert.Equal(t, int64(4), f.Partitions[0].CommittedOffset)
	assert.Equal(t, int32(1), f.Partitions[0].CommittedLeaderEpoch)
	assert.Equal(t, int64(8), f.Partitions[1].CommittedOffset)
	// Stale generations and unknown members are fenced.
	r = h.commit(1, "g", ids[0], 0, map[proto.TopicPartition]int64{tp0: 99})
	assert.Equal(t, proto.ILLEGAL_GENERATION, r[0].Msg.(*proto.OffsetCommitResponse).Partitions[0].Err)
	r = h.commit(1, "g", "ghost", 1, map[proto.TopicPartition]int64{tp0: 99})
	assert.Equal(t, proto.UNKNOWN_MEMBER_ID, r[0].Msg.(*proto.OffsetCommitResponse).Partitions[0].Err)
	r = h.commit(1, "g", "", proto.NoGeneration, map[proto.TopicPartition]int64{tp0: 99})
	assert.Equal(t, proto.UNKNOWN_MEMBER_ID, r[0].Msg.(*proto.OffsetCommitResponse).Partitions[0].Err, "assign-mode commits need an empty group")
	assert.Equal(t, int64(4), h.fetch("g", tp0).Partitions[0].CommittedOffset)
}

func TestNewCoordinatorLoadsGroupsFromTheLog(t *testing.T) {
	h := newHarness(t, testConfig())
	ids := formGroup(t, h, 2)
	gi, _ := h.c.Describe("g")
	h.commit(1, "g", ids[0], gi.Generation, map[proto.TopicPartition]int64{tp0: 11})
	h.commit(2, "g", ids[1], gi.Generation, map[proto.TopicPartition]int64{tp1: 22})
	h.commit(1, "g", ids[0], gi.Generation, map[proto.TopicPartition]int64{tp0: 12})
	// A commit still in flight when the coordinator dies was never answered, and is
	// not in the log the next coordinator reads.
	h.hold = true
	h.commit(1, "g", ids[0], gi.Generation, map[proto.TopicPartition]int64{tp0: 13})
	p := h.c.PartitionFor("g")
	r := h.run(h.c.Unload(p))
	require.Len(t, r, 1)
	assert.Equal(t, proto.NOT_COORDINATOR, r[0].Msg.(*proto.OffsetCommitResponse).Partitions[0].Err)
	assert.Equal(t, proto.NOT_COORDINATOR, h.heartbeat(1, "g", ids[0], gi.Generation))
	h.hold = false

	// Another broker takes over and replays the partition.
	h2 := &harness{t: t, c: New(testConfig(), 7), log: h.log, now: 20 * time.Second, corr: 100}
	assert.Zero(t, h2.c.Load(p, h.log[p], h2.now))
	gi2, ok := h2.c.Describe("g")
	require.True(t, ok)
	assert.Equal(t, Stable, gi2.State)
	assert.Equal(t, gi.Generation, gi2.Generation)
	assert.Equal(t, gi.Leader, gi2.Leader)
	assert.Equal(t, gi.Members, func() []MemberInfo {
		for i := range gi2.Members {
			gi2.Members[i].Node = gi.Members[i].Node
		}
		return gi2.Members
	}())
	f := h2.fetch("g", tp0, tp1)
	assert.Equal(t, int64(12), f.Partitions[0].CommittedOffset)
	assert.Equal(t, int64(22), f.Partitions[1].CommittedOffset)
	// Members carry on in their generation; the one that died expires later.
	assert.Equal(t, proto.NONE, h2.heartbeat(1, "g", ids[0], gi.Generation))
	h2.now = 28 * time.Second
	assert.Equal(t, proto.NONE, h2.heartbeat(1, "g", ids[0], gi.Generation))
	h2.tick(30 * time.Second)
	gi2, _ = h2.c.Describe("g")
	assert.Equal(t, PreparingRebalance, gi2.State, "member 2 never came back")
	// A record that does not decode is skipped, not fatal.
	h3 := New(testConfig(), 8)
	assert.Equal(t, 1, h3.Load(p, append([]proto.Record{{Key: "garbage"}}, h.log[p]...), 0))
}

func TestInitialRebalanceDelayGathersMembers(t *testing.T) {
	cfg := testConfig()
	cfg.GroupInitialRebalanceDelay = 3 * time.Second
	h := newHarness(t, cfg)
	_, r := h.joinNew(1, "g", "orders")
	assert.Empty(t, r, "the first rebalance waits for more members")
	h.now = 2 * time.Second
	_, r = h.joinNew(2, "g", "orders")
	assert.Empty(t, r)
	next, _ := h.c.NextDeadline()
	assert.Equal(t, 5*time.Second, next, "each new member extends the delay")
	r = h.tick(5 * time.Second)
	require.Len(t, r, 2)
	for _, x := range r {
		assert.Equal(t, int32(1), joinResp(t, x).GenerationID, "both in the first generation")
	}
}

func TestProtocolSelectionAndInconsistentProtocols(t *testing.T) {
	h := newHarness(t, testConfig())
	join := func(from node.ID, id string, names ...string) []Reply {
		h.corr++
		req := &proto.JoinGroupRequest{Correlation: h.corr, GroupID: "g", MemberID: id, ClientID: "c", SessionTimeout: 10 * time.Second,
			RebalanceTimeout: 30 * time.Second, ProtocolType: proto.ConsumerProtocolType}
		for _, n := range names {
			req.Protocols = append(req.Protocols, proto.JoinGroupProtocol{Name: n})
		}
		return h.run(h.c.JoinGroup(h.now, from, req))
	}
	id1 := joinResp(t, join(1, "", "range", "roundrobin")[0]).MemberID
	r := join(1, id1, "range", "roundrobin")
	assert.Equal(t, "range", joinResp(t, r[0]).ProtocolName)
	r = join(3, "", "cooperative-sticky")
	assert.Equal(t, proto.INCONSISTENT_GROUP_PROTOCOL, joinResp(t, r[0]).Err)
	id2 := joinResp(t, join(2, "", "roundrobin", "range")[0]).MemberID
	join(2, id2, "roundrobin", "range")
	id3 := joinResp(t, join(3, "", "roundrobin")[0]).MemberID
	join(3, id3, "roundrobin")
	r = join(1, id1, "range", "roundrobin")
	require.Len(t, r, 3)
	for _, x := range r {
		assert.Equal(t, "roundrobin", joinResp(t, x).ProtocolName, "only roundrobin is common")
	}
	h.corr++
	r = h.run(h.c.JoinGroup(0, 4, &proto.JoinGroupRequest{Correlation: h.corr, GroupID: "g", SessionTimeout: time.Second,
		ProtocolType: proto.ConsumerProtocolType, Protocols: []proto.JoinGroupProtocol{{Name: "range"}}}))
	assert.Equal(t, proto.INVALID_SESSION_TIMEOUT, joinResp(t, r[0]).Err)
}

func TestNotCoordinatorForUnloadedPartitions(t *testing.T) {
	c := New(testConfig(), 1)
	e := c.Heartbeat(0, 1, &proto.HeartbeatRequest{GroupID: "g"})
	require.Len(t, e.Replies, 1)
	assert.Equal(t, proto.NOT_COORDINATOR, e.Replies[0].Msg.(*proto.HeartbeatResponse).Err)
	e = c.OffsetFetch(0, 1, &proto.OffsetFetchRequest{GroupID: "g"})
	assert.Equal(t, proto.NOT_COORDINATOR, e.Replies[0].Msg.(*proto.OffsetFetchResponse).Err)
	assert.False(t, c.Owns("g"))
	c.Load(c.PartitionFor("g"), nil, 0)
	assert.True(t, c.Owns("g"))
	assert.Equal(t, []int32{c.PartitionFor("g")}, c.LoadedPartitions())
}

func TestUnloadAnswersParkedJoins(t *testing.T) {
	h := newHarness(t, testConfig())
	ids := formGroup(t, h, 2)
	h.join(1, "g", ids[0], "orders")
	r := h.run(h.c.Unload(h.c.PartitionFor("g")))
	require.Len(t, r, 1)
	assert.Equal(t, proto.NOT_COORDINATOR, joinResp(t, r[0]).Err)
	_, ok := h.c.Describe("g")
	assert.False(t, ok)
}

// A commit's records are EncodeOffsetCommit's, whichever memory they come from: new,
// or handed back by Recycle.
func TestCommitRecordsAndRecycle(t *testing.T) {
	h := newHarness(t, testConfig())
	ids := formGroup(t, h, 1)
	commit := func(base int64, n int) Effects {
		h.corr++
		req := &proto.OffsetCommitRequest{Correlation: h.corr, GroupID: "g", GenerationID: 1, MemberID: ids[0]}
		for i := range n {
			req.Partitions = append(req.Partitions, proto.OffsetCommitPartition{TopicPartition: proto.TopicPartition{Topic: "t", Partition: int32(i)},
				CommittedOffset: base + int64(i), CommittedLeaderEpoch: int32(i)})
		}
		e := h.c.OffsetCommit(h.now, 1, req)
		require.Len(t, e.Appends, 1)
		require.Len(t, e.Appends[0].Records, n)
		for i, p := range req.Partitions {
			want := EncodeOffsetCommit("g", p.TopicPartition, Committed{Offset: p.CommittedOffset, LeaderEpoch: p.CommittedLeaderEpoch, CommitTime: h.now})
			assert.Equal(t, want, e.Appends[0].Records[i])
		}
		return e
	}
	h.now = time.Second
	e := commit(100, 6) // more partitions than a commit's response holds inline
	first := slices.Clone(e.Appends[0].Records)
	r := h.run(e)
	require.Len(t, r, 1)
	assert.Len(t, r[0].Msg.(*proto.OffsetCommitResponse).Partitions, 6)
	recs := e.Appends[0].Records
	h.c.Recycle(e)
	assert.Empty(t, recs[0].Key, "Recycle drops the records' keys")

	h.now = 2 * time.Second
	e = commit(200, 3)
	assert.Same(t, &recs[0], &e.Appends[0].Records[0], "the recycled records' memory is reused")
	r = h.run(e)
	require.Len(t, r, 1)
	assert.Len(t, r[0].Msg.(*proto.OffsetCommitResponse).Partitions, 3)
	assert.Equal(t, first, h.log[h.c.PartitionFor("g")][len(h.log[h.c.PartitionFor("g")])-9:][:6], "the log kept the first commit's records")
	f := h.fetch("g")
	require.Len(t, f.Partitions, 6)
	assert.Equal(t, int64(200), f.Partitions[0].CommittedOffset)
	assert.Equal(t, int64(105), f.Partitions[5].CommittedOffset)
}
