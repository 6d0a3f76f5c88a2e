package scenarios

import (
	"slices"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"logsim/checker"

	"logsim/faults"
	"logsim/workloads"
)

// Scenario is one scenario file: the cluster, its topics, the load, the faults, and
// what the run is expected to show. Load fills every default explicitly, so a loaded
// Scenario is complete and marshals to a file that reproduces the run.
type Scenario struct {
	Name        string             `yaml:"name" doc:"the scenario's name, used in reports and the reproduction command" default:"the file name without .yaml"`
	Description string             `yaml:"description" doc:"one line saying what the scenario shows"`
	Seed        uint64             `yaml:"seed" doc:"the seed every random choice derives from; logsim run --seed overrides it"`
	Hardware    HardwareRef        `yaml:"hardware" doc:"a shipped profile name (commodity-2014, cloud-nvme, laptop), a path to a profile file (relative to the scenario), or a mapping with profile: NAME and overrides of any of its keys"`
	Duration    time.Duration      `yaml:"duration" doc:"length of the load phase: producers send and faults are injected"`
	Phases      Phases             `yaml:"phases" doc:"the phases after the load phase"`
	Cluster     Cluster            `yaml:"cluster" doc:"the brokers and their configuration"`
	Topics      []Topic            `yaml:"topics" doc:"topics created before the run starts"`
	Producers   []Producer         `yaml:"producers" doc:"producer workloads"`
	Consumers   []Consumer         `yaml:"consumers" doc:"consumer workloads"`
	Faults      []faults.Spec      `yaml:"faults" doc:"faults injected during the load phase"`
	Expect      Expect             `yaml:"expect" doc:"what the run must show; logsim run exits 1 when it does not"`
	Sweep       map[string][]Value `yaml:"sweep" doc:"for logsim sweep: a list of values for each --set path (producers.p.config.linger.ms: [0, 5, 50]); the sweep runs every combination"`
}

func (s *Scenario) setDefaults() {
	*s = Scenario{
		Seed:     1,
		Hardware: HardwareRef{Profile: DefaultProfile},
		Duration: 60 * time.Second,
		Topics:   []Topic{},
	}
	s.Phases.setDefaults()
	s.Cluster.setDefaults()
	s.Producers, s.Consumers, s.Faults = []Producer{}, []Consumer{}, []faults.Spec{}
	s.Expect.setDefaults()
	s.Sweep = map[string][]Value{}
}

// Default returns a scenario with every default filled and nothing else: no topics,
// producers, consumers or faults.
func Default() *Scenario {
	s := &Scenario{}
	s.setDefaults()
	return s
}

// Phases are the run's phases after load: heal, then drain.
type Phases struct {
	Heal  time.Duration `yaml:"heal" doc:"faults stop, crashed nodes restart and partitions heal; producers keep sending for this long"`
	Drain time.Duration `yaml:"drain" doc:"producers stop; consumers finish and every partition is read from the beginning; every acknowledged record must be readable within this deadline (the liveness check); by default as long as load and heal together, 1m at least"`
}

func (p *Phases) setDefaults() { *p = Phases{Heal: 10 * time.Second, Drain: 60 * time.Second} }

// Cluster is the brokers and their configuration. The controller is a dedicated node
// (KRaft with a single controller).
type Cluster struct {
	Brokers int          `yaml:"brokers" doc:"number of brokers, named broker-0 to broker-N-1 (node.id 0 to N-1)"`
	Config  BrokerConfig `yaml:"config" doc:"broker configuration, Kafka's keys (server.properties)"`
}

func (c *Cluster) setDefaults() {
	c.Brokers = 3
	c.Config.setDefaults()
}

// BrokerConfig is the brokers' configuration with Kafka's keys and defaults (Kafka 4.x).
type BrokerConfig struct {
	MinInsyncReplicas             int               `yaml:"min.insync.replicas" doc:"replicas that must have a write for acks=all to succeed (the topic default)"`
	UncleanLeaderElectionEnable   bool              `yaml:"unclean.leader.election.enable" doc:"elect an out-of-sync replica when no in-sync replica is alive (may lose acknowledged writes)"`
	EligibleLeaderReplicasEnable  bool              `yaml:"eligible.leader.replicas.enable" doc:"KIP-966 eligible leader replicas (Kafka 4.x: feature eligible.leader.replicas.version=1): the high watermark advances only with min.insync.replicas replicas, and replicas that left the ISR after it can still be elected"`
	ReplicaLagTimeMaxMs           Millis            `yaml:"replica.lag.time.max.ms" doc:"a follower that has not caught up for this long leaves the ISR"`
	ReplicaFetchWaitMaxMs         Millis            `yaml:"replica.fetch.wait.max.ms" doc:"how long a follower's fetch waits at the leader for data"`
	ReplicaFetchMinBytes          Bytes             `yaml:"replica.fetch.min.bytes" doc:"bytes a follower's fetch waits for"`
	ReplicaFetchMaxBytes          Bytes             `yaml:"replica.fetch.max.bytes" doc:"bytes a follower fetches per partition per request"`
	ReplicaSocketTimeoutMs        Millis            `yaml:"replica.socket.timeout.ms" doc:"a follower's fetch request times out after this long"`
	NumReplicaFetchers            int               `yaml:"num.replica.fetchers" doc:"fetcher connections per source broker"`
	LogSegmentBytes               Bytes             `yaml:"log.segment.bytes" doc:"a segment rolls when it reaches this size (topic: segment.bytes)"`
	LogRollMs                     Millis            `yaml:"log.roll.ms" doc:"a segment rolls after this long (topic: segment.ms)"`
	LogRetentionMs                Millis            `yaml:"log.retention.ms" doc:"closed segments older than this are deleted; -1 keeps them forever (topic: retention.ms)"`
	LogRetentionBytes             Bytes             `yaml:"log.retention.bytes" doc:"oldest segments are deleted while a partition is larger; -1 for no limit (topic: retention.bytes)"`
	LogRetentionCheckIntervalMs   Millis            `yaml:"log.retention.check.interval.ms" doc:"how often retention runs"`
	LogFlushIntervalMessages      int64             `yaml:"log.flush.interval.messages" doc:"fsync a partition after this many messages; 1 syncs every batch (topic: flush.messages). Kafka's default never forces a flush"`
	LogFlushIntervalMs            Millis            `yaml:"log.flush.interval.ms" doc:"fsync a partition when its oldest unflushed message is this old (topic: flush.ms)"`
	MessageMaxBytes               Bytes             `yaml:"message.max.bytes" doc:"largest record batch a broker accepts (topic: max.message.bytes)"`
	CompressionType               BrokerCompression `yaml:"compression.type" doc:"producer keeps the producer's codec; any other value recompresses on the broker"`
	DefaultReplicationFactor      int               `yaml:"default.replication.factor" doc:"replication factor of topics that do not set replication.factor"`
	NumPartitions                 int               `yaml:"num.partitions" doc:"partitions of topics that do not set partitions"`
	OffsetsTopicReplicationFactor int               `yaml:"offsets.topic.replication.factor" doc:"replication factor of __consumer_offsets" default:"3, or brokers if fewer"`
	BrokerSessionTimeoutMs        Millis            `yaml:"broker.session.timeout.ms" doc:"the controller fences a broker that has not heartbeat for this long"`
	BrokerHeartbeatIntervalMs     Millis            `yaml:"broker.heartbeat.interval.ms" doc:"how often a broker heartbeats to the controller"`
	GroupInitialRebalanceDelayMs  Millis            `yaml:"group.initial.rebalance.delay.ms" doc:"the coordinator waits this long for more members before the first rebalance of an empty group"`
	GroupMinSessionTimeoutMs      Millis            `yaml:"group.min.session.timeout.ms" doc:"smallest session.timeout.ms a consumer may ask for"`
	GroupMaxSessionTimeoutMs      Millis            `yaml:"group.max.session.timeout.ms" doc:"largest session.timeout.ms a consumer may ask for"`
	OffsetsRetentionMinutes       int               `yaml:"offsets.retention.minutes" doc:"committed offsets of an empty group expire after this long"`
	QueuedMaxRequests             int               `yaml:"queued.max.requests" doc:"requests a broker queues before it stops reading from the network"`
}

func (b *BrokerConfig) setDefaults() {
	*b = BrokerConfig{
		MinInsyncReplicas:             1,
		ReplicaLagTimeMaxMs:           30000,
		ReplicaFetchWaitMaxMs:         500,
		ReplicaFetchMinBytes:          1,
		ReplicaFetchMaxBytes:          1048576,
		ReplicaSocketTimeoutMs:        30000,
		NumReplicaFetchers:            1,
		LogSegmentBytes:               1073741824,
		LogRollMs:                     604800000, // log.roll.hours=168
		LogRetentionMs:                604800000, // log.retention.hours=168
		LogRetentionBytes:             -1,
		LogRetentionCheckIntervalMs:   300000,
		LogFlushIntervalMessages:      int64(Forever),
		LogFlushIntervalMs:            Forever,
		MessageMaxBytes:               1048588,
		CompressionType:               "producer",
		DefaultReplicationFactor:      1,
		NumPartitions:                 1,
		OffsetsTopicReplicationFactor: 3,
		BrokerSessionTimeoutMs:        9000,
		BrokerHeartbeatIntervalMs:     2000,
		GroupInitialRebalanceDelayMs:  3000,
		GroupMinSessionTimeoutMs:      6000,
		GroupMaxSessionTimeoutMs:      1800000,
		OffsetsRetentionMinutes:       10080,
		QueuedMaxRequests:             500,
	}
}

// Topic is a topic created before the run.
type Topic struct {
	Name              string      `yaml:"name" doc:"the topic's name (letters, digits, '.', '_', '-')"`
	Partitions        int         `yaml:"partitions" doc:"number of partitions" default:"cluster num.partitions"`
	ReplicationFactor int         `yaml:"replication.factor" doc:"replicas per partition, at most the number of brokers" default:"cluster default.replication.factor"`
	Config            TopicConfig `yaml:"config" doc:"topic-level overrides, Kafka's topic keys; each defaults to the broker setting named"`
}

func (t *Topic) setDefaults() { t.Config.setDefaults() }

// TopicConfig holds a topic's overrides. Fields the file does not set take the cluster's
// broker setting (min.insync.replicas, log.retention.ms ...).
type TopicConfig struct {
	MinInsyncReplicas           int               `yaml:"min.insync.replicas" doc:"replicas that must have a write for acks=all" default:"cluster min.insync.replicas"`
	UncleanLeaderElectionEnable bool              `yaml:"unclean.leader.election.enable" doc:"allow electing an out-of-sync replica" default:"cluster unclean.leader.election.enable"`
	SegmentBytes                Bytes             `yaml:"segment.bytes" doc:"segment size" default:"cluster log.segment.bytes"`
	SegmentMs                   Millis            `yaml:"segment.ms" doc:"segment age before it rolls" default:"cluster log.roll.ms"`
	RetentionMs                 Millis            `yaml:"retention.ms" doc:"age after which closed segments are deleted; -1 forever" default:"cluster log.retention.ms"`
	RetentionBytes              Bytes             `yaml:"retention.bytes" doc:"partition size above which the oldest segments are deleted; -1 no limit" default:"cluster log.retention.bytes"`
	FlushMessages               int64             `yaml:"flush.messages" doc:"fsync after this many messages" default:"cluster log.flush.interval.messages"`
	FlushMs                     Millis            `yaml:"flush.ms" doc:"fsync when the oldest unflushed message is this old" default:"cluster log.flush.interval.ms"`
	MaxMessageBytes             Bytes             `yaml:"max.message.bytes" doc:"largest record batch accepted" default:"cluster message.max.bytes"`
	CompressionType             BrokerCompression `yaml:"compression.type" doc:"producer, uncompressed, or a codec the broker recompresses to" default:"cluster compression.type"`
}

// setDefaults fills the broker defaults; the loader then copies the cluster's settings
// into every field the file does not set.
func (t *TopicConfig) setDefaults() {
	var b BrokerConfig
	b.setDefaults()
	t.inherit(&b, func(string) bool { return false })
}

// inherit copies the broker's settings into the fields for which explicit is false.
func (t *TopicConfig) inherit(b *BrokerConfig, explicit func(key string) bool) {
	if !explicit("min.insync.replicas") {
		t.MinInsyncReplicas = b.MinInsyncReplicas
	}
	if !explicit("unclean.leader.election.enable") {
		t.UncleanLeaderElectionEnable = b.UncleanLeaderElectionEnable
	}
	if !explicit("segment.bytes") {
		t.SegmentBytes = b.LogSegmentBytes
	}
	if !explicit("segment.ms") {
		t.SegmentMs = b.LogRollMs
	}
	if !explicit("retention.ms") {
		t.RetentionMs = b.LogRetentionMs
	}
	if !explicit("retention.bytes") {
		t.RetentionBytes = b.LogRetentionBytes
	}
	if !explicit("flush.messages") {
		t.FlushMessages = b.LogFlushIntervalMessages
	}
	if !explicit("flush.ms") {
		t.FlushMs = b.LogFlushIntervalMs
	}
	if !explicit("max.message.bytes") {
		t.MaxMessageBytes = b.MessageMaxBytes
	}
	if !explicit("compression.type") {
		t.CompressionType = b.CompressionType
	}
}

// Producer is a group of identical producer clients writing to one topic.
type Producer struct {
	Name        string         `yaml:"name" doc:"names the producers in selectors and reports: NAME for all, NAME-I for instance I"`
	Count       int            `yaml:"count" doc:"number of producer instances"`
	Topic       string         `yaml:"topic" doc:"the topic written to"`
	Rate        workloads.Rate `yaml:"rate" doc:"the total load of all instances together (as OpenMessaging Benchmark's producerRate), split evenly; intended send times are recorded, so latency includes time spent waiting to send"`
	MessageSize workloads.Size `yaml:"message.size" doc:"size of each record's value"`
	Keys        workloads.Keys `yaml:"keys" doc:"record keys; the default partitioner hashes keys, and spreads keyless records in sticky batches"`
	Payload     Payload        `yaml:"payload" doc:"the bytes of record values, which decide how well they compress"`
	Config      ProducerConfig `yaml:"config" doc:"producer configuration, Kafka's keys"`
}

func (p *Producer) setDefaults() {
	*p = Producer{Count: 1, Rate: workloads.ConstantRate(1000), MessageSize: workloads.FixedSize(1024), Payload: "random"}
	p.Config.setDefaults()
}

// ProducerConfig is a producer's configuration with Kafka's keys and defaults (Kafka 4.x).
type ProducerConfig struct {
	Acks                             Acks        `yaml:"acks" doc:"all: the leader waits for the ISR; 1: the leader alone; 0: no acknowledgement"`
	LingerMs                         Millis      `yaml:"linger.ms" doc:"how long a batch waits for more records before it is sent (5 since Kafka 4.0, KIP-1030)"`
	BatchSize                        Bytes       `yaml:"batch.size" doc:"largest batch per partition, by its estimated size on the wire: with compression, the ratio the producer has learned lets a batch hold more records"`
	BufferMemory                     Bytes       `yaml:"buffer.memory" doc:"memory for records waiting to be sent; a full buffer blocks send for up to max.block.ms"`
	CompressionType                  Compression `yaml:"compression.type" doc:"codec applied to each batch"`
	EnableIdempotence                bool        `yaml:"enable.idempotence" doc:"sequence numbers per partition so retries do not duplicate or reorder; Kafka enables it unless acks, retries or max.in.flight conflict" default:"true unless acks is not all, retries is 0 or max.in.flight.requests.per.connection > 5"`
	MaxInFlightRequestsPerConnection int         `yaml:"max.in.flight.requests.per.connection" doc:"unacknowledged requests per broker connection"`
	Retries                          int         `yaml:"retries" doc:"how often a failed batch is retried (within delivery.timeout.ms)"`
	RetryBackoffMs                   Millis      `yaml:"retry.backoff.ms" doc:"first wait before a retry"`
	RetryBackoffMaxMs                Millis      `yaml:"retry.backoff.max.ms" doc:"longest wait before a retry (exponential backoff)"`
	RequestTimeoutMs                 Millis      `yaml:"request.timeout.ms" doc:"a request without a response for this long fails (and may be retried)"`
	DeliveryTimeoutMs                Millis      `yaml:"delivery.timeout.ms" doc:"a record not acknowledged this long after send fails; must be at least linger.ms + request.timeout.ms"`
	MaxBlockMs                       Millis      `yaml:"max.block.ms" doc:"how long send blocks on a full buffer or missing metadata"`
	MaxRequestSize                   Bytes       `yaml:"max.request.size" doc:"largest request (and largest record)"`
	PartitionerIgnoreKeys            bool        `yaml:"partitioner.ignore.keys" doc:"spread keyed records as if they had no key"`
	MetadataMaxAgeMs                 Millis      `yaml:"metadata.max.age.ms" doc:"metadata is refreshed at least this often"`
}

func (c *ProducerConfig) setDefaults() {
	*c = ProducerConfig{
		Acks:                             "all",
		LingerMs:                         5,
		BatchSize:                        16384,
		BufferMemory:                     33554432,
		CompressionType:                  "none",
		EnableIdempotence:                true,
		MaxInFlightRequestsPerConnection: 5,
		Retries:                          2147483647,
		RetryBackoffMs:                   100,
		RetryBackoffMaxMs:                1000,
		RequestTimeoutMs:                 30000,
		DeliveryTimeoutMs:                120000,
		MaxBlockMs:                       60000,
		MaxRequestSize:                   1048576,
		MetadataMaxAgeMs:                 300000,
	}
}

// Consumer is a group of identical consumer clients: members of a consumer group
// (subscribe), or readers of assigned partitions (assign).
type Consumer struct {
	Name       string          `yaml:"name" doc:"names the consumers in selectors and reports: NAME for all, NAME-I for instance I"`
	Count      int             `yaml:"count" doc:"number of consumer instances"`
	Group      string          `yaml:"group" doc:"the consumer group (group.id); several consumer entries with different groups fan out"`
	Topics     []string        `yaml:"topics" doc:"topics to subscribe to, as members of group"`
	Assign     []string        `yaml:"assign" doc:"partitions to read without group management, TOPIC/P or TOPIC for all its partitions, divided among the instances round-robin"`
	Processing workloads.Delay `yaml:"processing" doc:"time spent processing each record after poll"`
	Commit     CommitMode      `yaml:"commit" doc:"when offsets are committed: auto (enable.auto.commit), after-processing (commitSync, at-least-once), before-processing (at-most-once), async (commitAsync), async-worker (auto-commit while a worker processes asynchronously), none" default:"auto if enable.auto.commit, else after-processing; none without a group"`
	Config     ConsumerConfig  `yaml:"config" doc:"consumer configuration, Kafka's keys"`
}

func (c *Consumer) setDefaults() {
	*c = Consumer{Count: 1, Topics: []string{}, Assign: []string{}, Commit: CommitAuto}
	c.Config.setDefaults()
}

// ConsumerConfig is a consumer's configuration with Kafka's keys and defaults (Kafka 4.x).
type ConsumerConfig struct {
	EnableAutoCommit            bool        `yaml:"enable.auto.commit" doc:"commit polled offsets in the background every auto.commit.interval.ms" default:"true, or as commit says"`
	AutoCommitIntervalMs        Millis      `yaml:"auto.commit.interval.ms" doc:"auto-commit period"`
	AutoOffsetReset             OffsetReset `yaml:"auto.offset.reset" doc:"where to start without a committed offset, or when it is out of range"`
	SessionTimeoutMs            Millis      `yaml:"session.timeout.ms" doc:"the coordinator removes a member without a heartbeat for this long"`
	HeartbeatIntervalMs         Millis      `yaml:"heartbeat.interval.ms" doc:"how often a member heartbeats; below session.timeout.ms"`
	MaxPollIntervalMs           Millis      `yaml:"max.poll.interval.ms" doc:"a member that does not poll for this long leaves the group"`
	MaxPollRecords              int         `yaml:"max.poll.records" doc:"records returned by one poll"`
	FetchMinBytes               Bytes       `yaml:"fetch.min.bytes" doc:"bytes a fetch waits for"`
	FetchMaxWaitMs              Millis      `yaml:"fetch.max.wait.ms" doc:"how long a fetch waits for fetch.min.bytes"`
	FetchMaxBytes               Bytes       `yaml:"fetch.max.bytes" doc:"largest fetch response"`
	MaxPartitionFetchBytes      Bytes       `yaml:"max.partition.fetch.bytes" doc:"largest data per partition in a fetch"`
	PartitionAssignmentStrategy Assignor    `yaml:"partition.assignment.strategy" doc:"how partitions are divided among members (Kafka's default list starts with range)"`
	IsolationLevel              Isolation   `yaml:"isolation.level" doc:"read_committed hides aborted transactional records (transactions are not modelled, so both read the same)"`
	RequestTimeoutMs            Millis      `yaml:"request.timeout.ms" doc:"a request without a response for this long fails"`
	RetryBackoffMs              Millis      `yaml:"retry.backoff.ms" doc:"wait before retrying a failed request"`
}

func (c *ConsumerConfig) setDefaults() {
	*c = ConsumerConfig{
		EnableAutoCommit:            true,
		AutoCommitIntervalMs:        5000,
		AutoOffsetReset:             "latest",
		SessionTimeoutMs:            45000,
		HeartbeatIntervalMs:         3000,
		MaxPollIntervalMs:           300000,
		MaxPollRecords:              500,
		FetchMinBytes:               1,
		FetchMaxWaitMs:              500,
		FetchMaxBytes:               52428800,
		MaxPartitionFetchBytes:      1048576,
		PartitionAssignmentStrategy: "range",
		IsolationLevel:              "read_uncommitted",
		RequestTimeoutMs:            30000,
		RetryBackoffMs:              100,
	}
}

// Expect is what a run must show.
type Expect struct {
	Valid      bool                     `yaml:"valid" doc:"whether the checker must find the history valid" default:"true when anomalies is empty, else false"`
	Anomalies  []string                 `yaml:"anomalies" doc:"anomaly types the checker must report (each at least once)"`
	Allow      []string                 `yaml:"allow" doc:"anomaly types that may appear without failing the run"`
	Liveness   bool                     `yaml:"liveness" doc:"every acknowledged record must be readable by the drain deadline"`
	Throughput PerSecond                `yaml:"throughput.min" doc:"acknowledged records per second over the load phase must reach this (0: no bound)"`
	Latency    map[string]time.Duration `yaml:"latency.max" doc:"upper bounds on latency percentiles: keys produce.pNN or end-to-end.pNN (p50, p99, p99.9 ...), values durations"`
}

func (e *Expect) setDefaults() {
	*e = Expect{Valid: true, Anomalies: []string{}, Allow: []string{}, Liveness: true, Latency: map[string]time.Duration{}}
}

// Anomalies lists the anomaly types an expectation may name: every type the checker
// reports (checker.AllTypes), and liveness, the run's own finding when an acknowledged
// record is not readable by the drain deadline. Sorted.
var Anomalies = func() []string {
	out := append(checker.AllTypes(), "liveness")
	slices.Sort(out)
	return out
}()

// Value is a YAML value kept as text, as --set takes it: a scalar (5, all, 10ms) or a
// collection in flow form ({profile: laptop, disk: {count: 2}}).
type Value string

func (Value) syntax() string { return "any YAML value, as --set takes it" }

// decodeNode keeps the node's text.
func (v *Value) decodeNode(d *decoder, n ast.Node, path string) {
	if text, ok := scalar(n); ok {
		*v = Value(text)
		return
	}
	if _, null := n.(*ast.NullNode); null {
		d.errorf(n, path, "missing value")
		return
	}
	*v = Value(strings.TrimSpace(n.String()))
}
