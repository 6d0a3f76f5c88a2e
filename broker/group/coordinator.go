package group

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"logsim/broker/node"
	"logsim/broker/proto"
)

// State is a group's state, as Kafka's GroupState.
type State uint8

// The group states.
const (
	// Empty: no members; the group may still hold committed offsets.
	Empty State = iota
	// PreparingRebalance: the join phase; members must (re)join.
	PreparingRebalance
	// CompletingRebalance: joined; waiting for the leader's assignment (SyncGroup).
	CompletingRebalance
	// Stable: every member has its assignment and heartbeats.
	Stable
)

var stateNames = [...]string{"Empty", "PreparingRebalance", "CompletingRebalance", "Stable"}

// String is Kafka's name for the state.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", s)
}

// Reply is a response to send to a node.
type Reply struct {
	To  node.ID
	Msg node.Message
}

// Append asks the host to append Records, as the leader, to partition Partition of
// __consumer_offsets, and to call AppendDone(ID, err) once they are committed (NONE)
// or have failed (the append's error, such as NOT_LEADER_OR_FOLLOWER or
// NOT_ENOUGH_REPLICAS).
type Append struct {
	ID        int64
	Partition int32
	Records   []proto.Record
}

// Effects are what one call on the Coordinator decided.
type Effects struct {
	Replies []Reply
	Appends []Append
}

// Coordinator serves the groups of the __consumer_offsets partitions it has loaded.
type Coordinator struct {
	cfg    Config
	idSeed uint64
	nextID uint64

	loaded map[int32]bool
	groups map[string]*group

	appendSeq int64
	pending   map[int64]*pendingAppend

	out Effects
	// spare and spareRecords are memory of Effects handed back by Recycle, for the
	// next calls to fill.
	spare        Effects
	spareRecords []proto.Record
}

// parked is a request whose response waits: a JoinGroup during the join phase, a
// SyncGroup until the leader's assignment is stored.
type parked struct {
	to   node.ID
	corr int64
}

type member struct {
	id               string
	clientID         string
	node             node.ID
	sessionTimeout   time.Duration
	rebalanceTimeout time.Duration
	protocols        []proto.JoinGroupProtocol
	assignment       proto.ConsumerAssignment
	lastSeen         time.Duration
	join             *parked
	sync             *parked
}

// expiry is when the member's session ends; members with a parked request are kept
// alive (Kafka's shouldKeepAlive).
func (m *member) expiry() (time.Duration, bool) {
	if m.join != nil || m.sync != nil {
		return 0, false
	}
	return m.lastSeen + m.sessionTimeout, true
}

type pendingMember struct {
	id     string
	expiry time.Duration
}

type group struct {
	id         string
	partition  int32
	state      State
	generation int32
	protocol   string
	leader     string
	members    []*member // join order
	pending    []pendingMember

	// Join phase deadline; with initialDelay, the first rebalance of an empty group
	// (group.initial.rebalance.delay.ms), capped at rebalanceCap.
	joinDeadline time.Duration
	initialDelay bool
	rebalanceCap time.Duration
	// syncDeadline ends CompletingRebalance: members that did not sync are removed.
	syncDeadline time.Duration
	storing      int64 // append id of the assignment being stored, 0 if none

	offsets map[proto.TopicPartition]Committed
}

type appendKind uint8

const (
	appendCommit appendKind = iota + 1
	appendAssignment
	appendEmpty
)

type pendingAppend struct {
	kind       appendKind
	groupID    string
	generation int32
	to         node.ID
	commit     *proto.OffsetCommitRequest
	resp       *proto.OffsetCommitResponse
	assignment map[string]proto.ConsumerAssignment
}

// New returns a coordinator with no partitions loaded. idSeed makes its member ids
// unique across brokers and restarts (draw it from the node's random stream).
func New(cfg Config, idSeed uint64) *Coordinator {
	if err := cfg.Validate(); err != nil {
		panic("group: invalid config: " + err.Error())
	}
	return &Coordinator{cfg: cfg, idSeed: idSeed, loaded: map[int32]bool{}, groups: map[string]*group{},
		pending: map[int64]*pendingAppend{}}
}

// Config returns the settings.
func (c *Coordinator) Config() Config { return c.cfg }

// PartitionFor is the __consumer_offsets partition of a group under this config.
func (c *Coordinator) PartitionFor(groupID string) int32 {
	return PartitionFor(groupID, c.cfg.OffsetsTopicNumPartitions)
}

// Owns reports whether the coordinator serves groupID now.
func (c *Coordinator) Owns(groupID string) bool { return c.loaded[c.PartitionFor(groupID)] }

// Loaded reports whether partition p of __consumer_offsets is loaded.
func (c *Coordinator) Loaded(p int32) bool { return c.loaded[p] }

// LoadedPartitions lists the loaded partitions, sorted.
func (c *Coordinator) LoadedPartitions() []int32 {
	return slices.Sorted(maps.Keys(c.loaded))
}

func (c *Coordinator) begin() {
	c.out = c.spare
	c.spare = Effects{}
}

// Recycle hands back Effects that the host has finished with (replies sent, records
// appended): later calls reuse their memory. Hosts need not call it; one that does
// must keep nothing of e, its records included.
func (c *Coordinator) Recycle(e Effects) {
	for i := range e.Appends {
		if recs := e.Appends[i].Records; cap(recs) > cap(c.spareRecords) {
			clear(recs[:cap(recs)])
			c.spareRecords = recs[:0]
		}
	}
	clear(e.Replies)
	clear(e.Appends)
	c.spare = Effects{Replies: e.Replies[:0], Appends: e.Appends[:0]}
}

// takeRecords returns an empty slice with room for n records: the spare one from
// Recycle if big enough, else a new one.
func (c *Coordinator) takeRecords(n int) []proto.Record {
	if cap(c.spareRecords) >= n {
		recs := c.spareRecords[:0]
		c.spareRecords = nil
		return recs
	}
	return make([]proto.Record, 0, n)
}

func (c *Coordinator) end() Effects {
	c.checkInvariants()
	out := c.out
	c.out = Effects{}
	return out
}

func (c *Coordinator) reply(to node.ID, m node.Message) {
	c.out.Replies = append(c.out.Replies, Reply{To: to, Msg: m})
}

func (c *Coordinator) append(partition int32, p *pendingAppend, recs []proto.Record) int64 {
	c.appendSeq++
	c.pending[c.appendSeq] = p
	c.out.Appends = append(c.out.Appends, Append{ID: c.appendSeq, Partition: partition, Records: recs})
	return c.appendSeq
}

// Load takes over partition p of __consumer_offsets, whose records (the whole log the
// new leader holds, in offset order) are replayed: the last record of each key wins.
// Groups with members come back Stable in their stored generation, each member with a
// fresh session, so members that kept running carry on; members that died expire.
// Records that do not decode are skipped and counted in the result.
func (c *Coordinator) Load(p int32, records []proto.Record, now time.Duration) (skipped int) {
	if !(p >= 0 && p < c.cfg.OffsetsTopicNumPartitions) {
		assertf(false, "Load of partition %d of %d", p, c.cfg.OffsetsTopicNumPartitions)
	}
	c.dropPartition(p)
	c.loaded[p] = true
	for _, r := range records {
		rec, err := DecodeRecord(r)
		if err != nil || c.PartitionFor(rec.GroupID) != p {
			skipped++
			continue
		}
		g := c.groups[rec.GroupID]
		if g == nil {
			g = &group{id: rec.GroupID, partition: p, offsets: map[proto.TopicPartition]Committed{}}
			c.groups[rec.GroupID] = g
		}
		switch rec.Kind {
		case OffsetCommitRecord:
			g.offsets[rec.TP] = rec.Committed
		case GroupMetadataRecord:
			g.generation, g.protocol, g.leader = rec.Group.Generation, rec.Group.Protocol, rec.Group.Leader
			g.members = g.members[:0]
			for _, mm := range rec.Group.Members {
				g.members = append(g.members, &member{id: mm.MemberID, clientID: mm.ClientID, node: node.ID(mm.Node),
					sessionTimeout: mm.SessionTimeout, rebalanceTimeout: mm.RebalanceTimeout,
					protocols:  []proto.JoinGroupProtocol{{Name: rec.Group.Protocol, Metadata: mm.Subscription}},
					assignment: mm.Assignment})
			}
		}
	}
	for _, g := range c.sortedGroups() {
		if g.partition != p {
			continue
		}
		g.state = Empty
		if len(g.members) > 0 {
			g.state = Stable
		}
		for _, m := range g.members {
			m.lastSeen = now
		}
	}
	c.checkInvariants()
	return skipped
}

// Unload gives up partition p (leadership moved): its groups are dropped, and parked
// requests and pending commits are answered NOT_COORDINATOR so that members find the
// new coordinator.
func (c *Coordinator) Unload(p int32) Effects {
	c.begin()
	c.dropPartition(p)
	return c.end()
}

func (c *Coordinator) dropPartition(p int32) {
	delete(c.loaded, p)
	for _, g := range c.sortedGroups() {
		if g.partition != p {
			continue
		}
		for _, m := range g.members {
			c.answerParked(g, m, proto.NOT_COORDINATOR)
		}
		delete(c.groups, g.id)
	}
	ids := slices.Sorted(maps.Keys(c.pending))
	for _, id := range ids {
		pa := c.pending[id]
		if c.PartitionFor(pa.groupID) != p {
			continue
		}
		delete(c.pending, id)
		if pa.kind == appendCommit {
			c.failCommit(pa, proto.NOT_COORDINATOR)
		}
	}
}

// answerParked answers a member's parked join or sync with err.
func (c *Coordinator) answerParked(g *group, m *member, err proto.ErrorCode) {
	if m.join != nil {
		c.reply(m.join.to, &proto.JoinGroupResponse{Correlation: m.join.corr, Err: err, GenerationID: proto.NoGeneration, MemberID: m.id})
		m.join = nil
	}
	if m.sync != nil {
		c.reply(m.sync.to, &proto.SyncGroupResponse{Correlation: m.sync.corr, Err: err})
		m.sync = nil
	}
}

func (c *Coordinator) sortedGroups() []*group {
	ids := slices.Sorted(maps.Keys(c.groups))
	out := make([]*group, len(ids))
	for i, id := range ids {
		out[i] = c.groups[id]
	}
	return out
}

// groupFor returns the group and NONE, or the error for a group this coordinator
// does not serve.
func (c *Coordinator) groupFor(id string, create bool) (*group, proto.ErrorCode) {
	if id == "" {
		return nil, proto.INVALID_GROUP_ID
	}
	p := c.PartitionFor(id)
	if !c.loaded[p] {
		return nil, proto.NOT_COORDINATOR
	}
	g := c.groups[id]
	if g == nil && create {
		g = &group{id: id, partition: p, offsets: map[proto.TopicPartition]Committed{}}
		c.groups[id] = g
	}
	return g, proto.NONE
}

// member returns g's member id, or nil if g has none or g itself is nil (no such group).
func (g *group) member(id string) *member {
	if g == nil {
		return nil
	}
	for _, m := range g.members {
		if m.id == id {
			return m
		}
	}
	return nil
}

func (g *group) hasPending(id string) bool {
	for _, p := range g.pending {
		if p.id == id {
			return true
		}
	}
	return false
}

// newMemberID is client.id plus a token unique to this coordinator incarnation.
func (c *Coordinator) newMemberID(g *group, clientID string) string {
	for {
		c.nextID++
		h := mix64(c.idSeed + c.nextID*0x9e3779b97f4a7c15)
		id := fmt.Sprintf("%s-%08x", clientID, uint32(h))
		if g.member(id) == nil && !g.hasPending(id) {
			return id
		}
	}
}

func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// ----- inspection -----

// MemberInfo describes a member for inspection.
type MemberInfo struct {
	MemberID   string
	ClientID   string
	Node       node.ID
	Assignment []proto.TopicPartition
}

// GroupInfo describes a group for inspection (DescribeGroups).
type GroupInfo struct {
	GroupID    string
	State      State
	Generation int32
	Protocol   string
	Leader     string
	Members    []MemberInfo
	Offsets    map[proto.TopicPartition]Committed
}

// Describe returns a group's state; ok is false if the coordinator does not serve it
// or it does not exist.
func (c *Coordinator) Describe(groupID string) (GroupInfo, bool) {
	g := c.groups[groupID]
	if g == nil {
		return GroupInfo{}, false
	}
	gi := GroupInfo{GroupID: g.id, State: g.state, Generation: g.generation, Protocol: g.protocol, Leader: g.leader,
		Offsets: map[proto.TopicPartition]Committed{}}
	for _, m := range g.members {
		gi.Members = append(gi.Members, MemberInfo{MemberID: m.id, ClientID: m.clientID, Node: m.node,
			Assignment: slices.Clone(m.assignment.Partitions)})
	}
	for tp, o := range g.offsets {
		gi.Offsets[tp] = o
	}
	return gi, true
}

// Groups lists the served groups' ids, sorted.
func (c *Coordinator) Groups() []string {
	return slices.Sorted(maps.Keys(c.groups))
}

// checkInvariants verifies every group after each call.
func (c *Coordinator) checkInvariants() {
	for id, g := range c.groups {
		if !(g.id == id && c.loaded[g.partition]) {
			assertf(false, "group %q in unloaded partition %d", id, g.partition)
		}
		switch g.state {
		case Empty:
			if !(len(g.members) == 0) {
				assertf(false, "group %q Empty with %d members", id, len(g.members))
			}
		case Stable, CompletingRebalance:
			if !(len(g.members) > 0) {
				assertf(false, "group %q %v without members", id, g.state)
			}
			if !(g.member(g.leader) != nil) {
				assertf(false, "group %q %v: leader %q is not a member", id, g.state, g.leader)
			}
		}
		for i, m := range g.members {
			for _, o := range g.members[:i] {
				if o.id == m.id {
					assertf(false, "group %q: member %q twice", id, m.id)
				}
			}
			if !(m.join == nil || g.state == PreparingRebalance) {
				assertf(false, "group %q: parked join of %q in %v", id, m.id, g.state)
			}
			if !(m.sync == nil || g.state == CompletingRebalance) {
				assertf(false, "group %q: parked sync of %q in %v", id, m.id, g.state)
			}
		}
	}
}
