package controller

import (
	"maps"
	"slices"
	"sort"
	"strconv"
	"time"

	"logsim/broker/proto"
)

// Config holds the controller's settings, Kafka keys in MixedCaps.
type Config struct {
	// BrokerSessionTimeout is broker.session.timeout.ms: a broker that has not
	// heartbeated for this long is fenced. Default 9 s.
	BrokerSessionTimeout time.Duration
	// UncleanLeaderElectionEnable is unclean.leader.election.enable (the cluster
	// default; topics may override it): elect a replica outside the ISR when no ISR
	// member is alive, accepting the loss of committed records. Default false.
	UncleanLeaderElectionEnable bool
	// EligibleLeaderReplicasEnable turns on KIP-966 (eligible.leader.replicas.version=1):
	// replicas dropped from an ISR below min.insync.replicas stay electable, and a
	// broker that shut down uncleanly loses that status. Default false.
	EligibleLeaderReplicasEnable bool
	// MinInsyncReplicas is the cluster default of min.insync.replicas (used for ELR).
	// Default 1.
	MinInsyncReplicas int
	// TickInterval is how often the controller checks broker sessions. Default 250 ms.
	TickInterval time.Duration
	// AutoLeaderRebalanceEnable is auto.leader.rebalance.enable: periodically move
	// leadership back to each partition's preferred replica (the first assigned) when
	// it is alive and in the ISR. Default true.
	AutoLeaderRebalanceEnable bool
	// LeaderImbalanceCheckInterval is leader.imbalance.check.interval.seconds.
	// Default 300 s.
	LeaderImbalanceCheckInterval time.Duration
}

// DefaultConfig is Kafka's defaults.
func DefaultConfig() Config {
	return Config{BrokerSessionTimeout: 9 * time.Second, MinInsyncReplicas: 1, TickInterval: 250 * time.Millisecond,
		AutoLeaderRebalanceEnable: true, LeaderImbalanceCheckInterval: 300 * time.Second}
}

// Broker is the controller's record of a registered broker.
type Broker struct {
	ID          int32
	Epoch       int64
	Incarnation int64
	Fenced      bool
	// LastHeartbeat is when the session was last renewed (not persisted).
	LastHeartbeat time.Duration
	// RegisteredAt is the metadata offset at registration: the broker is unfenced
	// once it has caught up to it.
	RegisteredAt int64
	// Recovering is set after an unclean shutdown (KIP-966) until the broker is back
	// in an ISR; with ELR such a broker is not electable from the ELR.
	Recovering bool
}

// Topic is a topic's record.
type Topic struct {
	Name       string
	Configs    map[string]string
	Partitions []*proto.PartitionState
}

// State is the controller's replicated state machine. Every mutating method returns the
// records to persist and publish.
type State struct {
	cfg     Config
	brokers map[int32]*Broker
	topics  map[string]*Topic
	// Offset is the metadata offset: the number of records applied.
	Offset          int64
	nextBrokerEpoch int64
}

// NewState returns an empty cluster.
func NewState(cfg Config) *State {
	return &State{cfg: cfg, brokers: map[int32]*Broker{}, topics: map[string]*Topic{}, nextBrokerEpoch: 1}
}

// Record is one metadata change, as persisted in the controller's log and pushed to
// brokers. Exactly one of its fields is set.
type Record struct {
	Offset    int64
	Broker    *proto.BrokerState
	Topic     *proto.TopicRecord
	Partition *proto.PartitionState
	// Incarnation goes with Broker (registration).
	Incarnation int64
}

// Brokers lists the registered brokers by id.
func (s *State) Brokers() []Broker {
	out := make([]Broker, 0, len(s.brokers))
	for _, b := range s.brokers {
		out = append(out, *b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Broker returns one broker's record.
func (s *State) Broker(id int32) (Broker, bool) {
	b := s.brokers[id]
	if b == nil {
		return Broker{}, false
	}
	return *b, true
}

// TopicNames lists the topics, sorted.
func (s *State) TopicNames() []string {
	return slices.Sorted(maps.Keys(s.topics))
}

// Topic returns a topic.
func (s *State) Topic(name string) (*Topic, bool) {
	t, ok := s.topics[name]
	return t, ok
}

// Partition returns a copy of a partition's state.
func (s *State) Partition(tp proto.TopicPartition) (proto.PartitionState, bool) {
	t := s.topics[tp.Topic]
	if t == nil || tp.Partition < 0 || int(tp.Partition) >= len(t.Partitions) {
		return proto.PartitionState{}, false
	}
	return clonePartition(t.Partitions[tp.Partition]), true
}

func clonePartition(p *proto.PartitionState) proto.PartitionState {
	c := *p
	c.Replicas = slices.Clone(p.Replicas)
	c.ISR = slices.Clone(p.ISR)
	c.ELR = slices.Clone(p.ELR)
	return c
}

func (s *State) live(id int32) bool {
	b := s.brokers[id]
	return b != nil && !b.Fenced
}

func (s *State) record(r Record) Record {
	s.Offset++
	r.Offset = s.Offset
	return r
}

func (s *State) brokerRecord(b *Broker) Record {
	return s.record(Record{Broker: &proto.BrokerState{ID: b.ID, Epoch: b.Epoch, Fenced: b.Fenced}, Incarnation: b.Incarnation})
}

func (s *State) partitionRecord(p *proto.PartitionState) Record {
	c := clonePartition(p)
	return s.record(Record{Partition: &c})
}

func (s *State) topicBool(topic, key string, def bool) bool {
	if t := s.topics[topic]; t != nil {
		if v, ok := t.Configs[key]; ok {
			return v == "true"
		}
	}
	return def
}

func (s *State) minISR(topic string) int {
	if t := s.topics[topic]; t != nil {
		if v, ok := t.Configs["min.insync.replicas"]; ok {
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
		}
	}
	return s.cfg.MinInsyncReplicas
}

// Register handles a BrokerRegistration. A known incarnation gets its epoch back (a
// retried request). A new incarnation of a registered broker means the process
// restarted: the old registration is fenced first (out of every ISR it was in, except
// as the last member), and the new one starts fenced until it catches up on metadata.
// With ELR, a restart without a clean shutdown also removes the broker from ELRs.
func (s *State) Register(req *proto.BrokerRegistrationRequest, now time.Duration) (int64, []Record) {
	if b := s.brokers[req.BrokerID]; b != nil && b.Incarnation == req.IncarnationID {
		b.LastHeartbeat = now
		return b.Epoch, nil
	}
	var recs []Record
	old := s.brokers[req.BrokerID]
	unclean := old != nil && req.PreviousBrokerEpoch != old.Epoch
	if old != nil && !old.Fenced {
		recs = append(recs, s.fence(old)...)
	}
	b := &Broker{ID: req.BrokerID, Epoch: s.nextBrokerEpoch, Incarnation: req.IncarnationID, Fenced: true,
		LastHeartbeat: now, Recovering: unclean}
	s.nextBrokerEpoch++
	s.brokers[b.ID] = b
	recs = append(recs, s.brokerRecord(b))
	b.RegisteredAt = s.Offset
	if unclean && s.cfg.EligibleLeaderReplicasEnable {
		recs = append(recs, s.dropFromELR(b.ID)...)
	}
	return b.Epoch, recs
}

// Heartbeat renews a broker's session. A fenced broker that has caught up on metadata
// is unfenced, and partitions without a leader that it can lead get one.
func (s *State) Heartbeat(req *proto.BrokerHeartbeatRequest, now time.Duration) (proto.ErrorCode, bool, []Record) {
	b := s.brokers[req.BrokerID]
	if b == nil {
		return proto.BROKER_ID_NOT_REGISTERED, true, nil
	}
	if b.Epoch != req.BrokerEpoch {
		return proto.STALE_BROKER_EPOCH, true, nil
	}
	b.LastHeartbeat = now
	if !b.Fenced || req.MetadataOffset < b.RegisteredAt {
		return proto.NONE, b.Fenced, nil
	}
	b.Fenced = false
	recs := []Record{s.brokerRecord(b)}
	recs = append(recs, s.electLeaderless()...)
	return proto.NONE, false, recs
}

// Tick fences brokers whose session expired.
func (s *State) Tick(now time.Duration) []Record {
	var recs []Record
	for _, id := range s.brokerIDs() {
		b := s.brokers[id]
		if !b.Fenced && now-b.LastHeartbeat > s.cfg.BrokerSessionTimeout {
			recs = append(recs, s.fence(b)...)
		}
	}
	return recs
}

// BalanceLeaders moves leadership back to preferred replicas (auto.leader.rebalance):
// every partition whose first assigned replica is alive, in the ISR and not leading
// gets it as leader in a new epoch.
func (s *State) BalanceLeaders() []Record {
	var recs []Record
	s.eachPartition(func(p *proto.PartitionState) {
		preferred := p.Replicas[0]
		if p.Leader == preferred || p.Leader == proto.NoLeader || !s.live(preferred) || !slices.Contains(p.ISR, preferred) {
			return
		}
		p.Leader = preferred
		p.LastKnownLeader = preferred
		p.LeaderEpoch++
		p.PartitionEpoch++
		recs = append(recs, s.partitionRecord(p))
	})
	return recs
}

// ResetSessions gives every broker a fresh session (after a controller restart).
func (s *State) ResetSessions(now time.Duration) {
	for _, b := range s.brokers {
		b.LastHeartbeat = now
	}
}

func (s *State) brokerIDs() []int32 {
	return slices.Sorted(maps.Keys(s.brokers))
}

// fence marks b fenced, removes it from ISRs (keeping a last member, as Kafka does,
// unless ELR takes it) and re-elects the partitions it led.
func (s *State) fence(b *Broker) []Record {
	b.Fenced = true
	recs := []Record{s.brokerRecord(b)}
	s.eachPartition(func(p *proto.PartitionState) {
		if !slices.Contains(p.Replicas, b.ID) {
			return
		}
		changed := false
		if slices.Contains(p.ISR, b.ID) && (len(p.ISR) > 1 || s.cfg.EligibleLeaderReplicasEnable) {
			s.setISR(p, without(p.ISR, b.ID))
			changed = true
		}
		if p.Leader == b.ID {
			s.elect(p)
			changed = true
		}
		if changed {
			p.PartitionEpoch++
			recs = append(recs, s.partitionRecord(p))
		}
	})
	return recs
}

func (s *State) dropFromELR(id int32) []Record {
	var recs []Record
	s.eachPartition(func(p *proto.PartitionState) {
		if slices.Contains(p.ELR, id) {
			p.ELR = without(p.ELR, id)
			p.PartitionEpoch++
			recs = append(recs, s.partitionRecord(p))
		}
	})
	return recs
}

// setISR changes the ISR and maintains the ELR (KIP-966): members dropped while the ISR
// is below min.insync.replicas become eligible; the ELR empties once the ISR is large
// enough; ISR members are never in the ELR.
func (s *State) setISR(p *proto.PartitionState, isr []int32) {
	if s.cfg.EligibleLeaderReplicasEnable {
		min := s.minISR(p.Topic)
		if len(isr) >= min {
			p.ELR = nil
		} else {
			for _, id := range p.ISR {
				if !slices.Contains(isr, id) && !slices.Contains(p.ELR, id) {
					p.ELR = append(p.ELR, id)
				}
			}
			var elr []int32
			for _, id := range p.ELR {
				if !slices.Contains(isr, id) {
					elr = append(elr, id)
				}
			}
			p.ELR = elr
		}
	}
	p.ISR = isr
}

func without(s []int32, id int32) []int32 {
	out := make([]int32, 0, len(s))
	for _, x := range s {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

func (s *State) eachPartition(f func(p *proto.PartitionState)) {
	for _, name := range s.TopicNames() {
		for _, p := range s.topics[name].Partitions {
			f(p)
		}
	}
}

// elect chooses p's leader: the first live ISR member in replica order; else, with ELR,
// the first live eligible replica that did not shut down uncleanly, or, when the ISR
// and ELR are both empty, the last known leader once it is back; else, if unclean
// election is enabled for the topic, the first live replica (its log becomes the truth
// even if it misses committed records); else none. A new leader bumps the leader epoch.
func (s *State) elect(p *proto.PartitionState) {
	prev := p.Leader
	leader := proto.NoLeader
	for _, id := range p.Replicas {
		if slices.Contains(p.ISR, id) && s.live(id) {
			leader = id
			break
		}
	}
	if leader == proto.NoLeader && s.cfg.EligibleLeaderReplicasEnable {
		for _, id := range p.Replicas {
			if slices.Contains(p.ELR, id) && s.live(id) && !s.brokers[id].Recovering {
				leader = id
				p.ISR = []int32{id}
				p.ELR = without(p.ELR, id)
				break
			}
		}
	}
	if leader == proto.NoLeader && s.cfg.EligibleLeaderReplicasEnable && len(p.ISR) == 0 && len(p.ELR) == 0 &&
		p.LastKnownLeader != proto.NoLeader && s.live(p.LastKnownLeader) {
		// Nothing is eligible: like Kafka before ELR when every replica was offline,
		// the last known leader takes over when it returns.
		leader = p.LastKnownLeader
		p.ISR = []int32{leader}
	}
	if leader == proto.NoLeader && s.topicBool(p.Topic, "unclean.leader.election.enable", s.cfg.UncleanLeaderElectionEnable) {
		for _, id := range p.Replicas {
			if s.live(id) {
				leader = id
				p.ISR = []int32{id}
				p.ELR = nil
				break
			}
		}
	}
	p.Leader = leader
	if leader != prev {
		p.LeaderEpoch++
	}
	if leader != proto.NoLeader {
		p.LastKnownLeader = leader
	}
}

// electLeaderless elects a leader for every partition that has none.
func (s *State) electLeaderless() []Record {
	var recs []Record
	s.eachPartition(func(p *proto.PartitionState) {
		if p.Leader != proto.NoLeader {
			return
		}
		s.elect(p)
		if p.Leader != proto.NoLeader {
			p.PartitionEpoch++
			recs = append(recs, s.partitionRecord(p))
		}
	})
	return recs
}

// CreateTopic validates and creates a topic. Replicas are placed round-robin over the
// live brokers unless an assignment is given; the ISR is every assigned replica and the
// first one leads.
func (s *State) CreateTopic(t proto.CreatableTopic) (proto.ErrorCode, string, []Record) {
	if t.Name == "" || len(t.Name) > 249 {
		return proto.INVALID_TOPIC_EXCEPTION, "topic names are 1 to 249 characters", nil
	}
	if s.topics[t.Name] != nil {
		return proto.TOPIC_ALREADY_EXISTS, "topic " + t.Name + " already exists", nil
	}
	if msg := validateConfigs(t.Configs); msg != "" {
		return proto.INVALID_CONFIG, msg, nil
	}
	assign := t.Assignment
	if assign == nil {
		if t.NumPartitions < 1 {
			return proto.INVALID_PARTITIONS, "partitions must be at least 1", nil
		}
		var live []int32
		for _, id := range s.brokerIDs() {
			if s.live(id) {
				live = append(live, id)
			}
		}
		if t.ReplicationFactor < 1 || int(t.ReplicationFactor) > len(live) {
			return proto.INVALID_REPLICATION_FACTOR, "replication factor " + strconv.Itoa(int(t.ReplicationFactor)) +
				" with " + strconv.Itoa(len(live)) + " live brokers", nil
		}
		for p := 0; p < int(t.NumPartitions); p++ {
			var rs []int32
			for r := 0; r < int(t.ReplicationFactor); r++ {
				rs = append(rs, live[(p+r)%len(live)])
			}
			assign = append(assign, rs)
		}
	}
	for _, rs := range assign {
		if len(rs) == 0 {
			return proto.INVALID_REPLICA_ASSIGNMENT, "a partition needs at least one replica", nil
		}
		for i, id := range rs {
			if s.brokers[id] == nil || slices.Contains(rs[:i], id) {
				return proto.INVALID_REPLICA_ASSIGNMENT, "replica " + strconv.Itoa(int(id)) + " is unknown or repeated", nil
			}
		}
	}
	topic := &Topic{Name: t.Name, Configs: t.Configs}
	s.topics[t.Name] = topic
	recs := []Record{s.record(Record{Topic: &proto.TopicRecord{Name: t.Name, Partitions: int32(len(assign)), Configs: t.Configs}})}
	for i, rs := range assign {
		p := &proto.PartitionState{TopicPartition: proto.TopicPartition{Topic: t.Name, Partition: int32(i)},
			Replicas: slices.Clone(rs), Leader: proto.NoLeader, LeaderEpoch: -1, LastKnownLeader: proto.NoLeader}
		for _, id := range rs {
			if s.live(id) {
				p.ISR = append(p.ISR, id)
			}
		}
		if len(p.ISR) == 0 {
			p.ISR = slices.Clone(rs)
		}
		s.elect(p)
		topic.Partitions = append(topic.Partitions, p)
		recs = append(recs, s.partitionRecord(p))
	}
	return proto.NONE, "", recs
}

// TopicConfigKeys are the topic configuration keys the model understands.
var TopicConfigKeys = []string{
	"flush.messages", "flush.ms", "min.insync.replicas", "retention.bytes", "retention.ms",
	"segment.bytes", "segment.ms", "unclean.leader.election.enable",
}

func validateConfigs(cfgs map[string]string) string {
	keys := slices.Sorted(maps.Keys(cfgs))
	for _, k := range keys {
		v := cfgs[k]
		switch k {
		case "unclean.leader.election.enable":
			if v != "true" && v != "false" {
				return k + "=" + v + ": want true or false"
			}
		case "flush.messages", "flush.ms", "min.insync.replicas", "retention.bytes", "retention.ms", "segment.bytes", "segment.ms":
			if _, err := strconv.ParseInt(v, 10, 64); err != nil {
				return k + "=" + v + ": want an integer"
			}
		default:
			return "unknown topic config " + k + "; known: flush.messages, flush.ms, min.insync.replicas, retention.bytes, retention.ms, segment.bytes, segment.ms, unclean.leader.election.enable"
		}
	}
	return ""
}

// AlterPartition applies a leader's ISR proposals. Each is checked as Kafka's
// controller does: the sender must be the current leader with the current broker epoch
// (else STALE_BROKER_EPOCH), the leader epoch must match (FENCED_LEADER_EPOCH), the
// partition epoch too (INVALID_UPDATE_VERSION), and new members must be live replicas
// (INELIGIBLE_REPLICA). Whether a follower has caught up is the leader's judgement.
func (s *State) AlterPartition(req *proto.AlterPartitionRequest) (proto.ErrorCode, []proto.ErrorCode, []proto.PartitionState, []Record) {
	b := s.brokers[req.BrokerID]
	if b == nil || b.Epoch != req.BrokerEpoch {
		return proto.STALE_BROKER_EPOCH, nil, nil, nil
	}
	var recs []Record
	errs := make([]proto.ErrorCode, len(req.Items))
	states := make([]proto.PartitionState, len(req.Items))
	for i, it := range req.Items {
		cur, ok := s.Partition(it.TopicPartition)
		if !ok {
			errs[i] = proto.UNKNOWN_TOPIC_OR_PARTITION
			continue
		}
		p := s.topics[it.Topic].Partitions[it.Partition]
		states[i] = cur
		switch {
		case p.Leader != req.BrokerID || p.LeaderEpoch != it.LeaderEpoch:
			errs[i] = proto.FENCED_LEADER_EPOCH
			continue
		case p.PartitionEpoch != it.PartitionEpoch:
			errs[i] = proto.INVALID_UPDATE_VERSION
			continue
		}
		bad := !slices.Contains(it.NewISR, p.Leader)
		for _, id := range it.NewISR {
			if !slices.Contains(p.Replicas, id) {
				bad = true
			}
			if !slices.Contains(p.ISR, id) && !s.live(id) {
				bad = true
			}
		}
		if bad {
			errs[i] = proto.INELIGIBLE_REPLICA
			continue
		}
		s.setISR(p, slices.Clone(it.NewISR))
		for _, id := range it.NewISR {
			if br := s.brokers[id]; br != nil && br.Recovering {
				br.Recovering = false
			}
		}
		p.PartitionEpoch++
		recs = append(recs, s.partitionRecord(p))
		states[i] = clonePartition(p)
	}
	return proto.NONE, errs, states, recs
}

// Apply replays a persisted record (controller restart).
func (s *State) Apply(r Record) {
	if !(r.Offset == s.Offset+1) {
		assertf(false, "replaying record %d after %d", r.Offset, s.Offset)
	}
	s.Offset = r.Offset
	switch {
	case r.Broker != nil:
		b := s.brokers[r.Broker.ID]
		if b == nil || b.Epoch != r.Broker.Epoch {
			b = &Broker{ID: r.Broker.ID, Epoch: r.Broker.Epoch, Incarnation: r.Incarnation, RegisteredAt: r.Offset}
			s.brokers[b.ID] = b
		}
		b.Fenced = r.Broker.Fenced
		s.nextBrokerEpoch = max(s.nextBrokerEpoch, r.Broker.Epoch+1)
	case r.Topic != nil:
		s.topics[r.Topic.Name] = &Topic{Name: r.Topic.Name, Configs: r.Topic.Configs}
	case r.Partition != nil:
		t := s.topics[r.Partition.Topic]
		if !(t != nil) {
			assertf(false, "partition record for unknown topic %s", r.Partition.Topic)
		}
		c := clonePartition(r.Partition)
		if int(c.Partition) == len(t.Partitions) {
			t.Partitions = append(t.Partitions, &c)
		} else {
			t.Partitions[c.Partition] = &c
		}
	}
}

// Snapshot is the full metadata image for a broker.
func (s *State) Snapshot() *proto.UpdateMetadataRequest {
	m := &proto.UpdateMetadataRequest{Full: true, Offset: s.Offset}
	for _, b := range s.Brokers() {
		m.Brokers = append(m.Brokers, proto.BrokerState{ID: b.ID, Epoch: b.Epoch, Fenced: b.Fenced})
	}
	for _, n := range s.TopicNames() {
		t := s.topics[n]
		m.Topics = append(m.Topics, proto.TopicRecord{Name: n, Partitions: int32(len(t.Partitions)), Configs: t.Configs})
		for _, p := range t.Partitions {
			m.Partitions = append(m.Partitions, clonePartition(p))
		}
	}
	return m
}

// Delta turns records into a metadata push applying on top of prev.
func Delta(prev int64, recs []Record) *proto.UpdateMetadataRequest {
	m := &proto.UpdateMetadataRequest{PrevOffset: prev, Offset: prev + int64(len(recs))}
	for _, r := range recs {
		switch {
		case r.Broker != nil:
			m.Brokers = append(m.Brokers, *r.Broker)
		case r.Topic != nil:
			m.Topics = append(m.Topics, *r.Topic)
		case r.Partition != nil:
			m.Partitions = append(m.Partitions, *r.Partition)
		}
	}
	return m
}

// CheckInvariants panics if the state is inconsistent.
func (s *State) CheckInvariants() {
	s.eachPartition(func(p *proto.PartitionState) {
		for _, id := range p.ISR {
			if !(slices.Contains(p.Replicas, id)) {
				assertf(false, "%s: ISR %v not within replicas %v", p.TopicPartition, p.ISR, p.Replicas)
			}
			if !(!slices.Contains(p.ELR, id)) {
				assertf(false, "%s: %d in both ISR %v and ELR %v", p.TopicPartition, id, p.ISR, p.ELR)
			}
		}
		if p.Leader != proto.NoLeader {
			if !(slices.Contains(p.ISR, p.Leader)) {
				assertf(false, "%s: leader %d not in ISR %v", p.TopicPartition, p.Leader, p.ISR)
			}
		}
		if !(len(p.ISR) > 0 || s.cfg.EligibleLeaderReplicasEnable) {
			assertf(false, "%s: empty ISR", p.TopicPartition)
		}
	})
}
