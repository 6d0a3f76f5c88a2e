// Package broker is the Kafka-model broker node: a node.Machine that hosts partition
// replicas, serves Produce, Fetch, ListOffsets, Metadata, OffsetForLeaderEpoch and
// InitProducerId, replicates as a follower by fetching from leaders, talks to the
// controller (registration, heartbeats, AlterPartition, metadata pushes), and hosts the
// group coordinator (package group) for the partitions of __consumer_offsets it leads.
//
// The replication rules live in package partition (pure); this package turns events
// into calls on it and its decisions into Env effects: segment appends, fsyncs,
// truncations, messages, timers. Its fidelity to Kafka, what is simplified and what is
// absent, is recorded in SKIPPED.md beside this file.
//
// Behaviour in brief:
//
//   - Produce: the leader validates (leadership, CRC, size, idempotent sequence,
//     min.insync.replicas for acks=all), assigns offsets, appends to the page cache and
//     answers acks=1 at once; acks=all waits in a purgatory until the high watermark
//     passes the batch or request.timeout.ms expires (REQUEST_TIMED_OUT). A leader
//     that loses leadership answers its waiters NOT_LEADER_OR_FOLLOWER.
//   - Fetch: followers read up to the log end offset, consumers up to the high
//     watermark. An empty fetch waits up to its MaxWait in a fetch purgatory.
//   - Followers truncate by leader epoch (OffsetForLeaderEpoch, KIP-101/KIP-279)
//     before fetching from a new leader.
//   - The ISR shrinks after replica.lag.time.max.ms and expands when a follower
//     reaches the high watermark, through AlterPartition to the controller.
//   - No fsync unless flush.messages/flush.ms say so; recovery after a restart
//     validates every batch's checksum and truncates a torn tail.
//   - Consumer groups: FindCoordinator names the leader of the group's partition of
//     __consumer_offsets (creating the topic on first use); group requests go to the
//     coordinator, whose commits and assignments are appended there with acks=all
//     and loaded back by the next leader (groups.go).
//
// Brokers expose their state for inspection (Partitions, Stats) and report leader
// changes, truncations and log-start moves to an Observer set by the host.
//
// Hot paths: replication fetches touch every followed partition on every round, so
// per-partition work is kept to an index and a few comparisons. Replicas are found by
// topic, then partition number (replicaOf), once per partition per request; a fetch
// keeps its resolved replicas while it is parked. Fetch memory goes round instead of
// being reallocated: a leader hands each answered fetch request back with its response
// (proto.FetchResponse.Spare), and the follower or consumer hands the response back
// with its next fetch (proto.FetchRequest.Spare); each side reuses what it gets back.
// Produce and OffsetCommit answers take one allocation with their purgatory entry. After
// each event the invariants are checked for the replicas the event changed (touch).
package broker

import "fmt"

// failf panics with context: an internal invariant broke. Call sites test the
// condition first, so that the arguments are only boxed on failure.
func failf(format string, args ...any) {
	panic(fmt.Sprintf("%s: invariant violated: "+format, append([]any{"broker"}, args...)...))
}
