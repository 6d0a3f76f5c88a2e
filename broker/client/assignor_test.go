package client

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"logsim/broker/proto"
)

func tps(topic string, ps ...int32) []proto.TopicPartition {
	out := []proto.TopicPartition{}
	for _, p := range ps {
		out = append(out, proto.TopicPartition{Topic: topic, Partition: p})
	}
	return out
}

func subs(topics []string, ids ...string) []MemberSubscription {
	var out []MemberSubscription
	for _, id := range ids {
		out = append(out, MemberSubscription{MemberID: id, Topics: topics, Generation: -1})
	}
	return out
}

func TestRangeAssignor(t *testing.T) {
	got := RangeAssignor{}.Assign(map[string]int32{"a": 3, "b": 3}, subs([]string{"a", "b"}, "m2", "m1"))
	// Kafka's documented example: C0 gets t0p0, t0p1, t1p0, t1p1; C1 gets t0p2, t1p2.
	assert.Equal(t, append(tps("a", 0, 1), tps("b", 0, 1)...), got["m1"])
	assert.Equal(t, append(tps("a", 2), tps("b", 2)...), got["m2"])
	got = RangeAssignor{}.Assign(map[string]int32{"a": 2}, subs([]string{"a"}, "m1", "m2", "m3"))
	assert.Equal(t, tps("a"), got["m3"], "more members than partitions: some get none")
}

func TestRoundRobinAssignor(t *testing.T) {
	got := RoundRobinAssignor{}.Assign(map[string]int32{"a": 3, "b": 3}, subs([]string{"a", "b"}, "m1", "m2"))
	// Kafka's documented example: C0: t0p0, t0p2, t1p1; C1: t0p1, t1p0, t1p2.
	assert.Equal(t, append(tps("a", 0, 2), tps("b", 1)...), got["m1"])
	assert.Equal(t, append(tps("a", 1), tps("b", 0, 2)...), got["m2"])
	// Members not subscribed to a topic are skipped.
	ms := []MemberSubscription{{MemberID: "m1", Topics: []string{"a"}}, {MemberID: "m2", Topics: []string{"a", "b"}}}
	got = RoundRobinAssignor{}.Assign(map[string]int32{"a": 2, "b": 2}, ms)
	assert.Equal(t, tps("a", 0), got["m1"])
	assert.Equal(t, append(tps("a", 1), tps("b", 0, 1)...), got["m2"])
}

// checkValid asserts that no partition is given twice and that only subscribers get
// partitions.
func checkValid(t *testing.T, parts map[string]int32, ms []MemberSubscription, got map[string][]proto.TopicPartition) {
	seen := map[proto.TopicPartition]string{}
	for _, m := range ms {
		for _, tp := range got[m.MemberID] {
			prev, dup := seen[tp]
			assert.False(t, dup, "%s given to %s and %s", tp, prev, m.MemberID)
			seen[tp] = m.MemberID
			assert.Contains(t, m.Topics, tp.Topic)
			assert.Less(t, tp.Partition, parts[tp.Topic])
		}
	}
}

func TestCooperativeStickyKeepsPartitionsAndMovesInTwoSteps(t *testing.T) {
	a := CooperativeStickyAssignor{}
	parts := map[string]int32{"orders": 6}
	// One member owns everything; a second joins.
	ms := []MemberSubscription{
		{MemberID: "m1", Topics: []string{"orders"}, Owned: tps("orders", 0, 1, 2, 3, 4, 5), Generation: 1},
		{MemberID: "m2", Topics: []string{"orders"}, Generation: -1},
	}
	first := a.Assign(parts, ms)
	checkValid(t, parts, ms, first)
	assert.Equal(t, tps("orders", 0, 1, 2), first["m1"], "m1 keeps half")
	assert.Empty(t, first["m2"], "the moving half is withheld until m1 revokes it")
	// Second round: m1 revoked 3..5.
	ms[0].Owned, ms[0].Generation = first["m1"], 2
	second := a.Assign(parts, ms)
	checkValid(t, parts, ms, second)
	assert.Equal(t, tps("orders", 0, 1, 2), second["m1"], "nothing moves from m1 twice")
	assert.Equal(t, tps("orders", 3, 4, 5), second["m2"])
	// A member leaves: its partitions go to the others, who keep theirs.
	ms = append(ms, MemberSubscription{MemberID: "m3", Topics: []string{"orders"}, Generation: -1})
	ms[1].Owned, ms[1].Generation = second["m2"], 2
	third := a.Assign(parts, ms)
	checkValid(t, parts, ms, third)
	for _, id := range []string{"m1", "m2"} {
		assert.Len(t, third[id], 2, id)
	}
	ms[0].Owned, ms[1].Owned = third["m1"], third["m2"]
	ms[0].Generation, ms[1].Generation = 3, 3
	settled := a.Assign(parts, ms)
	assert.Len(t, settled["m3"], 2, "m3 gets the revoked partitions in the follow-up round")
	assert.Equal(t, third["m1"], settled["m1"])
	// m2 leaves: its partitions are nobody's, so they are handed out at once.
	fourth := a.Assign(parts, []MemberSubscription{{MemberID: "m1", Topics: []string{"orders"}, Owned: settled["m1"], Generation: 4},
		{MemberID: "m3", Topics: []string{"orders"}, Owned: settled["m3"], Generation: 4}})
	assert.Len(t, fourth["m1"], 3)
	assert.Len(t, fourth["m3"], 3)
	assert.Subset(t, fourth["m1"], settled["m1"])
	assert.Subset(t, fourth["m3"], settled["m3"])
}

func TestCooperativeStickyConflictingOwners(t *testing.T) {
	// A zombie from an older generation still claims partition 0.
	ms := []MemberSubscription{
		{MemberID: "m1", Topics: []string{"t"}, Owned: tps("t", 0), Generation: 3},
		{MemberID: "m2", Topics: []string{"t"}, Owned: tps("t", 0, 1), Generation: 2},
	}
	got := CooperativeStickyAssignor{}.Assign(map[string]int32{"t": 2}, ms)
	assert.Equal(t, tps("t", 0), got["m1"], "the newer generation's claim wins")
	assert.Equal(t, tps("t", 1), got["m2"])
}

func TestAssignorsBalanceAndCover(t *testing.T) {
	for _, name := range []string{RangeAssignorName, RoundRobinAssignorName, CooperativeStickyAssignorName} {
		a, err := AssignorByName(name)
		require.NoError(t, err)
		assert.Equal(t, name, a.Name())
		for members := 1; members <= 7; members++ {
			for parts := int32(0); parts <= 13; parts += 3 {
				var ids []string
				for i := 0; i < members; i++ {
					ids = append(ids, fmt.Sprintf("m%02d", i))
				}
				ms := subs([]string{"t"}, ids...)
				got := a.Assign(map[string]int32{"t": parts}, ms)
				checkValid(t, map[string]int32{"t": parts}, ms, got)
				total, lo, hi := 0, int(parts), 0
				for _, id := range ids {
					n := len(got[id])
					total += n
					lo, hi = min(lo, n), max(hi, n)
				}
				assert.Equal(t, int(parts), total, "%s %d members %d partitions: all assigned", name, members, parts)
				assert.LessOrEqual(t, hi-lo, 1, "%s %d members %d partitions: balanced", name, members, parts)
			}
		}
	}
	_, err := AssignorByName("sticky-ish")
	assert.ErrorContains(t, err, "want range, roundrobin or cooperative-sticky")
	assert.Equal(t, Cooperative, CooperativeStickyAssignor{}.Protocol())
	assert.Equal(t, "EAGER", RangeAssignor{}.Protocol().String())
}
