package client

import (
	"fmt"
	"time"

	"logsim/broker/node"
)

// OffsetReset is auto.offset.reset: where a consumer starts when it has no valid
// position (no committed offset, or OFFSET_OUT_OF_RANGE).
type OffsetReset uint8

// The auto.offset.reset values.
const (
	// ResetLatest starts at the high watermark: records written before are skipped.
	ResetLatest OffsetReset = iota
	// ResetEarliest starts at the log start offset.
	ResetEarliest
	// ResetNone fails the poll (NO_OFFSET_FOR_PARTITION, OFFSET_OUT_OF_RANGE,
	// LOG_TRUNCATION) and leaves the partition unconsumed.
	ResetNone
)

var offsetResetNames = [...]string{"latest", "earliest", "none"}

// String is the setting as Kafka writes it.
func (r OffsetReset) String() string {
	if int(r) < len(offsetResetNames) {
		return offsetResetNames[r]
	}
	return fmt.Sprintf("invalid(%d)", r)
}

// ParseOffsetReset reads latest, earliest or none.
func ParseOffsetReset(s string) (OffsetReset, error) {
	for i, n := range offsetResetNames {
		if n == s {
			return OffsetReset(i), nil
		}
	}
	return 0, fmt.Errorf("auto.offset.reset %q: want latest, earliest or none", s)
}

// ConsumerConfig holds the consumer's settings, Kafka keys in MixedCaps.
type ConsumerConfig struct {
	// BootstrapServers is bootstrap.servers: brokers asked first.
	BootstrapServers []node.ID
	// GroupID is group.id. Required for Subscribe and for commits; a consumer with
	// Assign and a group id commits with no generation (outside group management).
	GroupID string
	// ClientID is client.id, the prefix of the member id.
	ClientID string
	// SessionTimeout is session.timeout.ms. Default 45 s (Kafka 3.0+).
	SessionTimeout time.Duration
	// HeartbeatInterval is heartbeat.interval.ms. Default 3 s.
	HeartbeatInterval time.Duration
	// MaxPollInterval is max.poll.interval.ms: a consumer that does not poll for this
	// long leaves the group (its partitions move) and rejoins on its next poll. It is
	// also the rebalance timeout sent in JoinGroup. Default 5 min.
	MaxPollInterval time.Duration
	// PartitionAssignmentStrategy is partition.assignment.strategy, in order of
	// preference: range, roundrobin, cooperative-sticky. The cooperative protocol is
	// used only if every listed assignor supports it, as in Kafka. Default
	// [range, cooperative-sticky] (Kafka 3.x's default, which rebalances eagerly).
	PartitionAssignmentStrategy []string
	// EnableAutoCommit is enable.auto.commit. Default true.
	EnableAutoCommit bool
	// AutoCommitInterval is auto.commit.interval.ms: poll commits the positions of
	// what the previous polls returned once this long has passed. Default 5 s.
	AutoCommitInterval time.Duration
	// AutoOffsetReset is auto.offset.reset. Default latest.
	AutoOffsetReset OffsetReset
	// FetchMinBytes is fetch.min.bytes. Default 1.
	FetchMinBytes int32
	// FetchMaxBytes is fetch.max.bytes, per request. Default 50 MiB.
	FetchMaxBytes int32
	// FetchMaxWait is fetch.max.wait.ms. Default 500 ms.
	FetchMaxWait time.Duration
	// MaxPartitionFetchBytes is max.partition.fetch.bytes. Default 1 MiB.
	MaxPartitionFetchBytes int32
	// MaxPollRecords is max.poll.records. Default 500.
	MaxPollRecords int
	// RequestTimeout is request.timeout.ms. Default 30 s.
	RequestTimeout time.Duration
	// DefaultAPITimeout is default.api.timeout.ms: how long a commit keeps retrying
	// a moved or unavailable coordinator. Default 60 s.
	DefaultAPITimeout time.Duration
	// RetryBackoff is retry.backoff.ms. Default 100 ms.
	RetryBackoff time.Duration
	// MetadataMaxAge is metadata.max.age.ms. Default 5 min.
	MetadataMaxAge time.Duration
	// CheckCRCs is check.crcs: verify every batch's checksum. Default true.
	CheckCRCs bool
	// TruncationDetection turns on KIP-320: fetches carry the leader epoch, and after
	// a leader change the position is validated with OffsetForLeaderEpoch, so a
	// consumer that read records an unclean election later truncated moves back to
	// the divergence point instead of skipping the new records at those offsets. A
	// logsim switch (Kafka always does it since 2.3); default true.
	TruncationDetection bool
	// CPU is the client's processing cost model.
	CPU ConsumerCPU
	// CorrelationBase namespaces correlation ids when a node hosts several
	// components; leave 0 for the default (2<<40).
	CorrelationBase int64
}

// ConsumerCPU is what the consumer charges for its work.
type ConsumerCPU struct {
	// PerRecord is the cost of handing one record to the application
	// (deserialization). Default 200 ns.
	PerRecord time.Duration
	// PerRequest is the cost of building or parsing one request. Default 10 µs.
	PerRequest time.Duration
	// DecompressBytesPerSecond is, per codec (indexed by proto.Compression), the rate
	// at which the consumer decompresses the batches it returns. Defaults: gzip
	// 300 MB/s, snappy 1.5 GB/s, lz4 3 GB/s, zstd 1 GB/s.
	DecompressBytesPerSecond [5]float64
}

// DefaultConsumerConfig is Kafka's defaults.
func DefaultConsumerConfig(groupID string, bootstrap ...node.ID) ConsumerConfig {
	return ConsumerConfig{
		BootstrapServers:            bootstrap,
		GroupID:                     groupID,
		ClientID:                    "consumer",
		SessionTimeout:              45 * time.Second,
		HeartbeatInterval:           3 * time.Second,
		MaxPollInterval:             5 * time.Minute,
		PartitionAssignmentStrategy: []string{RangeAssignorName, CooperativeStickyAssignorName},
		EnableAutoCommit:            true,
		AutoCommitInterval:          5 * time.Second,
		AutoOffsetReset:             ResetLatest,
		FetchMinBytes:               1,
		FetchMaxBytes:               50 << 20,
		FetchMaxWait:                500 * time.Millisecond,
		MaxPartitionFetchBytes:      1 << 20,
		MaxPollRecords:              500,
		RequestTimeout:              30 * time.Second,
		DefaultAPITimeout:           60 * time.Second,
		RetryBackoff:                100 * time.Millisecond,
		MetadataMaxAge:              5 * time.Minute,
		CheckCRCs:                   true,
		TruncationDetection:         true,
		CPU: ConsumerCPU{PerRecord: 200 * time.Nanosecond, PerRequest: 10 * time.Microsecond,
			DecompressBytesPerSecond: [5]float64{0, 300e6, 1.5e9, 3e9, 1e9}},
	}
}

// Validate checks the settings as Kafka's consumer does at construction.
func (c ConsumerConfig) Validate() error {
	switch {
	case len(c.BootstrapServers) == 0:
		return fmt.Errorf("bootstrap.servers is empty")
	case c.SessionTimeout <= 0 || c.HeartbeatInterval <= 0:
		return fmt.Errorf("session.timeout.ms and heartbeat.interval.ms must be positive")
	case c.HeartbeatInterval >= c.SessionTimeout:
		return fmt.Errorf("heartbeat.interval.ms %v must be lower than session.timeout.ms %v", c.HeartbeatInterval, c.SessionTimeout)
	case c.MaxPollInterval <= 0:
		return fmt.Errorf("max.poll.interval.ms must be positive, got %v", c.MaxPollInterval)
	case len(c.PartitionAssignmentStrategy) == 0:
		return fmt.Errorf("partition.assignment.strategy is empty")
	case c.EnableAutoCommit && c.AutoCommitInterval <= 0:
		return fmt.Errorf("auto.commit.interval.ms must be positive, got %v", c.AutoCommitInterval)
	case c.AutoOffsetReset > ResetNone:
		return fmt.Errorf("auto.offset.reset: want latest, earliest or none")
	case c.FetchMinBytes < 0 || c.FetchMaxBytes <= 0 || c.MaxPartitionFetchBytes <= 0:
		return fmt.Errorf("fetch.min.bytes must not be negative; fetch.max.bytes and max.partition.fetch.bytes must be positive")
	case c.FetchMaxWait < 0:
		return fmt.Errorf("fetch.max.wait.ms must not be negative, got %v", c.FetchMaxWait)
	case c.MaxPollRecords < 1:
		return fmt.Errorf("max.poll.records must be at least 1, got %d", c.MaxPollRecords)
	case c.RequestTimeout <= c.FetchMaxWait:
		return fmt.Errorf("request.timeout.ms %v must be greater than fetch.max.wait.ms %v", c.RequestTimeout, c.FetchMaxWait)
	case c.DefaultAPITimeout <= 0 || c.RetryBackoff <= 0 || c.MetadataMaxAge <= 0:
		return fmt.Errorf("default.api.timeout.ms, retry.backoff.ms and metadata.max.age.ms must be positive")
	}
	for _, name := range c.PartitionAssignmentStrategy {
		if _, err := AssignorByName(name); err != nil {
			return err
		}
	}
	return nil
}
