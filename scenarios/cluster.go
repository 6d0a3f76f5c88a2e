package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"logsim/broker"
	"logsim/broker/client"
	"logsim/broker/controller"
	"logsim/broker/node"
	"logsim/broker/partition"
	"logsim/broker/proto"
	"logsim/sim"
	"logsim/workloads"
)

// Node ids of a run: brokers keep their node.id (0 to N-1); the controller and the
// clients come after the largest possible broker id.
const (
	controllerID node.ID = 1000
	adminID      node.ID = 1001
	firstClient  node.ID = 1002
)

// simLatency converts a profile's latency distribution to the simulator's.
func simLatency(l LatencyDist) sim.Latency {
	return sim.Latency{Kind: sim.LatencyKind(l.Kind), Value: l.Value, Min: l.Min, Max: l.Max, Mean: l.Mean,
		SlowProbability: l.SlowProbability, SlowMax: l.SlowMax}
}

// serverNode is the simulator's hardware of a broker or the controller. The profile's
// disks (one log directory each, no RAID) become one device with their combined
// bandwidth and capacity: the simulator has one disk per node.
func serverNode(h *Hardware) sim.NodeConfig {
	n := int64(max(h.Disk.Count, 1))
	return sim.NodeConfig{
		Cores:        h.CPU.Cores,
		NICBandwidth: int64(h.Network.NIC),
		Disk: sim.DiskProfile{
			OpLatency:            simLatency(h.Disk.OpLatency),
			SyncLatency:          simLatency(h.Disk.SyncLatency),
			Bandwidth:            int64(h.Disk.Bandwidth) * n,
			Capacity:             int64(h.Disk.Capacity) * n,
			TornWriteProbability: h.Disk.TornWrite,
		},
	}
}

// clientNode is a client machine: the profile's cores and NIC, no disk.
func clientNode(h *Hardware) sim.NodeConfig {
	return sim.NodeConfig{Cores: h.CPU.Cores, NICBandwidth: int64(h.Network.NIC)}
}

// codecRates lists a per-codec rate in proto.Compression's order (none first, unused).
func codecRates(c Codecs, decompress bool) [5]float64 {
	pick := func(x Codec) float64 {
		if decompress {
			return float64(x.Decompress)
		}
		return float64(x.Compress)
	}
	return [5]float64{0, pick(c.Gzip), pick(c.Snappy), pick(c.LZ4), pick(c.Zstd)}
}

// millis converts a Kafka millisecond setting for the broker packages, where a
// negative value means no limit.
func millis(m Millis) time.Duration {
	if m < 0 || m.Duration() == math.MaxInt64 {
		return -1
	}
	return m.Duration()
}

// never maps Kafka's "never" (Long.MAX_VALUE) flush settings to the broker packages'
// 0, which means never.
func never(n int64) int64 {
	if n >= int64(Forever)/int64(time.Millisecond) {
		return 0
	}
	return n
}

func neverMs(m Millis) time.Duration {
	if d := millis(m); d > 0 {
		return d
	}
	return 0
}

// brokerConfig is the broker's configuration from the scenario and the hardware.
func brokerConfig(s *Scenario) broker.Config {
	c := &s.Cluster.Config
	h := &s.Hardware.Hardware
	bc := broker.DefaultConfig()
	bc.Controller = controllerID
	bc.ReplicaLagTimeMax = c.ReplicaLagTimeMaxMs.Duration()
	bc.ReplicaFetchWaitMax = c.ReplicaFetchWaitMaxMs.Duration()
	bc.ReplicaFetchMinBytes = int32(c.ReplicaFetchMinBytes)
	bc.ReplicaFetchMaxBytes = int32(c.ReplicaFetchMaxBytes)
	bc.ReplicaSocketTimeout = c.ReplicaSocketTimeoutMs.Duration()
	bc.BrokerHeartbeatInterval = c.BrokerHeartbeatIntervalMs.Duration()
	bc.MinInsyncReplicas = c.MinInsyncReplicas
	bc.EligibleLeaderReplicasEnable = c.EligibleLeaderReplicasEnable
	bc.MessageMaxBytes = int32(min(int64(c.MessageMaxBytes), math.MaxInt32))
	bc.Log = partition.Config{
		SegmentBytes:   int64(c.LogSegmentBytes),
		SegmentMs:      neverMs(c.LogRollMs),
		RetentionMs:    millis(c.LogRetentionMs),
		RetentionBytes: int64(c.LogRetentionBytes),
		FlushMessages:  never(c.LogFlushIntervalMessages),
		FlushMs:        neverMs(c.LogFlushIntervalMs),
	}
	if bc.Log.SegmentMs == 0 {
		bc.Log.SegmentMs = partition.DefaultConfig().SegmentMs
	}
	bc.LogRetentionCheckInterval = c.LogRetentionCheckIntervalMs.Duration()
	bc.Group.GroupMinSessionTimeout = c.GroupMinSessionTimeoutMs.Duration()
	bc.Group.GroupMaxSessionTimeout = c.GroupMaxSessionTimeoutMs.Duration()
	bc.Group.GroupInitialRebalanceDelay = c.GroupInitialRebalanceDelayMs.Duration()
	bc.Group.OffsetsTopicReplicationFactor = int16(min(c.OffsetsTopicReplicationFactor, s.Cluster.Brokers))
	bc.CPU.PerRequest = h.CPU.Request
	if h.CPU.Copy > 0 {
		bc.CPU.BytesPerSecond = float64(h.CPU.Copy)
	}
	for i, r := range codecRates(h.CPU.Codecs, true) {
		if r > 0 {
			bc.CPU.DecompressBytesPerSecond[i] = r
		}
	}
	return bc
}

// controllerConfig is the controller's configuration from the scenario.
func controllerConfig(s *Scenario) controller.Config {
	c := &s.Cluster.Config
	cc := controller.DefaultConfig()
	cc.BrokerSessionTimeout = c.BrokerSessionTimeoutMs.Duration()
	cc.UncleanLeaderElectionEnable = c.UncleanLeaderElectionEnable
	cc.EligibleLeaderReplicasEnable = c.EligibleLeaderReplicasEnable
	cc.MinInsyncReplicas = c.MinInsyncReplicas
	return cc
}

// topicConfigs are a topic's settings that differ from the cluster's, in the
// controller's topic config keys.
func topicConfigs(s *Scenario, t *Topic) map[string]string {
	b := &s.Cluster.Config
	c := &t.Config
	out := map[string]string{}
	ms := func(m Millis) string { return strconv.FormatInt(int64(millis(m)/time.Millisecond), 10) }
	if c.MinInsyncReplicas != b.MinInsyncReplicas {
		out["min.insync.replicas"] = strconv.Itoa(c.MinInsyncReplicas)
	}
	if c.UncleanLeaderElectionEnable != b.UncleanLeaderElectionEnable {
		out["unclean.leader.election.enable"] = strconv.FormatBool(c.UncleanLeaderElectionEnable)
	}
	if c.SegmentBytes != b.LogSegmentBytes {
		out["segment.bytes"] = strconv.FormatInt(int64(c.SegmentBytes), 10)
	}
	if c.SegmentMs != b.LogRollMs {
		out["segment.ms"] = ms(c.SegmentMs)
	}
	if c.RetentionMs != b.LogRetentionMs {
		out["retention.ms"] = ms(c.RetentionMs)
	}
	if c.RetentionBytes != b.LogRetentionBytes {
		out["retention.bytes"] = strconv.FormatInt(int64(c.RetentionBytes), 10)
	}
	if c.FlushMessages != b.LogFlushIntervalMessages {
		out["flush.messages"] = strconv.FormatInt(never(c.FlushMessages), 10)
	}
	if c.FlushMs != b.LogFlushIntervalMs {
		out["flush.ms"] = strconv.FormatInt(int64(neverMs(c.FlushMs)/time.Millisecond), 10)
	}
	return out
}

// producerConfig is a producer instance's Kafka configuration.
func producerConfig(s *Scenario, p *Producer, brokers []node.ID) client.ProducerConfig {
	c := &p.Config
	pc := client.DefaultProducerConfig(brokers...)
	var err error
	if pc.Acks, err = proto.ParseAcks(string(c.Acks)); err != nil {
		panic(fmt.Sprintf("scenarios: acks %q passed validation: %v", c.Acks, err))
	}
	if pc.CompressionType, err = proto.ParseCompression(string(c.CompressionType)); err != nil {
		panic(fmt.Sprintf("scenarios: compression %q passed validation: %v", c.CompressionType, err))
	}
	kind := string(p.Payload)
	if kind == "log" {
		kind = "text"
	}
	if pc.Payload, err = proto.ParsePayloadKind(kind); err != nil {
		panic(fmt.Sprintf("scenarios: payload %q passed validation: %v", p.Payload, err))
	}
	pc.Linger = c.LingerMs.Duration()
	pc.BatchSize = int(c.BatchSize)
	pc.BufferMemory = int64(c.BufferMemory)
	pc.MaxBlock = c.MaxBlockMs.Duration()
	pc.MaxInFlightRequestsPerConnection = c.MaxInFlightRequestsPerConnection
	pc.Retries = c.Retries
	pc.RetryBackoff = c.RetryBackoffMs.Duration()
	pc.RequestTimeout = c.RequestTimeoutMs.Duration()
	pc.DeliveryTimeout = c.DeliveryTimeoutMs.Duration()
	pc.EnableIdempotence = c.EnableIdempotence
	pc.MaxRequestSize = int(c.MaxRequestSize)
	pc.MetadataMaxAge = c.MetadataMaxAgeMs.Duration()
	for i, r := range codecRates(s.Hardware.CPU.Codecs, false) {
		if r > 0 {
			pc.CPU.CompressBytesPerSecond[i] = r
		}
	}
	return pc
}

// consumerConfig is a consumer instance's Kafka configuration.
func consumerConfig(s *Scenario, co *Consumer, name string, brokers []node.ID) client.ConsumerConfig {
	c := &co.Config
	cc := client.DefaultConsumerConfig(co.Group, brokers...)
	cc.ClientID = name
	cc.SessionTimeout = c.SessionTimeoutMs.Duration()
	cc.HeartbeatInterval = c.HeartbeatIntervalMs.Duration()
	cc.MaxPollInterval = c.MaxPollIntervalMs.Duration()
	cc.PartitionAssignmentStrategy = []string{string(c.PartitionAssignmentStrategy)}
	cc.EnableAutoCommit = c.EnableAutoCommit
	cc.AutoCommitInterval = c.AutoCommitIntervalMs.Duration()
	var err error
	if cc.AutoOffsetReset, err = client.ParseOffsetReset(string(c.AutoOffsetReset)); err != nil {
		panic(fmt.Sprintf("scenarios: auto.offset.reset %q passed validation: %v", c.AutoOffsetReset, err))
	}
	cc.FetchMinBytes = int32(c.FetchMinBytes)
	cc.FetchMaxBytes = int32(min(int64(c.FetchMaxBytes), math.MaxInt32))
	cc.FetchMaxWait = c.FetchMaxWaitMs.Duration()
	cc.MaxPartitionFetchBytes = int32(min(int64(c.MaxPartitionFetchBytes), math.MaxInt32))
	cc.MaxPollRecords = c.MaxPollRecords
	cc.RequestTimeout = c.RequestTimeoutMs.Duration()
	cc.RetryBackoff = c.RetryBackoffMs.Duration()
	for i, r := range codecRates(s.Hardware.CPU.Codecs, true) {
		if r > 0 {
			cc.CPU.DecompressBytesPerSecond[i] = r
		}
	}
	return cc
}

// appConfig is a consumer instance's application.
func appConfig(s *Scenario, co *Consumer, i int) client.AppConfig {
	a := client.AppConfig{}
	if len(co.Topics) > 0 {
		a.Topics = slices.Clone(co.Topics)
	} else {
		for _, p := range s.Assignment(co, i) {
			a.Partitions = append(a.Partitions, proto.TopicPartition{Topic: p.Topic, Partition: p.Partition})
		}
	}
	switch co.Commit {
	case CommitAfterProcessing:
		a.Mode = client.CommitAfterProcessing
	case CommitBeforeProcessing:
		a.Mode = client.CommitBeforeProcessing
	case CommitAsyncWorker:
		a.Mode = client.CommitAsyncWorker
	default:
		a.Mode = client.CommitAuto
	}
	if !co.Processing.IsZero() {
		a.ProcessingTime = co.Processing
	}
	return a
}

// cluster is the faults.Cluster view of a run.
type cluster struct {
	sim     *sim.Sim
	brokers []node.ID
	clients map[string][]node.ID
	all     []node.ID
}

func (c *cluster) Brokers() []node.ID { return slices.Clone(c.brokers) }

func (c *cluster) Broker(n int) (node.ID, bool) {
	if n < 0 || n >= len(c.brokers) {
		return node.None, false
	}
	return c.brokers[n], true
}

func (c *cluster) Controller() node.ID { return controllerID }

// Leader asks the controller; while the controller is down, the brokers' own view
// (the highest epoch a broker leads in) answers.
func (c *cluster) Leader(topic string, p int32) node.ID {
	tp := proto.TopicPartition{Topic: topic, Partition: p}
	if ctl, ok := c.sim.Machine(controllerID).(*controller.Controller); ok {
		if l, _, ok := ctl.Leader(tp); ok && l >= 0 {
			return node.ID(l)
		}
		return node.None
	}
	best, epoch := node.None, int32(-1)
	for _, id := range c.brokers {
		if b, ok := c.sim.Machine(id).(*broker.Broker); ok {
			if pi, ok := b.Partition(tp); ok && pi.Leader == int32(id) && pi.LeaderEpoch > epoch {
				best, epoch = id, pi.LeaderEpoch
			}
		}
	}
	return best
}

func (c *cluster) Replicas(topic string, p int32) []node.ID {
	tp := proto.TopicPartition{Topic: topic, Partition: p}
	var reps []int32
	if ctl, ok := c.sim.Machine(controllerID).(*controller.Controller); ok {
		if st, ok := ctl.State().Partition(tp); ok {
			reps = st.Replicas
		}
	} else {
		for _, id := range c.brokers {
			if b, ok := c.sim.Machine(id).(*broker.Broker); ok {
				if pi, ok := b.Partition(tp); ok {
					reps = pi.Replicas
					break
				}
			}
		}
	}
	out := make([]node.ID, len(reps))
	for i, r := range reps {
		out[i] = node.ID(r)
	}
	return out
}

func (c *cluster) Clients(name string) []node.ID { return slices.Clone(c.clients[name]) }

func (c *cluster) AllClients() []node.ID { return slices.Clone(c.all) }

// observer turns the brokers' observations into the history's harness events.
type observer struct {
	h        *workloads.History
	logStart map[proto.TopicPartition]int64
}

func (o *observer) Observe(ob broker.Observation) {
	switch ob.Kind {
	case broker.ObserveLeader:
		o.h.Leader(ob.TP, ob.Node, ob.Epoch)
	case broker.ObserveTruncate:
		if ob.Removed != 0 {
			o.h.Truncate(ob.TP, ob.Node, ob.Epoch, ob.Offset)
		}
	case broker.ObserveLogStart:
		// Every replica reports its own move; the history needs each new high.
		if prev, ok := o.logStart[ob.TP]; !ok || ob.Offset > prev {
			o.logStart[ob.TP] = ob.Offset
			o.h.LogStart(ob.TP, ob.Offset)
		}
	}
}
