package proto

import "time"

// Consumer groups: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
// OffsetCommit and OffsetFetch (Kafka's classic group protocol, KIP-62 heartbeats,
// KIP-394 member ids). Their error codes are in errors.go.
//
// Kafka carries a consumer's subscription and assignment as opaque bytes in the group
// protocol; here they are the structs ConsumerSubscription and ConsumerAssignment, and
// their wire sizes are estimated as Kafka's ConsumerProtocol would encode them.

// ConsumerOffsetsTopic is the internal topic holding committed offsets and group
// metadata (offsets.topic.*).
const ConsumerOffsetsTopic = "__consumer_offsets"

// ConsumerProtocolType is the protocol type consumers join groups with.
const ConsumerProtocolType = "consumer"

// NoGeneration is the generation of a commit from outside group management (a consumer
// with assign), and of a member that has none yet.
const NoGeneration int32 = -1

// ConsumerSubscription is a member's protocol metadata (Kafka's ConsumerProtocol
// Subscription, v1+): the topics it wants and, for cooperative rebalancing, the
// partitions it owns now and the generation they were assigned in.
type ConsumerSubscription struct {
	Topics          []string
	OwnedPartitions []TopicPartition
	GenerationID    int32
}

// Size is the encoded size.
func (s *ConsumerSubscription) Size() int {
	n := 10
	for _, t := range s.Topics {
		n += 2 + len(t)
	}
	for _, tp := range s.OwnedPartitions {
		n += 6 + len(tp.Topic)
	}
	return n
}

// ConsumerAssignment is what the leader's assignor gives one member.
type ConsumerAssignment struct {
	Partitions []TopicPartition
}

// Size is the encoded size.
func (a *ConsumerAssignment) Size() int {
	n := 6
	for _, tp := range a.Partitions {
		n += 6 + len(tp.Topic)
	}
	return n
}

// ----- FindCoordinator -----

// FindCoordinatorRequest (api key 10) asks any broker which broker coordinates a group:
// the leader of the group's partition of __consumer_offsets.
type FindCoordinatorRequest struct {
	Correlation int64
	Key         string
}

// Kind names the message.
func (*FindCoordinatorRequest) Kind() string { return "FindCoordinatorRequest" }

// Size is the request's bytes on the wire.
func (m *FindCoordinatorRequest) Size() int { return requestHeaderSize + 3 + len(m.Key) }

// FindCoordinatorResponse names the coordinator, or COORDINATOR_NOT_AVAILABLE.
type FindCoordinatorResponse struct {
	Correlation int64
	Err         ErrorCode
	NodeID      int32
}

// Kind names the message.
func (*FindCoordinatorResponse) Kind() string { return "FindCoordinatorResponse" }

// Size is the response's bytes on the wire.
func (*FindCoordinatorResponse) Size() int { return responseHeaderSize + 16 }

// ----- JoinGroup -----

// JoinGroupProtocol is one assignor a member supports, with its subscription.
type JoinGroupProtocol struct {
	Name     string
	Metadata ConsumerSubscription
}

// JoinGroupRequest (api key 11) joins a group or rejoins it for a rebalance.
type JoinGroupRequest struct {
	Correlation int64
	GroupID     string
	// SessionTimeout is session.timeout.ms: without a heartbeat for this long the
	// member is removed.
	SessionTimeout time.Duration
	// RebalanceTimeout is max.poll.interval.ms: how long the coordinator waits for
	// every member to rejoin during a rebalance.
	RebalanceTimeout time.Duration
	// MemberID is empty on the first join (the coordinator answers MEMBER_ID_REQUIRED
	// with an id to rejoin with).
	MemberID string
	// ClientID is client.id, the prefix of the member id.
	ClientID     string
	ProtocolType string
	Protocols    []JoinGroupProtocol
}

// Kind names the message.
func (*JoinGroupRequest) Kind() string { return "JoinGroupRequest" }

// Size is the request's bytes on the wire.
func (m *JoinGroupRequest) Size() int {
	n := requestHeaderSize + 16 + len(m.GroupID) + len(m.MemberID) + len(m.ClientID) + len(m.ProtocolType)
	for i := range m.Protocols {
		n += 4 + len(m.Protocols[i].Name) + m.Protocols[i].Metadata.Size()
	}
	return n
}

// JoinGroupMember is one member's subscription, sent to the leader only.
type JoinGroupMember struct {
	MemberID string
	Metadata ConsumerSubscription
}

// JoinGroupResponse ends the join phase of a rebalance for one member.
type JoinGroupResponse struct {
	Correlation  int64
	Err          ErrorCode
	GenerationID int32
	ProtocolName string
	Leader       string
	MemberID     string
	// Members is the group's members with their subscriptions, for the leader.
	Members []JoinGroupMember
}

// Kind names the message.
func (*JoinGroupResponse) Kind() string { return "JoinGroupResponse" }

// Size is the response's bytes on the wire.
func (m *JoinGroupResponse) Size() int {
	n := responseHeaderSize + 12 + len(m.ProtocolName) + len(m.Leader) + len(m.MemberID)
	for i := range m.Members {
		n += 2 + len(m.Members[i].MemberID) + m.Members[i].Metadata.Size()
	}
	return n
}

// ----- SyncGroup -----

// SyncGroupAssignment is one member's assignment, sent by the leader.
type SyncGroupAssignment struct {
	MemberID   string
	Assignment ConsumerAssignment
}

// SyncGroupRequest (api key 14) ends a rebalance: the leader sends every member's
// assignment, the others send nothing and wait for theirs.
type SyncGroupRequest struct {
	Correlation  int64
	GroupID      string
	GenerationID int32
	MemberID     string
	ProtocolName string
	Assignments  []SyncGroupAssignment
}

// Kind names the message.
func (*SyncGroupRequest) Kind() string { return "SyncGroupRequest" }

// Size is the request's bytes on the wire.
func (m *SyncGroupRequest) Size() int {
	n := requestHeaderSize + 8 + len(m.GroupID) + len(m.MemberID) + len(m.ProtocolName)
	for i := range m.Assignments {
		n += 2 + len(m.Assignments[i].MemberID) + m.Assignments[i].Assignment.Size()
	}
	return n
}

// SyncGroupResponse carries the member's assignment.
type SyncGroupResponse struct {
	Correlation  int64
	Err          ErrorCode
	ProtocolName string
	Assignment   ConsumerAssignment
}

// Kind names the message.
func (*SyncGroupResponse) Kind() string { return "SyncGroupResponse" }

// Size is the response's bytes on the wire.
func (m *SyncGroupResponse) Size() int {
	return responseHeaderSize + 4 + len(m.ProtocolName) + m.Assignment.Size()
}

// ----- Heartbeat -----

// HeartbeatRequest (api key 12) keeps a member's session alive; the answer tells it
// when a rebalance started (REBALANCE_IN_PROGRESS).
type HeartbeatRequest struct {
	Correlation  int64
	GroupID      string
	GenerationID int32
	MemberID     string
}

// Kind names the message.
func (*HeartbeatRequest) Kind() string { return "HeartbeatRequest" }

// Size is the request's bytes on the wire.
func (m *HeartbeatRequest) Size() int {
	return requestHeaderSize + 8 + len(m.GroupID) + len(m.MemberID)
}

// HeartbeatResponse answers a HeartbeatRequest.
type HeartbeatResponse struct {
	Correlation int64
	Err         ErrorCode
}

// Kind names the message.
func (*HeartbeatResponse) Kind() string { return "HeartbeatResponse" }

// Size is the response's bytes on the wire.
func (*HeartbeatResponse) Size() int { return responseHeaderSize + 6 }

// ----- LeaveGroup -----

// LeaveGroupRequest (api key 13) removes members at once, without waiting for their
// session to expire.
type LeaveGroupRequest struct {
	Correlation int64
	GroupID     string
	Members     []string
}

// Kind names the message.
func (*LeaveGroupRequest) Kind() string { return "LeaveGroupRequest" }

// Size is the request's bytes on the wire.
func (m *LeaveGroupRequest) Size() int {
	n := requestHeaderSize + 4 + len(m.GroupID)
	for _, id := range m.Members {
		n += 2 + len(id)
	}
	return n
}

// LeaveGroupResponse answers a LeaveGroupRequest.
type LeaveGroupResponse struct {
	Correlation int64
	Err         ErrorCode
}

// Kind names the message.
func (*LeaveGroupResponse) Kind() string { return "LeaveGroupResponse" }

// Size is the response's bytes on the wire.
func (*LeaveGroupResponse) Size() int { return responseHeaderSize + 6 }

// ----- OffsetCommit -----

// OffsetCommitPartition is one partition's committed position: the next offset to read
// and the leader epoch of the last record read (KIP-320), -1 if unknown.
type OffsetCommitPartition struct {
	TopicPartition
	CommittedOffset      int64
	CommittedLeaderEpoch int32
}

// OffsetCommitRequest (api key 8) stores positions in __consumer_offsets. Members of a
// group send their generation and member id; consumers outside group management send
// NoGeneration and an empty member id, which only an empty group accepts.
type OffsetCommitRequest struct {
	Correlation  int64
	GroupID      string
	GenerationID int32
	MemberID     string
	Partitions   []OffsetCommitPartition
}

// Kind names the message.
func (*OffsetCommitRequest) Kind() string { return "OffsetCommitRequest" }

// Size is the request's bytes on the wire.
func (m *OffsetCommitRequest) Size() int {
	n := requestHeaderSize + 8 + len(m.GroupID) + len(m.MemberID)
	for i := range m.Partitions {
		n += topicBytes(m.Partitions[i].TopicPartition) + 12
	}
	return n
}

// OffsetCommitPartitionResponse is one partition's outcome.
type OffsetCommitPartitionResponse struct {
	TopicPartition
	Err ErrorCode
}

// OffsetCommitResponse answers an OffsetCommitRequest once the commit is replicated
// (or failed).
type OffsetCommitResponse struct {
	Correlation int64
	Partitions  []OffsetCommitPartitionResponse
}

// Kind names the message.
func (*OffsetCommitResponse) Kind() string { return "OffsetCommitResponse" }

// Size is the response's bytes on the wire.
func (m *OffsetCommitResponse) Size() int {
	n := responseHeaderSize
	for i := range m.Partitions {
		n += topicBytes(m.Partitions[i].TopicPartition) + 2
	}
	return n
}

// ----- OffsetFetch -----

// OffsetFetchRequest (api key 9) reads a group's committed offsets; nil Partitions asks
// for all of them.
type OffsetFetchRequest struct {
	Correlation int64
	GroupID     string
	Partitions  []TopicPartition
}

// Kind names the message.
func (*OffsetFetchRequest) Kind() string { return "OffsetFetchRequest" }

// Size is the request's bytes on the wire.
func (m *OffsetFetchRequest) Size() int {
	n := requestHeaderSize + 4 + len(m.GroupID)
	for i := range m.Partitions {
		n += topicBytes(m.Partitions[i])
	}
	return n
}

// OffsetFetchPartitionResponse is one partition's committed offset, -1 when the group
// has none.
type OffsetFetchPartitionResponse struct {
	TopicPartition
	CommittedOffset      int64
	CommittedLeaderEpoch int32
	Err                  ErrorCode
}

// OffsetFetchResponse answers an OffsetFetchRequest. Err is a group-level error
// (NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS).
type OffsetFetchResponse struct {
	Correlation int64
	Err         ErrorCode
	Partitions  []OffsetFetchPartitionResponse
}

// Kind names the message.
func (*OffsetFetchResponse) Kind() string { return "OffsetFetchResponse" }

// Size is the response's bytes on the wire.
func (m *OffsetFetchResponse) Size() int {
	n := responseHeaderSize + 2
	for i := range m.Partitions {
		n += topicBytes(m.Partitions[i].TopicPartition) + 14
	}
	return n
}
