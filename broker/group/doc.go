// Package group is Kafka's group coordinator as a pure state machine: the broker side of
// consumer groups (the classic protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup)
// and committed offsets (OffsetCommit, OffsetFetch).
//
// A Coordinator serves the groups whose partition of __consumer_offsets its broker
// leads (PartitionFor: the Java String.hashCode of the group id, made non-negative,
// modulo the topic's partition count, as Kafka computes it). It never touches the
// network, the clock or the disk: each call takes the current time and the request, and
// returns Effects, the responses to send and the records to append to __consumer_offsets.
// The broker appends those records as the partition's leader and calls AppendDone when
// they are committed (the high watermark passed them) or failed. Only then does the
// coordinator apply the commit or the new assignment and answer, as Kafka does with
// acks=all appends to the offsets topic; so a commit that was answered survives the
// coordinator's crash, and a new coordinator rebuilds every group by replaying the log
// (Load).
//
// Group states follow Kafka's GroupMetadata: Empty, PreparingRebalance (the join phase:
// waiting up to the rebalance timeout, max.poll.interval.ms, for every member to
// rejoin), CompletingRebalance (waiting for the leader's SyncGroup with the
// assignment) and Stable. Members that stop heartbeating for session.timeout.ms are
// removed and trigger a rebalance. Stale members are fenced with ILLEGAL_GENERATION,
// UNKNOWN_MEMBER_ID and REBALANCE_IN_PROGRESS. The coordinator does not interpret
// assignments: eager and cooperative rebalancing, and the assignors, are the
// consumers' business (package client), exactly as in Kafka's classic protocol.
//
// Time enters only as arguments; deadlines (session expiry, join and sync timeouts,
// group.initial.rebalance.delay.ms) are reported by NextDeadline and acted on by Tick,
// so the host needs a single timer.
//
// Absent (see broker/SKIPPED.md): static membership (group.instance.id), the KIP-848
// consumer protocol, offsets.retention.minutes expiry, transactional offset commits.
package group

import "fmt"

// assertf panics with context when an internal invariant breaks.
func assertf(cond bool, format string, args ...any) {
	if !cond {
		panic(fmt.Sprintf("group: invariant violated: "+format, args...))
	}
}
