package broker

import (
	"fmt"
	"strconv"
	"time"

	"logsim/broker/group"
	"logsim/broker/node"
	"logsim/broker/partition"
	"logsim/broker/proto"
)

// Config holds a broker's settings. Kafka configuration keys become MixedCaps fields;
// each field names its key and default.
type Config struct {
	// Controller is the controller's node id.
	Controller node.ID

	// ReplicaLagTimeMax is replica.lag.time.max.ms: a follower that has not caught up
	// with the leader's log end for this long leaves the ISR. Default 30 s.
	ReplicaLagTimeMax time.Duration
	// ReplicaFetchWaitMax is replica.fetch.wait.max.ms: how long a follower's fetch
	// waits at the leader for new data. Default 500 ms.
	ReplicaFetchWaitMax time.Duration
	// ReplicaFetchMinBytes is replica.fetch.min.bytes. Default 1.
	ReplicaFetchMinBytes int32
	// ReplicaFetchMaxBytes is replica.fetch.max.bytes, per partition. Default 1 MiB.
	ReplicaFetchMaxBytes int32
	// ReplicaFetchResponseMaxBytes is replica.fetch.response.max.bytes. Default 10 MiB.
	ReplicaFetchResponseMaxBytes int32
	// ReplicaFetchBackoff is replica.fetch.backoff.ms, the pause after a fetch error.
	// Default 1 s.
	ReplicaFetchBackoff time.Duration
	// ReplicaSocketTimeout is replica.socket.timeout.ms: a follower gives up on a
	// fetch with no answer after this long. Default 30 s.
	ReplicaSocketTimeout time.Duration
	// BrokerHeartbeatInterval is broker.heartbeat.interval.ms. Default 2 s.
	BrokerHeartbeatInterval time.Duration
	// MinInsyncReplicas is min.insync.replicas (topics may override it): acks=all
	// produces fail with NOT_ENOUGH_REPLICAS below it. Default 1.
	MinInsyncReplicas int
	// EligibleLeaderReplicasEnable mirrors the controller's KIP-966 switch: with it,
	// the high watermark advances only while the ISR has min.insync.replicas members.
	// Default false.
	EligibleLeaderReplicasEnable bool
	// MessageMaxBytes is message.max.bytes, the largest batch accepted. Default
	// 1048588.
	MessageMaxBytes int32
	// Log holds the log.* defaults for topics: log.segment.bytes, log.roll.ms,
	// log.retention.ms, log.retention.bytes, log.flush.interval.messages and
	// log.flush.interval.ms (Kafka's defaults, see partition.DefaultConfig).
	Log partition.Config
	// LogRetentionCheckInterval is log.retention.check.interval.ms. Default 5 min.
	LogRetentionCheckInterval time.Duration
	// LogFlushSchedulerInterval is log.flush.scheduler.interval.ms: how often flush.ms
	// is checked. Kafka's default never checks; this model defaults to 1 s so that a
	// topic's flush.ms takes effect.
	LogFlushSchedulerInterval time.Duration
	// Group is the group coordinator's settings: group.* and offsets.topic.* (see
	// group.DefaultConfig).
	Group group.Config
	// OffsetCommitTimeout is offsets.commit.timeout.ms: how long the coordinator waits
	// for an append to __consumer_offsets to be replicated before failing it.
	// Default 5 s.
	OffsetCommitTimeout time.Duration
	// CPU is the processing cost model.
	CPU CPU
}

// CPU is what the broker charges for its work; hardware profiles set it.
type CPU struct {
	// PerRequest is the fixed cost of handling any request. Default 20 µs.
	PerRequest time.Duration
	// PerBatch is the cost of validating and indexing one record batch. Default 2 µs.
	PerBatch time.Duration
	// BytesPerSecond is the rate of copying and checksumming data (produce, fetch,
	// replication). Default 2 GB/s.
	BytesPerSecond float64
	// DecompressBytesPerSecond is, per codec (indexed by proto.Compression), the rate
	// at which the broker decompresses a batch's records to validate them, as Kafka's
	// log validator does for compressed batches. Defaults: gzip 300 MB/s, snappy
	// 1.5 GB/s, lz4 3 GB/s, zstd 1 GB/s.
	DecompressBytesPerSecond [5]float64
}

// DefaultConfig is Kafka's defaults and a modern server's CPU.
func DefaultConfig() Config {
	return Config{
		ReplicaLagTimeMax:            30 * time.Second,
		ReplicaFetchWaitMax:          500 * time.Millisecond,
		ReplicaFetchMinBytes:         1,
		ReplicaFetchMaxBytes:         1 << 20,
		ReplicaFetchResponseMaxBytes: 10 << 20,
		ReplicaFetchBackoff:          time.Second,
		ReplicaSocketTimeout:         30 * time.Second,
		BrokerHeartbeatInterval:      2 * time.Second,
		MinInsyncReplicas:            1,
		MessageMaxBytes:              1048588,
		Log:                          partition.DefaultConfig(),
		LogRetentionCheckInterval:    5 * time.Minute,
		LogFlushSchedulerInterval:    time.Second,
		Group:                        group.DefaultConfig(),
		OffsetCommitTimeout:          5 * time.Second,
		CPU: CPU{
			PerRequest:               20 * time.Microsecond,
			PerBatch:                 2 * time.Microsecond,
			BytesPerSecond:           2e9,
			DecompressBytesPerSecond: [5]float64{0, 300e6, 1.5e9, 3e9, 1e9},
		},
	}
}

// Validate checks the settings.
func (c Config) Validate() error {
	if err := c.Group.Validate(); err != nil {
		return err
	}
	switch {
	case c.OffsetCommitTimeout <= 0:
		return fmt.Errorf("offsets.commit.timeout.ms must be positive, got %v", c.OffsetCommitTimeout)
	case c.ReplicaLagTimeMax <= 0:
		return fmt.Errorf("replica.lag.time.max.ms must be positive, got %v", c.ReplicaLagTimeMax)
	case c.BrokerHeartbeatInterval <= 0:
		return fmt.Errorf("broker.heartbeat.interval.ms must be positive, got %v", c.BrokerHeartbeatInterval)
	case c.MinInsyncReplicas < 1:
		return fmt.Errorf("min.insync.replicas must be at least 1, got %d", c.MinInsyncReplicas)
	case c.LogRetentionCheckInterval <= 0:
		return fmt.Errorf("log.retention.check.interval.ms must be positive, got %v", c.LogRetentionCheckInterval)
	case c.ReplicaFetchBackoff <= 0 || c.ReplicaSocketTimeout <= 0:
		return fmt.Errorf("replica.fetch.backoff.ms and replica.socket.timeout.ms must be positive")
	case c.CPU.BytesPerSecond <= 0:
		return fmt.Errorf("CPU.BytesPerSecond must be positive")
	}
	return nil
}

func (c CPU) bytes(n int) time.Duration {
	return time.Duration(float64(n) / c.BytesPerSecond * 1e9)
}

func (c CPU) decompress(codec proto.Compression, n int) time.Duration {
	if int(codec) <= 0 || int(codec) >= len(c.DecompressBytesPerSecond) || c.DecompressBytesPerSecond[codec] <= 0 {
		return 0
	}
	return time.Duration(float64(n) / c.DecompressBytesPerSecond[codec] * 1e9)
}

// topicSettings is a topic's effective configuration: broker defaults overridden by
// the topic's configs (validated by the controller).
type topicSettings struct {
	log    partition.Config
	minISR int
}

func (c Config) topicSettings(configs map[string]string) topicSettings {
	ts := topicSettings{log: c.Log, minISR: c.MinInsyncReplicas}
	num := func(k string) (int64, bool) {
		v, ok := configs[k]
		if !ok {
			return 0, false
		}
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	if n, ok := num("segment.bytes"); ok {
		ts.log.SegmentBytes = n
	}
	if n, ok := num("segment.ms"); ok {
		ts.log.SegmentMs = time.Duration(n) * time.Millisecond
	}
	if n, ok := num("retention.ms"); ok {
		ts.log.RetentionMs = time.Duration(n) * time.Millisecond
	}
	if n, ok := num("retention.bytes"); ok {
		ts.log.RetentionBytes = n
	}
	if n, ok := num("flush.messages"); ok {
		ts.log.FlushMessages = n
	}
	if n, ok := num("flush.ms"); ok {
		ts.log.FlushMs = time.Duration(n) * time.Millisecond
	}
	if n, ok := num("min.insync.replicas"); ok {
		ts.minISR = int(n)
	}
	return ts
}
