package broker

import (
	"slices"

	"logsim/broker/proto"
)

// ObservationKind says what a broker observed.
type ObservationKind uint8

// The observations, matching the history's harness events (spec/history.md).
const (
	// ObserveLeader: this broker became the leader of TP in Epoch.
	ObserveLeader ObservationKind = iota + 1
	// ObserveTruncate: this broker's replica of TP truncated its log to Offset,
	// removing Removed records; after recovery from a damaged log, Removed is minus
	// the number of damaged entries (batches) dropped.
	ObserveTruncate
	// ObserveLogStart: retention (or the leader's log start) moved this replica's log
	// start offset to Offset.
	ObserveLogStart
)

// String names the kind as the history does.
func (k ObservationKind) String() string {
	switch k {
	case ObserveLeader:
		return "leader"
	case ObserveTruncate:
		return "truncate"
	case ObserveLogStart:
		return "log-start"
	}
	return "unknown"
}

// Observation is one event a broker reports to its host.
type Observation struct {
	Kind    ObservationKind
	TP      proto.TopicPartition
	Node    int32
	Epoch   int32
	Offset  int64
	Removed int64
}

// Observer receives observations synchronously, in the broker's handler. It must not
// call back into the broker.
type Observer interface {
	Observe(Observation)
}

func (b *Broker) observe(o Observation) {
	if b.observer != nil {
		o.Node = b.id
		b.observer.Observe(o)
	}
}

// api indexes the request counters.
type api uint8

const (
	apiProduce api = iota
	apiFetch
	apiListOffsets
	apiMetadata
	apiOffsetForLeaderEpoch
	apiInitProducerId
	apiFindCoordinator
	apiJoinGroup
	apiSyncGroup
	apiHeartbeat
	apiLeaveGroup
	apiOffsetCommit
	apiOffsetFetch
	apiCount
)

var apiNames = [apiCount]string{"Produce", "Fetch", "ListOffsets", "Metadata", "OffsetForLeaderEpoch", "InitProducerId",
	"FindCoordinator", "JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup", "OffsetCommit", "OffsetFetch"}

// Stats are a broker's counters since it (re)started.
type Stats struct {
	// Requests counts requests received by API, indexed like APINames.
	Requests [apiCount]int64
	// BytesIn and BytesOut are message bytes received and sent.
	BytesIn, BytesOut int64
	// BytesAppended is the record batch bytes written to logs (leader and follower).
	BytesAppended int64
	// RecordsAppended counts records written to logs.
	RecordsAppended int64
	// Fsyncs counts fsyncs issued by the flush policy.
	Fsyncs int64
	// Errors counts error codes returned in produce and fetch responses.
	Errors map[proto.ErrorCode]int64
	// Truncated counts records removed by truncation.
	Truncated int64
}

// APINames are the names of the APIs counted in Stats.Requests, in order.
func APINames() []string { return apiNames[:] }

// Stats returns a copy of the counters; BytesOnDisk is computed from the logs.
func (b *Broker) Stats() Stats {
	s := b.stats
	s.Errors = map[proto.ErrorCode]int64{}
	for k, v := range b.stats.Errors {
		s.Errors[k] = v
	}
	return s
}

// BytesOnDisk is the size of all hosted logs.
func (b *Broker) BytesOnDisk() int64 {
	var n int64
	for _, r := range b.replicaList {
		n += r.Log.Bytes()
	}
	return n
}

func (b *Broker) countError(e proto.ErrorCode) {
	if e == proto.NONE {
		return
	}
	if b.stats.Errors == nil {
		b.stats.Errors = map[proto.ErrorCode]int64{}
	}
	b.stats.Errors[e]++
}

// PartitionInfo is a hosted replica's state, for inspection.
type PartitionInfo struct {
	TP             proto.TopicPartition
	Leader         int32
	LeaderEpoch    int32
	PartitionEpoch int32
	Replicas       []int32
	ISR            []int32
	ELR            []int32
	HighWatermark  int64
	LogEndOffset   int64
	LogStartOffset int64
	// FlushedOffset is the recovery point: records below it were fsynced.
	FlushedOffset int64
	Epochs        []EpochStart
	// Batches is the log, oldest first; the batches are shared and immutable.
	Batches []*proto.RecordBatch
	// Followers is the leader's view of each follower's LEO (leaders only).
	Followers map[int32]int64
}

// EpochStart is a leader-epoch cache entry.
type EpochStart struct {
	Epoch       int32
	StartOffset int64
}

// Partition returns this broker's replica of tp.
func (b *Broker) Partition(tp proto.TopicPartition) (PartitionInfo, bool) {
	r := b.replicaOf(tp)
	if r == nil {
		return PartitionInfo{}, false
	}
	return r.info(), true
}

// Partitions returns every hosted replica, sorted.
func (b *Broker) Partitions() []PartitionInfo {
	out := make([]PartitionInfo, 0, len(b.replicaList))
	for _, r := range b.replicaList {
		out = append(out, r.info())
	}
	return out
}

func (r *replica) info() PartitionInfo {
	pi := PartitionInfo{TP: r.TP, Leader: r.State.Leader, LeaderEpoch: r.State.LeaderEpoch, PartitionEpoch: r.State.PartitionEpoch,
		Replicas: slices.Clone(r.State.Replicas), ISR: slices.Clone(r.State.ISR), ELR: slices.Clone(r.State.ELR),
		HighWatermark: r.HW, LogEndOffset: r.Log.LogEndOffset(), LogStartOffset: r.Log.LogStartOffset(), FlushedOffset: r.Log.FlushedOffset()}
	for _, e := range r.Log.Epochs() {
		pi.Epochs = append(pi.Epochs, EpochStart{e.Epoch, e.StartOffset})
	}
	for _, s := range r.Log.Segments() {
		pi.Batches = append(pi.Batches, s.Batches...)
	}
	if r.IsLeader() {
		pi.Followers = map[int32]int64{}
		for _, f := range r.Followers() {
			pi.Followers[f.ID] = f.LEO
		}
	}
	return pi
}

// Metadata returns the broker's metadata image of tp (leader, epoch, replicas, ISR):
// who this broker believes leads it.
func (b *Broker) Metadata(tp proto.TopicPartition) (proto.PartitionState, bool) {
	p := b.parts[tp]
	if p == nil {
		return proto.PartitionState{}, false
	}
	return *p, true
}

// Registered reports whether the broker holds a registration epoch from the controller.
func (b *Broker) Registered() bool { return b.registered }
