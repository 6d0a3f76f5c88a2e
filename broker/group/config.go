package group

import (
	"fmt"
	"math"
	"time"
)

// Config holds the coordinator's settings: Kafka's group.* and offsets.* broker keys.
type Config struct {
	// GroupMinSessionTimeout is group.min.session.timeout.ms: joins asking for a
	// shorter session.timeout.ms get INVALID_SESSION_TIMEOUT. Default 6 s.
	GroupMinSessionTimeout time.Duration
	// GroupMaxSessionTimeout is group.max.session.timeout.ms. Default 30 min.
	GroupMaxSessionTimeout time.Duration
	// GroupInitialRebalanceDelay is group.initial.rebalance.delay.ms: how long the
	// first rebalance of an empty group waits for more members, extended by each
	// new one up to the rebalance timeout. Default 3 s; tests often set 0.
	GroupInitialRebalanceDelay time.Duration
	// GroupMaxSize is group.max.size: joins beyond it get GROUP_MAX_SIZE_REACHED.
	// Default MaxInt32.
	GroupMaxSize int
	// OffsetsTopicNumPartitions is offsets.topic.num.partitions, the partition count
	// of __consumer_offsets. Default 50.
	OffsetsTopicNumPartitions int32
	// OffsetsTopicReplicationFactor is offsets.topic.replication.factor. Default 3.
	OffsetsTopicReplicationFactor int16
	// OffsetMetadataMaxSize is offset.metadata.max.bytes; here it bounds the number of
	// partitions in one OffsetCommit (INVALID_COMMIT_OFFSET_SIZE beyond it), since
	// commits carry no metadata strings. Default 4096.
	OffsetMetadataMaxSize int
}

// DefaultConfig is Kafka's defaults.
func DefaultConfig() Config {
	return Config{
		GroupMinSessionTimeout:        6 * time.Second,
		GroupMaxSessionTimeout:        30 * time.Minute,
		GroupInitialRebalanceDelay:    3 * time.Second,
		GroupMaxSize:                  math.MaxInt32,
		OffsetsTopicNumPartitions:     50,
		OffsetsTopicReplicationFactor: 3,
		OffsetMetadataMaxSize:         4096,
	}
}

// Validate checks the settings.
func (c Config) Validate() error {
	switch {
	case c.GroupMinSessionTimeout <= 0 || c.GroupMaxSessionTimeout < c.GroupMinSessionTimeout:
		return fmt.Errorf("group.min.session.timeout.ms %v must be positive and at most group.max.session.timeout.ms %v",
			c.GroupMinSessionTimeout, c.GroupMaxSessionTimeout)
	case c.GroupInitialRebalanceDelay < 0:
		return fmt.Errorf("group.initial.rebalance.delay.ms must not be negative, got %v", c.GroupInitialRebalanceDelay)
	case c.GroupMaxSize < 1:
		return fmt.Errorf("group.max.size must be at least 1, got %d", c.GroupMaxSize)
	case c.OffsetsTopicNumPartitions < 1:
		return fmt.Errorf("offsets.topic.num.partitions must be at least 1, got %d", c.OffsetsTopicNumPartitions)
	case c.OffsetsTopicReplicationFactor < 1:
		return fmt.Errorf("offsets.topic.replication.factor must be at least 1, got %d", c.OffsetsTopicReplicationFactor)
	case c.OffsetMetadataMaxSize < 1:
		return fmt.Errorf("offset.metadata.max.bytes must be at least 1, got %d", c.OffsetMetadataMaxSize)
	}
	return nil
}
