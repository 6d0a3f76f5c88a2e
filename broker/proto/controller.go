package proto

// NoLeader is the leader of a partition that has none (Kafka's -1).
const NoLeader int32 = -1

// ----- BrokerRegistration / BrokerHeartbeat (KRaft) -----

// BrokerRegistrationRequest (api key 62) announces a broker process to the controller.
// Every start of the process has a new IncarnationID, so the controller knows a restart
// from a duplicate.
type BrokerRegistrationRequest struct {
	BrokerID      int32
	IncarnationID int64
	// PreviousBrokerEpoch is the epoch of the last clean shutdown, -1 after a crash or
	// power loss (KIP-966 uses it to detect unclean shutdowns).
	PreviousBrokerEpoch int64
}

// Kind names the message.
func (*BrokerRegistrationRequest) Kind() string { return "BrokerRegistrationRequest" }

// Size is the request's bytes on the wire.
func (*BrokerRegistrationRequest) Size() int { return requestHeaderSize + 40 }

// BrokerRegistrationResponse carries the broker's new epoch.
type BrokerRegistrationResponse struct {
	Err         ErrorCode
	BrokerEpoch int64
}

// Kind names the message.
func (*BrokerRegistrationResponse) Kind() string { return "BrokerRegistrationResponse" }

// Size is the response's bytes on the wire.
func (*BrokerRegistrationResponse) Size() int { return responseHeaderSize + 10 }

// BrokerHeartbeatRequest (api key 63) keeps a broker's session alive and reports how far
// it has applied the controller's metadata.
type BrokerHeartbeatRequest struct {
	BrokerID       int32
	BrokerEpoch    int64
	MetadataOffset int64
}

// Kind names the message.
func (*BrokerHeartbeatRequest) Kind() string { return "BrokerHeartbeatRequest" }

// Size is the request's bytes on the wire.
func (*BrokerHeartbeatRequest) Size() int { return requestHeaderSize + 20 }

// BrokerHeartbeatResponse says whether the broker is fenced. A broker that is behind on
// metadata gets a full snapshot pushed after it.
type BrokerHeartbeatResponse struct {
	Err      ErrorCode
	IsFenced bool
}

// Kind names the message.
func (*BrokerHeartbeatResponse) Kind() string { return "BrokerHeartbeatResponse" }

// Size is the response's bytes on the wire.
func (*BrokerHeartbeatResponse) Size() int { return responseHeaderSize + 4 }

// ----- AlterPartition -----

// AlterPartitionItem proposes a new ISR for a partition the sender leads.
type AlterPartitionItem struct {
	TopicPartition
	LeaderEpoch    int32
	PartitionEpoch int32
	NewISR         []int32
}

// AlterPartitionRequest (api key 56) is how a leader shrinks or expands the ISR: only the
// controller changes it.
type AlterPartitionRequest struct {
	Correlation int64
	BrokerID    int32
	BrokerEpoch int64
	Items       []AlterPartitionItem
}

// Kind names the message.
func (*AlterPartitionRequest) Kind() string { return "AlterPartitionRequest" }

// Size is the request's bytes on the wire.
func (m *AlterPartitionRequest) Size() int {
	n := requestHeaderSize + 12
	for i := range m.Items {
		n += topicBytes(m.Items[i].TopicPartition) + 8 + 4*len(m.Items[i].NewISR)
	}
	return n
}

// AlterPartitionResponse returns each partition's state after the change, or an error
// (FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, INELIGIBLE replicas as INVALID_REQUEST).
type AlterPartitionResponse struct {
	Correlation int64
	Err         ErrorCode
	Partitions  []PartitionState
	Errors      []ErrorCode
}

// Kind names the message.
func (*AlterPartitionResponse) Kind() string { return "AlterPartitionResponse" }

// Size is the response's bytes on the wire.
func (m *AlterPartitionResponse) Size() int {
	n := responseHeaderSize
	for i := range m.Partitions {
		n += m.Partitions[i].size() + 2
	}
	return n
}

// ----- Metadata propagation -----

// PartitionState is the controller's record of one partition (KRaft's PartitionRecord).
type PartitionState struct {
	TopicPartition
	Replicas []int32
	ISR      []int32
	// ELR are the eligible leader replicas (KIP-966), empty unless enabled.
	ELR            []int32
	Leader         int32
	LeaderEpoch    int32
	PartitionEpoch int32
	// LastKnownLeader is the last broker that led the partition (KIP-966: elected
	// when the ISR and ELR are empty and it comes back), NoLeader if none.
	LastKnownLeader int32
}

func (p *PartitionState) size() int {
	return topicBytes(p.TopicPartition) + 12 + 4*(len(p.Replicas)+len(p.ISR)+len(p.ELR))
}

// BrokerState is the controller's record of one broker.
type BrokerState struct {
	ID     int32
	Epoch  int64
	Fenced bool
}

// TopicRecord creates a topic with its configuration overrides (Kafka keys).
type TopicRecord struct {
	Name       string
	Partitions int32
	Configs    map[string]string
}

// UpdateMetadataRequest pushes the controller's metadata to a broker. A delta applies on
// top of PrevOffset; a snapshot (Full) replaces everything. Brokers ignore a delta whose
// PrevOffset is not the offset they hold, and catch up with the snapshot the controller
// sends after their next heartbeat. (KRaft brokers fetch the metadata log; the push is a
// simplification recorded in SKIPPED.md.)
type UpdateMetadataRequest struct {
	ControllerID int32
	Full         bool
	PrevOffset   int64
	Offset       int64
	Brokers      []BrokerState
	Topics       []TopicRecord
	Partitions   []PartitionState
}

// Kind names the message.
func (*UpdateMetadataRequest) Kind() string { return "UpdateMetadataRequest" }

// Size is the request's bytes on the wire.
func (m *UpdateMetadataRequest) Size() int {
	n := requestHeaderSize + 24 + 13*len(m.Brokers)
	for i := range m.Topics {
		n += len(m.Topics[i].Name) + 8 + 32*len(m.Topics[i].Configs)
	}
	for i := range m.Partitions {
		n += m.Partitions[i].size()
	}
	return n
}

// ----- CreateTopics -----

// CreatableTopic describes a topic to create. Assignment, when given, lists each
// partition's replicas; otherwise the controller places them round-robin.
type CreatableTopic struct {
	Name              string
	NumPartitions     int32
	ReplicationFactor int16
	Assignment        [][]int32
	Configs           map[string]string
}

// CreateTopicsRequest (api key 19) creates topics. Clients send it to the controller
// directly (Kafka forwards it through a broker).
type CreateTopicsRequest struct {
	Correlation int64
	Topics      []CreatableTopic
}

// Kind names the message.
func (*CreateTopicsRequest) Kind() string { return "CreateTopicsRequest" }

// Size is the request's bytes on the wire.
func (m *CreateTopicsRequest) Size() int {
	n := requestHeaderSize + 8
	for i := range m.Topics {
		n += len(m.Topics[i].Name) + 10 + 32*len(m.Topics[i].Configs) + 4*int(m.Topics[i].NumPartitions)*int(m.Topics[i].ReplicationFactor)
	}
	return n
}

// CreatableTopicResult is one topic's outcome.
type CreatableTopicResult struct {
	Name    string
	Err     ErrorCode
	Message string
}

// CreateTopicsResponse answers a CreateTopicsRequest.
type CreateTopicsResponse struct {
	Correlation int64
	Topics      []CreatableTopicResult
}

// Kind names the message.
func (*CreateTopicsResponse) Kind() string { return "CreateTopicsResponse" }

// Size is the response's bytes on the wire.
func (m *CreateTopicsResponse) Size() int {
	n := responseHeaderSize
	for i := range m.Topics {
		n += len(m.Topics[i].Name) + 4 + len(m.Topics[i].Message)
	}
	return n
}
