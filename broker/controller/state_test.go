package controller

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/proto"
)

var tp0 = proto.TopicPartition{Topic: "orders", Partition: 0}

// cluster registers and unfences brokers 1..n and creates orders with one partition on
// all of them.
func cluster(t *testing.T, cfg Config, n int, configs map[string]string) *State {
	t.Helper()
	s := NewState(cfg)
	for id := int32(1); id <= int32(n); id++ {
		epoch, _ := s.Register(&proto.BrokerRegistrationRequest{BrokerID: id, IncarnationID: int64(id), PreviousBrokerEpoch: -1}, 0)
		err, fenced, _ := s.Heartbeat(&proto.BrokerHeartbeatRequest{BrokerID: id, BrokerEpoch: epoch, MetadataOffset: s.Offset}, 0)
		require.Equal(t, proto.NONE, err)
		require.False(t, fenced)
	}
	err, msg, _ := s.CreateTopic(proto.CreatableTopic{Name: "orders", NumPartitions: 1, ReplicationFactor: int16(n), Configs: configs})
	require.Equal(t, proto.NONE, err, msg)
	s.CheckInvariants()
	return s
}

func heartbeatAll(s *State, now time.Duration, except ...int32) {
	for _, b := range s.Brokers() {
		skip := false
		for _, e := range except {
			skip = skip || e == b.ID
		}
		if !skip {
			s.Heartbeat(&proto.BrokerHeartbeatRequest{BrokerID: b.ID, BrokerEpoch: b.Epoch, MetadataOffset: s.Offset}, now)
		}
	}
}

func TestFailoverFromTheISR(t *testing.T) {
	s := cluster(t, DefaultConfig(), 3, nil)
	p, _ := s.Partition(tp0)
	assert.Equal(t, int32(1), p.Leader)
	assert.Equal(t, int32(0), p.LeaderEpoch)
	assert.Equal(t, []int32{1, 2, 3}, p.ISR)

	heartbeatAll(s, 5*time.Second, 1)
	recs := s.Tick(10 * time.Second)
	assert.NotEmpty(t, recs)
	p, _ = s.Partition(tp0)
	assert.Equal(t, int32(2), p.Leader, "first live ISR member in replica order")
	assert.Equal(t, int32(1), p.LeaderEpoch)
	assert.Equal(t, []int32{2, 3}, p.ISR)
	s.CheckInvariants()
}

func TestLastISRMemberStaysAndNoUncleanElection(t *testing.T) {
	s := cluster(t, DefaultConfig(), 3, nil)
	_, _, states, _ := s.AlterPartition(&proto.AlterPartitionRequest{BrokerID: 1, BrokerEpoch: 1,
		Items: []proto.AlterPartitionItem{{TopicPartition: tp0, LeaderEpoch: 0, PartitionEpoch: 0, NewISR: []int32{1}}}})
	require.Equal(t, []int32{1}, states[0].ISR)
	heartbeatAll(s, 5*time.Second, 1)
	s.Tick(10 * time.Second)
	p, _ := s.Partition(tp0)
	assert.Equal(t, proto.NoLeader, p.Leader, "no live ISR member and unclean election off")
	assert.Equal(t, []int32{1}, p.ISR, "the last ISR member is kept")

	// Broker 1 comes back (a new incarnation) and is elected again once unfenced.
	epoch, _ := s.Register(&proto.BrokerRegistrationRequest{BrokerID: 1, IncarnationID: 100, PreviousBrokerEpoch: -1}, 11*time.Second)
	s.Heartbeat(&proto.BrokerHeartbeatRequest{BrokerID: 1, BrokerEpoch: epoch, MetadataOffset: s.Offset}, 11*time.Second)
	p, _ = s.Partition(tp0)
	assert.Equal(t, int32(1), p.Leader)
}

func TestUncleanElection(t *testing.T) {
	s := cluster(t, DefaultConfig(), 3, map[string]string{"unclean.leader.election.enable": "true"})
	s.AlterPartition(&proto.AlterPartitionRequest{BrokerID: 1, BrokerEpoch: 1,
		Items: []proto.AlterPartitionItem{{TopicPartition: tp0, LeaderEpoch: 0, PartitionEpoch: 0, NewISR: []int32{1}}}})
	heartbeatAll(s, 5*time.Second, 1)
	s.Tick(10 * time.Second)
	p, _ := s.Partition(tp0)
	assert.Equal(t, int32(2), p.Leader, "an out-of-sync replica is elected")
	assert.Equal(t, []int32{2}, p.ISR)
}

func TestEligibleLeaderReplicas(t *testing.T) {
	cfg := DefaultConfig()
	cfg.EligibleLeaderReplicasEnable = true
	cfg.MinInsyncReplicas = 2
	s := cluster(t, cfg, 3, nil)
	// 3 drops out: ISR {1,2} is still at min ISR, so 3 is not eligible.
	s.AlterPartition(&proto.AlterPartitionRequest{BrokerID: 1, BrokerEpoch: 1,
		Items: []proto.AlterPartitionItem{{TopicPartition: tp0, LeaderEpoch: 0, PartitionEpoch: 0, NewISR: []int32{1, 2}}}})
	// 2 drops out: ISR {1} is below min ISR, so 2 becomes eligible.
	s.AlterPartition(&proto.AlterPartitionRequest{BrokerID: 1, BrokerEpoch: 1,
		Items: []proto.AlterPartitionItem{{TopicPartition: tp0, LeaderEpoch: 0, PartitionEpoch: 1, NewISR: []int32{1}}}})
	p, _ := s.Partition(tp0)
	assert.Equal(t, []int32{2}, p.ELR)
	heartbeatAll(s, 5*time.Second, 1)
	s.Tick(10 * time.Second)
	p, _ = s.Partition(tp0)
	assert.Equal(t, int32(2), p.Leader, "elected from the ELR")
	assert.Equal(t, []int32{2}, p.ISR)
	assert.Equal(t, []int32{1}, p.ELR, "the fenced leader stays eligible")

	// Broker 1 restarts without a clean shutdown: no longer eligible.
	s.Register(&proto.BrokerRegistrationRequest{BrokerID: 1, IncarnationID: 100, PreviousBrokerEpoch: -1}, 11*time.Second)
	p, _ = s.Partition(tp0)
	assert.Empty(t, p.ELR)
	s.CheckInvariants()
}

func TestAlterPartitionFencing(t *testing.T) {
	s := cluster(t, DefaultConfig(), 3, nil)
	item := proto.AlterPartitionItem{TopicPartition: tp0, LeaderEpoch: 0, PartitionEpoch: 0, NewISR: []int32{1, 2}}
	tests := []struct {
		name   string
		broker int32
		epoch  int64
		mod    func(*proto.AlterPartitionItem)
		top    proto.ErrorCode
		want   proto.ErrorCode
	}{
		{"stale broker epoch", 1, 7, func(*proto.AlterPartitionItem) {}, proto.STALE_BROKER_EPOCH, proto.NONE},
		{"not the leader", 2, 2, func(*proto.AlterPartitionItem) {}, proto.NONE, proto.FENCED_LEADER_EPOCH},
		{"old leader epoch", 1, 1, func(i *proto.AlterPartitionItem) { i.LeaderEpoch = -1 }, proto.NONE, proto.FENCED_LEADER_EPOCH},
		{"old partition epoch", 1, 1, func(i *proto.AlterPartitionItem) { i.PartitionEpoch = 5 }, proto.NONE, proto.INVALID_UPDATE_VERSION},
		{"leader left out", 1, 1, func(i *proto.AlterPartitionItem) { i.NewISR = []int32{2, 3} }, proto.NONE, proto.INELIGIBLE_REPLICA},
		{"accepted", 1, 1, func(*proto.AlterPartitionItem) {}, proto.NONE, proto.NONE},
	}
	for _, tt := range tests {
		it := item
		tt.mod(&it)
		top, errs, _, _ := s.AlterPartition(&proto.AlterPartitionRequest{BrokerID: tt.broker, BrokerEpoch: tt.epoch, Items: []proto.AlterPartitionItem{it}})
		require.Equal(t, tt.top, top, tt.name)
		if top == proto.NONE {
			assert.Equal(t, tt.want, errs[0], tt.name)
		}
	}
	p, _ := s.Partition(tp0)
	assert.Equal(t, int32(1), p.PartitionEpoch)
}

func TestReplayRebuildsTheState(t *testing.T) {
	s := NewState(DefaultConfig())
	var log []Record
	for id := int32(1); id <= 3; id++ {
		epoch, recs := s.Register(&proto.BrokerRegistrationRequest{BrokerID: id, IncarnationID: int64(id)}, 0)
		log = append(log, recs...)
		_, _, recs = s.Heartbeat(&proto.BrokerHeartbeatRequest{BrokerID: id, BrokerEpoch: epoch, MetadataOffset: s.Offset}, 0)
		log = append(log, recs...)
	}
	_, _, recs := s.CreateTopic(proto.CreatableTopic{Name: "orders", NumPartitions: 2, ReplicationFactor: 3})
	log = append(log, recs...)
	log = append(log, s.Tick(time.Minute)...)
	r := NewState(DefaultConfig())
	for _, rec := range log {
		r.Apply(rec)
	}
	assert.Equal(t, s.Snapshot(), r.Snapshot())
	err, msg, _ := r.CreateTopic(proto.CreatableTopic{Name: "x", NumPartitions: 1, ReplicationFactor: 1, Configs: map[string]string{"retention.mss": "1"}})
	assert.Equal(t, proto.INVALID_CONFIG, err)
	assert.Contains(t, msg, "unknown topic config retention.mss")
}

// With ELR, when the ISR and the ELR are both empty, the last known leader is elected
// once it is back (KIP-966's last resort, Kafka's behaviour before ELR).
func TestELRLastKnownLeader(t *testing.T) {
	cfg := DefaultConfig()
	cfg.EligibleLeaderReplicasEnable = true
	cfg.MinInsyncReplicas = 2
	s := cluster(t, cfg, 2, nil)
	// Both brokers restart uncleanly: each leaves the ISR and, unclean, the ELR.
	s.Register(&proto.BrokerRegistrationRequest{BrokerID: 2, IncarnationID: 20, PreviousBrokerEpoch: -1}, time.Second)
	s.Register(&proto.BrokerRegistrationRequest{BrokerID: 1, IncarnationID: 10, PreviousBrokerEpoch: -1}, time.Second)
	p, _ := s.Partition(tp0)
	require.Empty(t, p.ISR)
	require.Empty(t, p.ELR)
	assert.Equal(t, proto.NoLeader, p.Leader)
	assert.Equal(t, int32(1), p.LastKnownLeader)
	// Broker 2 returns first: it is not the last known leader.
	b2, _ := s.Broker(2)
	s.Heartbeat(&proto.BrokerHeartbeatRequest{BrokerID: 2, BrokerEpoch: b2.Epoch, MetadataOffset: s.Offset}, 2*time.Second)
	p, _ = s.Partition(tp0)
	assert.Equal(t, proto.NoLeader, p.Leader)
	b1, _ := s.Broker(1)
	s.Heartbeat(&proto.BrokerHeartbeatRequest{BrokerID: 1, BrokerEpoch: b1.Epoch, MetadataOffset: s.Offset}, 2*time.Second)
	p, _ = s.Partition(tp0)
	assert.Equal(t, int32(1), p.Leader)
	assert.Equal(t, []int32{1}, p.ISR)
	s.CheckInvariants()
}

func TestBalanceLeadersReturnsLeadershipToThePreferredReplica(t *testing.T) {
	s := cluster(t, DefaultConfig(), 3, nil)
	heartbeatAll(s, 5*time.Second, 1)
	s.Tick(10 * time.Second)
	p, _ := s.Partition(tp0)
	require.Equal(t, int32(2), p.Leader)
	assert.Empty(t, s.BalanceLeaders(), "the preferred replica is fenced")
	epoch, _ := s.Register(&proto.BrokerRegistrationRequest{BrokerID: 1, IncarnationID: 100, PreviousBrokerEpoch: -1}, 11*time.Second)
	s.Heartbeat(&proto.BrokerHeartbeatRequest{BrokerID: 1, BrokerEpoch: epoch, MetadataOffset: s.Offset}, 11*time.Second)
	assert.Empty(t, s.BalanceLeaders(), "alive but not in the ISR")
	p, _ = s.Partition(tp0)
	s.AlterPartition(&proto.AlterPartitionRequest{BrokerID: 2, BrokerEpoch: 2,
		Items: []proto.AlterPartitionItem{{TopicPartition: tp0, LeaderEpoch: p.LeaderEpoch, PartitionEpoch: p.PartitionEpoch, NewISR: []int32{1, 2, 3}}}})
	require.Len(t, s.BalanceLeaders(), 1)
	p, _ = s.Partition(tp0)
	assert.Equal(t, int32(1), p.Leader)
	assert.Equal(t, int32(2), p.LeaderEpoch)
	s.CheckInvariants()
}
