package proto

import "time"

// Sizes used to estimate wire bytes: Kafka's request header (size, api key and
// version, correlation id, client id) and per-partition overheads.
const (
	requestHeaderSize   = 24
	responseHeaderSize  = 12
	partitionHeaderSize = 24
)

func topicBytes(tp TopicPartition) int { return len(tp.Topic) + 2 + partitionHeaderSize }

// ----- Produce -----

// ProducePartition is one partition's data in a ProduceRequest.
type ProducePartition struct {
	TopicPartition
	Batch *RecordBatch
}

// ProduceRequest (api key 0) appends batches to partitions led by the receiver.
type ProduceRequest struct {
	Correlation int64
	Acks        Acks
	// Timeout bounds how long the leader waits for acks=all (request's timeout_ms).
	Timeout    time.Duration
	Partitions []ProducePartition
}

// Kind names the message.
func (*ProduceRequest) Kind() string { return "ProduceRequest" }

// Size is the request's bytes on the wire.
func (m *ProduceRequest) Size() int {
	n := requestHeaderSize + 10
	for i := range m.Partitions {
		n += topicBytes(m.Partitions[i].TopicPartition) + int(m.Partitions[i].Batch.SizeBytes)
	}
	return n
}

// ProducePartitionResponse is one partition's outcome.
type ProducePartitionResponse struct {
	TopicPartition
	Err ErrorCode
	// BaseOffset is the offset of the batch's first record (-1 on error).
	BaseOffset     int64
	LogStartOffset int64
}

// ProduceResponse answers a ProduceRequest with acks 1 or all.
type ProduceResponse struct {
	Correlation int64
	Partitions  []ProducePartitionResponse
}

// Kind names the message.
func (*ProduceResponse) Kind() string { return "ProduceResponse" }

// Size is the response's bytes on the wire.
func (m *ProduceResponse) Size() int {
	n := responseHeaderSize
	for i := range m.Partitions {
		n += topicBytes(m.Partitions[i].TopicPartition) + 18
	}
	return n
}

// ----- Fetch -----

// ConsumerReplicaID is the ReplicaID of a fetch from a consumer rather than a follower.
const ConsumerReplicaID int32 = -1

// FetchPartition asks for one partition from FetchOffset on.
type FetchPartition struct {
	TopicPartition
	// CurrentLeaderEpoch is the fetcher's view of the leader epoch (KIP-320); -1 skips
	// the check.
	CurrentLeaderEpoch int32
	FetchOffset        int64
	// LastFetchedEpoch is the epoch of the fetcher's last batch (followers), -1 if none.
	LastFetchedEpoch int32
	// LogStartOffset is the follower's log start (followers only).
	LogStartOffset int64
	MaxBytes       int32
}

// FetchRequest (api key 1) reads from partitions led by the receiver. Followers fetch with
// their broker id; consumers with ConsumerReplicaID.
type FetchRequest struct {
	Correlation int64
	ReplicaID   int32
	// BrokerEpoch is a follower's registration epoch, fencing fetches from a previous
	// incarnation.
	BrokerEpoch int64
	// MaxWait and MinBytes make the fetch wait in purgatory until data arrives.
	MaxWait    time.Duration
	MinBytes   int32
	MaxBytes   int32
	Partitions []FetchPartition
	// Spare hands the memory of a FetchResponse the receiver sent earlier, which the
	// sender has finished with, back to the receiver for reuse (followers do). It is
	// simulation bookkeeping, not part of the request: Size ignores it.
	Spare *FetchResponse

	size int // Size's result, 0 until computed
}

// Kind names the message.
func (*FetchRequest) Kind() string { return "FetchRequest" }

// Size is the request's bytes on the wire. It is computed once (the sender, the
// network and the receiver all ask): build the request completely before sending it.
func (m *FetchRequest) Size() int {
	if m.size != 0 {
		return m.size
	}
	n := requestHeaderSize + 20
	for i := range m.Partitions {
		n += topicBytes(m.Partitions[i].TopicPartition) + 24
	}
	m.size = n
	return n
}

// EpochEndOffset is a leader epoch and the offset where it ended.
type EpochEndOffset struct {
	Epoch     int32
	EndOffset int64
}

// FetchPartitionResponse carries one partition's batches.
type FetchPartitionResponse struct {
	TopicPartition
	Err            ErrorCode
	HighWatermark  int64
	LogStartOffset int64
	// LogEndOffset is the leader's end offset (informational, for lag).
	LogEndOffset int64
	// DivergingEpoch is set when the follower's LastFetchedEpoch diverges from the
	// leader's log (KIP-595 style); EndOffset -1 means no divergence.
	DivergingEpoch EpochEndOffset
	Batches        []*RecordBatch
}

// FetchResponse answers a FetchRequest.
type FetchResponse struct {
	Correlation int64
	Partitions  []FetchPartitionResponse
	// Spare hands the FetchRequest this response answers back to its sender for reuse:
	// the receiver of a request keeps no reference to it once it answered (leaders do
	// this for followers). It is simulation bookkeeping, not part of the response: Size
	// ignores it.
	Spare *FetchRequest

	size int // Size's result, 0 until computed
}

// Kind names the message.
func (*FetchResponse) Kind() string { return "FetchResponse" }

// Size is the response's bytes on the wire. It is computed once (the sender, the
// network and the receiver all ask): build the response completely before sending it.
func (m *FetchResponse) Size() int {
	if m.size != 0 {
		return m.size
	}
	n := responseHeaderSize
	for i := range m.Partitions {
		n += topicBytes(m.Partitions[i].TopicPartition) + 40
		for _, b := range m.Partitions[i].Batches {
			n += int(b.SizeBytes)
		}
	}
	m.size = n
	return n
}

// ----- ListOffsets -----

// Special timestamps of ListOffsets.
const (
	LatestTimestamp   int64 = -1
	EarliestTimestamp int64 = -2
)

// ListOffsetsPartition asks for an offset of one partition.
type ListOffsetsPartition struct {
	TopicPartition
	CurrentLeaderEpoch int32
	// Timestamp is LatestTimestamp, EarliestTimestamp or a CreateTime in nanoseconds.
	Timestamp int64
}

// ListOffsetsRequest (api key 2) finds offsets by time.
type ListOffsetsRequest struct {
	Correlation int64
	ReplicaID   int32
	Partitions  []ListOffsetsPartition
}

// Kind names the message.
func (*ListOffsetsRequest) Kind() string { return "ListOffsetsRequest" }

// Size is the request's bytes on the wire.
func (m *ListOffsetsRequest) Size() int {
	n := requestHeaderSize + 8
	for i := range m.Partitions {
		n += topicBytes(m.Partitions[i].TopicPartition) + 12
	}
	return n
}

// ListOffsetsPartitionResponse carries one partition's answer.
type ListOffsetsPartitionResponse struct {
	TopicPartition
	Err         ErrorCode
	Offset      int64
	LeaderEpoch int32
}

// ListOffsetsResponse answers a ListOffsetsRequest.
type ListOffsetsResponse struct {
	Correlation int64
	Partitions  []ListOffsetsPartitionResponse
}

// Kind names the message.
func (*ListOffsetsResponse) Kind() string { return "ListOffsetsResponse" }

// Size is the response's bytes on the wire.
func (m *ListOffsetsResponse) Size() int {
	return responseHeaderSize + len(m.Partitions)*(partitionHeaderSize+16)
}

// ----- Metadata -----

// MetadataRequest (api key 3) asks for topics' partitions and leaders; nil Topics means
// every topic.
type MetadataRequest struct {
	Correlation int64
	Topics      []string
}

// Kind names the message.
func (*MetadataRequest) Kind() string { return "MetadataRequest" }

// Size is the request's bytes on the wire.
func (m *MetadataRequest) Size() int {
	n := requestHeaderSize + 4
	for _, t := range m.Topics {
		n += len(t) + 2
	}
	return n
}

// PartitionMetadata describes one partition as the answering broker knows it.
type PartitionMetadata struct {
	Partition   int32
	Err         ErrorCode
	Leader      int32
	LeaderEpoch int32
	Replicas    []int32
	ISR         []int32
}

// TopicMetadata describes one topic.
type TopicMetadata struct {
	Name       string
	Err        ErrorCode
	Partitions []PartitionMetadata
}

// MetadataResponse answers a MetadataRequest.
type MetadataResponse struct {
	Correlation  int64
	Brokers      []int32
	ControllerID int32
	Topics       []TopicMetadata
}

// Kind names the message.
func (*MetadataResponse) Kind() string { return "MetadataResponse" }

// Size is the response's bytes on the wire.
func (m *MetadataResponse) Size() int {
	n := responseHeaderSize + 8 + 4*len(m.Brokers)
	for i := range m.Topics {
		n += len(m.Topics[i].Name) + 4
		for j := range m.Topics[i].Partitions {
			p := &m.Topics[i].Partitions[j]
			n += 14 + 4*(len(p.Replicas)+len(p.ISR))
		}
	}
	return n
}

// ----- OffsetForLeaderEpoch -----

// OffsetForLeaderEpochPartition asks where LeaderEpoch ended in the leader's log.
type OffsetForLeaderEpochPartition struct {
	TopicPartition
	CurrentLeaderEpoch int32
	LeaderEpoch        int32
}

// OffsetForLeaderEpochRequest (api key 23) lets a follower find where its log diverges
// from the leader's (KIP-101).
type OffsetForLeaderEpochRequest struct {
	Correlation int64
	ReplicaID   int32
	Partitions  []OffsetForLeaderEpochPartition
}

// Kind names the message.
func (*OffsetForLeaderEpochRequest) Kind() string { return "OffsetForLeaderEpochRequest" }

// Size is the request's bytes on the wire.
func (m *OffsetForLeaderEpochRequest) Size() int {
	return requestHeaderSize + 4 + len(m.Partitions)*(partitionHeaderSize+8)
}

// OffsetForLeaderEpochPartitionResponse is the largest epoch <= the requested one and
// its end offset, or UNDEFINED (-1, -1).
type OffsetForLeaderEpochPartitionResponse struct {
	TopicPartition
	Err         ErrorCode
	LeaderEpoch int32
	EndOffset   int64
}

// OffsetForLeaderEpochResponse answers an OffsetForLeaderEpochRequest.
type OffsetForLeaderEpochResponse struct {
	Correlation int64
	Partitions  []OffsetForLeaderEpochPartitionResponse
}

// Kind names the message.
func (*OffsetForLeaderEpochResponse) Kind() string { return "OffsetForLeaderEpochResponse" }

// Size is the response's bytes on the wire.
func (m *OffsetForLeaderEpochResponse) Size() int {
	return responseHeaderSize + len(m.Partitions)*(partitionHeaderSize+14)
}

// ----- InitProducerId -----

// InitProducerIdRequest (api key 22) obtains a producer id and epoch for idempotence.
// Passing a current id and epoch bumps the epoch (KIP-360).
type InitProducerIdRequest struct {
	Correlation   int64
	ProducerID    int64
	ProducerEpoch int16
}

// Kind names the message.
func (*InitProducerIdRequest) Kind() string { return "InitProducerIdRequest" }

// Size is the request's bytes on the wire.
func (*InitProducerIdRequest) Size() int { return requestHeaderSize + 16 }

// InitProducerIdResponse carries the producer id and epoch.
type InitProducerIdResponse struct {
	Correlation   int64
	Err           ErrorCode
	ProducerID    int64
	ProducerEpoch int16
}

// Kind names the message.
func (*InitProducerIdResponse) Kind() string { return "InitProducerIdResponse" }

// Size is the response's bytes on the wire.
func (*InitProducerIdResponse) Size() int { return responseHeaderSize + 16 }
