package client

// Partition assignors, run by the group leader (partition.assignment.strategy).
//
// Kafka's classic group protocol leaves assignment to the consumers: the coordinator
// picks a protocol (assignor name) every member supports and hands the leader all the
// subscriptions; the leader computes the assignment and sends it in its SyncGroup.
// Three assignors are modelled, with Kafka's names:
//
//   - range: per topic, the partitions are split in contiguous ranges over the members
//     subscribed to it, sorted by member id; the first (partitions % members) get one
//     more. With several topics the same members get the extra partitions, which is
//     the range assignor's known imbalance.
//   - roundrobin: all partitions of all topics, sorted, dealt one by one to the members
//     sorted by id, skipping members not subscribed to the partition's topic.
//   - cooperative-sticky: balanced, and keeps as many partitions where they are as
//     balance allows. It speaks the cooperative (incremental) protocol: a partition
//     moving from one member to another is left out of this round's assignment, so
//     the owner revokes it and rejoins, and the next rebalance gives it to its new
//     owner; nobody stops consuming the partitions it keeps.

import (
	"fmt"
	"slices"
	"sort"

	"logsim/broker/proto"
)

// RebalanceProtocol is how a consumer gives up partitions during a rebalance.
type RebalanceProtocol uint8

// The rebalance protocols.
const (
	// Eager: every member revokes all its partitions before rejoining.
	Eager RebalanceProtocol = iota
	// Cooperative: members keep their partitions and revoke only those that move
	// (KIP-429).
	Cooperative
)

// String names the protocol as Kafka's RebalanceProtocol does.
func (p RebalanceProtocol) String() string {
	if p == Cooperative {
		return "COOPERATIVE"
	}
	return "EAGER"
}

// MemberSubscription is one member's subscription as the leader sees it.
type MemberSubscription struct {
	MemberID string
	Topics   []string
	// Owned are the partitions the member holds now (cooperative protocol), and
	// Generation the generation it got them in (-1 if none).
	Owned      []proto.TopicPartition
	Generation int32
}

// Assignor computes a group's assignment.
type Assignor interface {
	// Name is the protocol name in JoinGroup, as in Kafka.
	Name() string
	// Protocol is the rebalance protocol the assignor supports.
	Protocol() RebalanceProtocol
	// Assign maps every member id to its partitions. partitions gives each topic's
	// partition count; topics missing from it are skipped (unknown to the leader).
	Assign(partitions map[string]int32, members []MemberSubscription) map[string][]proto.TopicPartition
}

// The assignor names.
const (
	RangeAssignorName             = "range"
	RoundRobinAssignorName        = "roundrobin"
	CooperativeStickyAssignorName = "cooperative-sticky"
)

// AssignorByName returns the assignor Kafka calls name.
func AssignorByName(name string) (Assignor, error) {
	switch name {
	case RangeAssignorName:
		return RangeAssignor{}, nil
	case RoundRobinAssignorName:
		return RoundRobinAssignor{}, nil
	case CooperativeStickyAssignorName:
		return CooperativeStickyAssignor{}, nil
	}
	return nil, fmt.Errorf("partition.assignment.strategy %q: want range, roundrobin or cooperative-sticky", name)
}

func membersByID(members []MemberSubscription) []MemberSubscription {
	out := slices.Clone(members)
	sort.Slice(out, func(i, j int) bool { return out[i].MemberID < out[j].MemberID })
	return out
}

func newAssignment(members []MemberSubscription) map[string][]proto.TopicPartition {
	out := make(map[string][]proto.TopicPartition, len(members))
	for _, m := range members {
		out[m.MemberID] = []proto.TopicPartition{}
	}
	return out
}

// subscribedTopics is the sorted union of the members' topics known to the leader.
func subscribedTopics(partitions map[string]int32, members []MemberSubscription) []string {
	var ts []string
	for _, m := range members {
		for _, t := range m.Topics {
			if _, ok := partitions[t]; ok && !slices.Contains(ts, t) {
				ts = append(ts, t)
			}
		}
	}
	slices.Sort(ts)
	return ts
}

// RangeAssignor is Kafka's RangeAssignor.
type RangeAssignor struct{}

// Name is "range".
func (RangeAssignor) Name() string { return RangeAssignorName }

// Protocol is Eager.
func (RangeAssignor) Protocol() RebalanceProtocol { return Eager }

// Assign splits each topic in ranges.
func (RangeAssignor) Assign(partitions map[string]int32, members []MemberSubscription) map[string][]proto.TopicPartition {
	out := newAssignment(members)
	ms := membersByID(members)
	for _, t := range subscribedTopics(partitions, ms) {
		var subs []string
		for _, m := range ms {
			if slices.Contains(m.Topics, t) {
				subs = append(subs, m.MemberID)
			}
		}
		n := int(partitions[t])
		per, extra := n/len(subs), n%len(subs)
		next := 0
		for i, id := range subs {
			k := per
			if i < extra {
				k++
			}
			for p := next; p < next+k; p++ {
				out[id] = append(out[id], proto.TopicPartition{Topic: t, Partition: int32(p)})
			}
			next += k
		}
	}
	return out
}

// RoundRobinAssignor is Kafka's RoundRobinAssignor.
type RoundRobinAssignor struct{}

// Name is "roundrobin".
func (RoundRobinAssignor) Name() string { return RoundRobinAssignorName }

// Protocol is Eager.
func (RoundRobinAssignor) Protocol() RebalanceProtocol { return Eager }

// Assign deals the partitions out in turn.
func (RoundRobinAssignor) Assign(partitions map[string]int32, members []MemberSubscription) map[string][]proto.TopicPartition {
	out := newAssignment(members)
	ms := membersByID(members)
	if len(ms) == 0 {
		return out
	}
	next := 0
	for _, t := range subscribedTopics(partitions, ms) {
		for p := int32(0); p < partitions[t]; p++ {
			for k := 0; k < len(ms); k++ {
				m := ms[(next+k)%len(ms)]
				if slices.Contains(m.Topics, t) {
					out[m.MemberID] = append(out[m.MemberID], proto.TopicPartition{Topic: t, Partition: p})
					next = (next + k + 1) % len(ms)
					break
				}
			}
		}
	}
	return out
}

// CooperativeStickyAssignor is Kafka's CooperativeStickyAssignor: balanced, sticky, and
// incremental.
type CooperativeStickyAssignor struct{}

// Name is "cooperative-sticky".
func (CooperativeStickyAssignor) Name() string { return CooperativeStickyAssignorName }

// Protocol is Cooperative.
func (CooperativeStickyAssignor) Protocol() RebalanceProtocol { return Cooperative }

// Assign computes a balanced sticky assignment, then withholds the partitions that
// change owner (their current owner revokes them first).
func (CooperativeStickyAssignor) Assign(partitions map[string]int32, members []MemberSubscription) map[string][]proto.TopicPartition {
	ms := membersByID(members)
	target, owner := stickyAssign(partitions, ms)
	out := newAssignment(ms)
	for _, m := range ms {
		for _, tp := range target[m.MemberID] {
			if prev, ok := owner[tp]; ok && prev != m.MemberID {
				continue // prev still owns it: it revokes now, m gets it next round
			}
			out[m.MemberID] = append(out[m.MemberID], tp)
		}
	}
	return out
}

// stickyAssign is the balanced target assignment and the current valid owners. Owned
// partitions are kept when the member still subscribes to the topic and no member
// with a newer generation claims them; then each member keeps at most its fair share,
// free partitions go to the least loaded eligible member, and partitions move from the
// most to the least loaded member while their counts differ by more than one.
func stickyAssign(partitions map[string]int32, ms []MemberSubscription) (map[string][]proto.TopicPartition, map[proto.TopicPartition]string) {
	owner := map[proto.TopicPartition]string{}
	ownerGen := map[proto.TopicPartition]int32{}
	eligible := func(m *MemberSubscription, tp proto.TopicPartition) bool {
		n, ok := partitions[tp.Topic]
		return ok && tp.Partition >= 0 && tp.Partition < n && slices.Contains(m.Topics, tp.Topic)
	}
	for i := range ms {
		m := &ms[i]
		for _, tp := range m.Owned {
			if !eligible(m, tp) {
				continue
			}
			if g, claimed := ownerGen[tp]; claimed && g >= m.Generation {
				continue // an owner from the same or a newer generation wins
			}
			owner[tp], ownerGen[tp] = m.MemberID, m.Generation
		}
	}
	var all []proto.TopicPartition
	for _, t := range subscribedTopics(partitions, ms) {
		for p := int32(0); p < partitions[t]; p++ {
			all = append(all, proto.TopicPartition{Topic: t, Partition: p})
		}
	}
	load := map[string][]proto.TopicPartition{}
	for _, m := range ms {
		load[m.MemberID] = nil
	}
	if len(ms) == 0 {
		return load, owner
	}
	fair := (len(all) + len(ms) - 1) / len(ms)
	var free []proto.TopicPartition
	for _, tp := range all {
		if id, ok := owner[tp]; ok && len(load[id]) < fair {
			load[id] = append(load[id], tp)
			continue
		}
		free = append(free, tp)
	}
	for _, tp := range free {
		best := ""
		for i := range ms {
			m := &ms[i]
			if eligible(m, tp) && (best == "" || len(load[m.MemberID]) < len(load[best])) {
				best = m.MemberID
			}
		}
		if best != "" {
			load[best] = append(load[best], tp)
		}
	}
	// Balance: bounded by the number of partitions, each move lowers the spread.
	for range all {
		if !stickyMoveOne(ms, load, eligible) {
			break
		}
	}
	for id := range load {
		slices.SortFunc(load[id], proto.TopicPartition.Compare)
	}
	return load, owner
}

// stickyMoveOne moves one partition from the most loaded member to a member with at least
// two fewer that may take it, preferring the last partition the donor got (so that
// its original partitions stay). It reports whether anything moved.
func stickyMoveOne(ms []MemberSubscription, load map[string][]proto.TopicPartition, eligible func(*MemberSubscription, proto.TopicPartition) bool) bool {
	order := slices.Clone(ms)
	sort.SliceStable(order, func(i, j int) bool { return len(load[order[i].MemberID]) > len(load[order[j].MemberID]) })
	for _, donor := range order {
		tps := load[donor.MemberID]
		for k := len(tps) - 1; k >= 0; k-- {
			for r := len(order) - 1; r >= 0; r-- {
				recv := &order[r]
				if len(load[recv.MemberID])+1 < len(tps) && eligible(recv, tps[k]) {
					load[recv.MemberID] = append(load[recv.MemberID], tps[k])
					load[donor.MemberID] = slices.Delete(tps, k, k+1)
					return true
				}
			}
		}
	}
	return false
}
